"""Several TSAs tried in order, the error naming each, and the B-B downgrade.

The failing TSAs are loopback addresses set up here: a port nothing listens
on, and small HTTP servers answering garbage or 500. The dev PKI's TSA is
the one that works.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from pyhanko.keys import load_cert_from_pemder

from edocx.config import Settings, SigningSettings
from edocx.errors import TimestampError
from edocx.exchange.compute import SigningSetup
from edocx.pki.devpki import tsa_url
from edocx.signing import prepare_draft, sign_personal
from edocx.signing.issue import PERSONAL_FIELD
from edocx.signing.tsa import FallbackTimestamper, shown_url
from tests.conftest import free_port
from tests.signing import pdfcheck
from tests.signing.conftest import JobFactory


class _BadTSA(BaseHTTPRequestHandler):
    """Answer every timestamp request with a 500 or with a non-response."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.path == "/error":
            self.send_response(500)
            self.send_header("Content-Type", "text/plain")
            body = b"internal error"
        else:
            # The right content type, but the body is no TimeStampResp.
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            body = b"\x30\x03garbage"
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def bad_tsa() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _BadTSA)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture(scope="module")
def draft(unsigned_dir: Path) -> bytes:
    return prepare_draft((unsigned_dir / "EmptyPage.pdf").read_bytes(), None).pdf


@pytest.fixture(scope="module")
def failing(bad_tsa: str) -> tuple[str, ...]:
    refused = f"http://127.0.0.1:{free_port()}/tsa"
    return (refused, f"{bad_tsa}/garbage", f"{bad_tsa}/error")


def test_the_first_tsa_that_answers_stamps_the_signature(
    jobs: JobFactory, draft: bytes, failing: tuple[str, ...]
) -> None:
    job = replace(jobs.personal("doc-tsa-order"), tsa_urls=(*failing, jobs.tsa_url))

    signed = sign_personal(draft, job)

    reader = pdfcheck.read(signed)
    sig = pdfcheck.signature(reader, PERSONAL_FIELD)
    status = pdfcheck.validate_offline(reader, sig, jobs.pki.root_cert_path)
    pdfcheck.assert_passes(status)
    assert status.timestamp_validity is not None
    dev_tsa = load_cert_from_pemder(str(jobs.pki.cert_path("tsa")))
    assert status.timestamp_validity.signing_cert.dump() == dev_tsa.dump()


def test_when_no_tsa_answers_the_error_names_each_and_why(
    jobs: JobFactory, draft: bytes, failing: tuple[str, ...]
) -> None:
    job = replace(jobs.personal("doc-tsa-none"), tsa_urls=failing)

    with pytest.raises(TimestampError) as caught:
        sign_personal(draft, job)

    detail = caught.value.detail
    assert caught.value.code == "timestamp-unavailable"
    for url in failing:
        assert url in detail
    refused, garbage, error = (detail.split(url, 1)[1] for url in failing)
    assert refused.startswith(": connection refused;")
    assert garbage.startswith(": the answer is not a timestamp response")
    assert error.startswith(": HTTP status 500")


def test_a_downgrade_to_b_b_is_allowed_only_when_configured_and_never_silent(
    jobs: JobFactory,
    draft: bytes,
    failing: tuple[str, ...],
    caplog: pytest.LogCaptureFixture,
) -> None:
    job = replace(
        jobs.personal("doc-tsa-downgrade"),
        tsa_urls=failing,
        allow_downgrade_to_bb=True,
    )

    with caplog.at_level(logging.WARNING, logger="edocx.signing.pades"):
        signed = sign_personal(draft, job)

    reader = pdfcheck.read(signed)
    sig = pdfcheck.signature(reader, PERSONAL_FIELD)
    status = pdfcheck.validate_offline(reader, sig, jobs.pki.root_cert_path)
    assert status.bottom_line, status.pretty_print_details()
    assert status.timestamp_validity is None
    (record,) = [r for r in caplog.records if "B-B" in r.getMessage()]
    assert record.levelno == logging.WARNING
    assert "doc-tsa-downgrade" in record.getMessage()
    assert job.agency_code in record.getMessage()
    assert failing[0] in record.getMessage()


def test_a_tsa_that_never_answers_is_left_after_its_timeout(
    jobs: JobFactory,
) -> None:
    # Accepts the connection, never answers.
    silent = socket.create_server(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{silent.getsockname()[1]}/tsa"
    stamper = FallbackTimestamper((url, jobs.tsa_url), timeout_s=0.5)

    with silent:
        start = time.monotonic()
        token = asyncio.run(stamper.async_timestamp(bytes(32), "sha256"))
        waited = time.monotonic() - start
        alone = FallbackTimestamper((url,), timeout_s=0.2)
        with pytest.raises(TimestampError) as caught:
            asyncio.run(alone.async_timestamp(bytes(32), "sha256"))

    assert token["content_type"].native == "signed_data"
    assert 0.5 <= waited < 5
    assert f"{url}: no answer within the timeout" in caught.value.detail


def test_a_tsa_address_is_shown_without_its_credentials() -> None:
    shown = shown_url("http://user:secret@127.0.0.1:8318/tsa")

    assert shown == "http://127.0.0.1:8318/tsa"
    assert shown_url("http://127.0.0.1/tsa") == "http://127.0.0.1/tsa"


def test_the_configured_tsas_reach_the_signing_jobs(test_settings: Settings) -> None:
    listed = ["http://127.0.0.1:9/a", "http://127.0.0.1:9/b"]
    configured = test_settings.model_copy(
        update={"signing": SigningSettings(tsa_urls=listed, allow_downgrade_to_bb=True)}
    )

    default = SigningSetup.from_settings(test_settings, b"unused")
    setup = SigningSetup.from_settings(configured, b"unused")

    assert default.tsa_urls == (tsa_url(test_settings),)
    assert not default.allow_downgrade_to_bb
    assert setup.tsa_urls == tuple(listed)
    assert setup.allow_downgrade_to_bb
