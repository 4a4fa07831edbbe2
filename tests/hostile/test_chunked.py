"""A chunked body that goes wrong after the hub began to read it.

A bad chunk that arrives with the request's head is refused by aiohttp's
parser before any handler runs (tests/hostile/test_headers.py). One that
arrives later is not seen by the handler reading the body: aiohttp's C
parser queues its error behind the request under way, whose body then
stalls until the idle timeout or the client gives up (docs/known-issues.md).
What the hub must do then is keep nothing of it and go on serving.
"""

from __future__ import annotations

import asyncio
import json
import socket
import time

import pytest

from tests.hostile.conftest import snapshot
from tests.hostile.rawhttp import request_head
from tests.web.hubkit import Hub, header

pytestmark = pytest.mark.asyncio(loop_scope="module")

# A draft's header part, then the start of its PDF (draft uploads keep blobs).
FIRST_PART = (
    b'--x\r\nContent-Disposition: form-data; name="header"\r\n'
    b"Content-Type: application/json\r\n\r\n"
    + json.dumps(header()).encode()
    + b'\r\n--x\r\nContent-Disposition: form-data; name="file"; '
    b'filename="a.pdf"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.7\n'
    + b"0"
    * 70_000
)


def chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


def send_and_give_up(port: int, first: bytes, second: bytes) -> bytes:
    """Send ``first``, then ``second`` once the hub reads; close unanswered."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(first)
        time.sleep(0.3)
        sock.sendall(second)
        sock.settimeout(0.5)
        try:
            return sock.recv(65536)
        except TimeoutError:
            return b""


# aiohttp 3.14's C parser does not fail the body being read when a later
# chunk is malformed: the body stalls, and the hub answers 408 only after
# http.body_idle_timeout_s (tests/hostile/test_stalled.py); this client gives
# up first.
@pytest.mark.parametrize("fault", [b"zz\r\n", b"3\r\nabcdef\r\n0\r\n\r\n"])
async def test_late_chunk_fault_keeps_nothing(hub: Hub, fault: bytes) -> None:
    port = hub.client.server.port
    assert port is not None
    head = request_head(
        "POST", "/api/v1/drafts", port,
        [
            ("Authorization", "Bearer " + hub.tokens["a"]["signer"]),
            ("Content-Type", "multipart/form-data; boundary=x"),
            ("Transfer-Encoding", "chunked"),
        ],
    )  # fmt: skip
    before = snapshot(hub)

    answer = await asyncio.to_thread(
        send_and_give_up, port, head + chunk(FIRST_PART), fault
    )
    await asyncio.sleep(0.2)

    assert not answer.startswith(b"HTTP/1.1 5"), answer
    assert before.added(snapshot(hub)) == {}
    assert (await hub.client.get("/healthz")).status == 200
