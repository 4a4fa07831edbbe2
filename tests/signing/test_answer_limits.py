"""A TSA, OCSP responder or CRL server that sends too much is left early.

The server here declares a body of 4 GB, or announces none (chunked), and
streams zeros until the client hangs up; it counts what it could send. The
client must give up at its limit, with an error naming the server, and the
server must find the connection closed long before the declared size.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import aiohttp
import pytest

from edocx.errors import TimestampError
from edocx.signing.tsaclient import (
    CRL_ANSWER_LIMIT,
    OCSP_ANSWER_LIMIT,
    KeptFallbackTimestamper,
    revocation_fetchers,
)
from tests.signing.conftest import JobFactory

DECLARED = 4_000_000_000
# What the server may stream before giving up on its own: far past every
# limit, so a client that reads on would be caught.
STREAM_CAP = 256 << 20
_BLOCK = bytes(64 << 10)


@dataclass
class _Tally:
    """What the server sent per request, and whether the client hung up."""

    sent: list[int] = field(default_factory=list)
    hung_up: list[bool] = field(default_factory=list)
    done: threading.Event = field(default_factory=threading.Event)


class _Flood(BaseHTTPRequestHandler):
    """Answer with zeros: /declared says 4 GB, /chunked says nothing."""

    protocol_version = "HTTP/1.1"
    tally: _Tally

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self._flood()

    def do_GET(self) -> None:
        self._flood()

    def _flood(self) -> None:
        chunked = self.path.startswith("/chunked")
        self.send_response(200)
        self.send_header("Content-Type", "application/timestamp-reply")
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(DECLARED))
        self.end_headers()
        self._stream(chunked)

    def _stream(self, chunked: bool) -> None:
        sent, hung_up = 0, False
        frame = b"%x\r\n%s\r\n" % (len(_BLOCK), _BLOCK) if chunked else _BLOCK
        try:
            while sent < STREAM_CAP:
                self.wfile.write(frame)
                sent += len(_BLOCK)
        except (BrokenPipeError, ConnectionResetError):
            hung_up = True
        self.close_connection = True
        self.tally.sent.append(sent)
        self.tally.hung_up.append(hung_up)
        self.tally.done.set()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def flood() -> Iterator[tuple[str, _Tally]]:
    tally = _Tally()
    handler = type("Flood", (_Flood,), {"tally": tally})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", tally
    server.shutdown()
    server.server_close()
    thread.join()


def _stopped_early(tally: _Tally) -> None:
    assert tally.done.wait(30), "the server is still streaming"
    assert tally.hung_up == [True] * len(tally.sent)
    # Socket buffers take a few MB; the client read little of them.
    assert all(sent < 64 << 20 for sent in tally.sent), tally.sent


@pytest.mark.parametrize("path", ["/declared", "/chunked"])
def test_a_tsa_answering_too_much_is_left_for_the_next(
    jobs: JobFactory, flood: tuple[str, _Tally], path: str
) -> None:
    base, tally = flood
    url = base + path
    alone = KeptFallbackTimestamper((url,), timeout_s=5)
    with_next = KeptFallbackTimestamper((url, jobs.tsa_url), timeout_s=5)

    with pytest.raises(TimestampError) as caught:
        asyncio.run(alone.async_timestamp(bytes(32), "sha256"))
    token = asyncio.run(with_next.async_timestamp(bytes(32), "sha256"))
    with_next.close()

    assert f"{url}: answer larger than 1 MiB" in caught.value.detail
    assert token["content_type"].native == "signed_data"
    _stopped_early(tally)
    assert len(tally.sent) == 2


async def _fetch(url: str, accept: str) -> bytes:
    # The flood server runs on loopback: allowed as a configured origin.
    backend = revocation_fetchers((url,)).backend
    session = backend.get_fetchers().crl_fetcher.get_session()
    try:
        method = "POST" if "ocsp" in accept else "GET"
        headers = {"Accept": accept}
        async with session.request(method, url, headers=headers) as response:
            body: bytes = await response.read()
            return body
    finally:
        await backend.close()


@pytest.mark.parametrize(
    ("accept", "limit"),
    [
        ("application/ocsp-response", OCSP_ANSWER_LIMIT),
        ("application/pkix-crl", CRL_ANSWER_LIMIT),
    ],
)
@pytest.mark.parametrize("path", ["/declared", "/chunked"])
def test_revocation_fetchers_stop_at_the_limit_of_their_kind(
    flood: tuple[str, _Tally], path: str, accept: str, limit: int
) -> None:
    base, tally = flood
    url = base + path

    # pyHanko's fetchers turn a ClientError into their fetch error.
    with pytest.raises(aiohttp.ClientPayloadError) as caught:
        asyncio.run(_fetch(url, accept))

    assert f"{url}: answer larger than {limit >> 20} MiB" in str(caught.value)
    _stopped_early(tally)
