"""A body that stops arriving is refused (408) once ``http.body_idle_timeout_s``
passes without a byte, and leaves nothing stored.

Two ways to stall: a client that sends less than its Content-Length and
waits, and a chunked upload whose later chunk aiohttp's parser refuses
after the hub began to read it (the read would otherwise never end).
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from edocx.config import Settings
from tests.hostile.conftest import snapshot
from tests.hostile.rawhttp import RawAnswer, read_answer, request_head
from tests.hostile.test_chunked import FIRST_PART, chunk
from tests.web.hubkit import Hub, hub_settings, running_hub

pytestmark = pytest.mark.asyncio(loop_scope="module")

IDLE_S = 1.0


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def impatient(
    test_settings: Settings,
    pki_server: object,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[Hub]:
    base = hub_settings(test_settings, Path(tmp_path_factory.mktemp("stalled")))
    http = base.http.model_copy(update={"body_idle_timeout_s": IDLE_S})
    async with running_hub(base.model_copy(update={"http": http})) as hub:
        yield hub


def _stall(port: int, first: bytes, then: bytes = b"") -> tuple[RawAnswer, float]:
    """Send ``first`` (and ``then`` a moment later), then wait for the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        started = time.monotonic()
        sock.sendall(first)
        if then:
            time.sleep(0.3)
            sock.sendall(then)
        answer = read_answer(sock, 10)
        return answer, time.monotonic() - started


def _port(hub: Hub) -> int:
    port = hub.client.server.port
    assert port is not None
    return port


async def test_a_body_shorter_than_its_length_is_refused(impatient: Hub) -> None:
    port = _port(impatient)
    token = impatient.tokens["b"]["clerk"]
    body = json.dumps({"code": "03"}).encode()
    head = request_head(
        "POST", "/api/v1/documents/1/statuses", port,
        [("Authorization", "Bearer " + token),
         ("Content-Type", "application/json"),
         ("Content-Length", str(len(body) + 100))],
    )  # fmt: skip
    before = snapshot(impatient)

    answer, took = await asyncio.to_thread(_stall, port, head + body)

    assert answer.status == 408, answer
    assert answer.json()["type"].endswith("/request-body-stalled")
    assert IDLE_S <= took < IDLE_S + 5
    assert before.added(snapshot(impatient)) == {}


async def test_a_late_bad_chunk_is_refused_in_bounded_time(impatient: Hub) -> None:
    port = _port(impatient)
    head = request_head(
        "POST", "/api/v1/drafts", port,
        [("Authorization", "Bearer " + impatient.tokens["a"]["signer"]),
         ("Content-Type", "multipart/form-data; boundary=x"),
         ("Transfer-Encoding", "chunked")],
    )  # fmt: skip
    before = snapshot(impatient)

    answer, took = await asyncio.to_thread(
        _stall, port, head + chunk(FIRST_PART), b"zz\r\n"
    )

    assert answer.status == 408, answer
    assert answer.json()["type"].endswith("/request-body-stalled")
    assert took < IDLE_S + 5
    assert before.added(snapshot(impatient)) == {}
    assert (await impatient.client.get("/healthz")).status == 200
