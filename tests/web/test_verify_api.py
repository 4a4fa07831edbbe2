"""POST /api/v1/verify: anyone may ask whether a PDF's signatures hold.

No login; the PDF in the multipart part ``file``; the report as JSON, HTML
or text; refusals of the request as problems; a file the verifier cannot
read is answered with a report whose verdict is UNUSABLE (its problems say
why). Nothing under the shared test data yields a 5xx.
"""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import ClientResponse, FormData

from edocx.config import Settings, VerificationSettings
from edocx.pki.devpki import PKILayout, tsa_url
from edocx.pki.server import PKIServerThread
from tests.verification.pdfs import PKISigner, blank_pdf

from .hubkit import Hub, problem, running_hub

pytestmark = pytest.mark.asyncio(loop_scope="module")

VERIFY = "/api/v1/verify"


@pytest.fixture(scope="module")
def signed(
    dev_pki: PKILayout,
    pki_server: PKIServerThread,
    passphrase: bytes,
    test_settings: Settings,
) -> bytes:
    """PAdES B-LT by a person of the test PKI, which the hub trusts."""
    signer = PKISigner(dev_pki, passphrase, tsa_url(test_settings))
    return signer.sign(blank_pdf(), "person-a-signer")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def strict_hub(module_settings: Settings) -> AsyncIterator[Hub]:
    """A hub that verifies files of at most 1 MB, each within a millisecond."""
    bounds = VerificationSettings(max_upload_mb=1, timeout_s=0.001)
    settings = module_settings.model_copy(update={"verification": bounds})
    async with running_hub(settings) as hub:
        yield hub


def pdf_form(pdf: bytes, **extra: str) -> FormData:
    form = FormData()
    # A BytesIO: aiohttp warns that large raw bytes block the loop.
    form.add_field(
        "file", io.BytesIO(pdf), filename="x.pdf", content_type="application/pdf"
    )
    for name, value in extra.items():
        form.add_field(name, value)
    return form


async def verify(
    hub: Hub, pdf: bytes, *, query: str = "", headers: dict[str, str] | None = None
) -> ClientResponse:
    return await hub.client.post(
        VERIFY + query, data=pdf_form(pdf), headers=headers or {}
    )


async def report_of(response: ClientResponse) -> dict[str, Any]:
    assert response.status == 200, await response.text()
    assert response.content_type == "application/json"
    body: dict[str, Any] = await response.json()
    return body


async def test_anyone_may_verify_without_a_token(hub: Hub, signed: bytes) -> None:
    report = await report_of(await verify(hub, signed))

    assert report["verdict"] == "PASSED"
    (signature,) = report["signatures"]
    assert signature["indication"] == "TOTAL-PASSED"


async def test_a_token_is_neither_needed_nor_checked(hub: Hub, signed: bytes) -> None:
    bogus = {"Authorization": "Bearer edx_not-a-token"}
    anonymous = await report_of(await verify(hub, signed))

    with_bogus = await report_of(await verify(hub, signed, headers=bogus))

    assert with_bogus["verdict"] == anonymous["verdict"] == "PASSED"


async def test_a_tampered_file_fails(hub: Hub, signed: bytes) -> None:
    from tests.verification.pdfs import append_page_content

    report = await report_of(await verify(hub, append_page_content(signed)))

    assert report["verdict"] == "FAILED"


@pytest.mark.parametrize(
    ("query", "accept", "media_type", "marker"),
    [
        ("?format=html", None, "text/html", "<!doctype html"),
        ("", "text/html,application/xhtml+xml,*/*;q=0.8", "text/html", "<!doctype"),
        ("?format=text", None, "text/plain", "Verdict:    PASSED"),
        ("", "text/plain", "text/plain", "Verdict:    PASSED"),
        ("", "text/html;q=0.5, application/json", "application/json", '"verdict"'),
        ("", "*/*", "application/json", '"verdict"'),
        ("?format=json", "text/html", "application/json", '"verdict"'),
    ],
)
async def test_the_report_comes_in_the_format_asked(
    hub: Hub,
    signed: bytes,
    query: str,
    accept: str | None,
    media_type: str,
    marker: str,
) -> None:
    headers = {"Accept": accept} if accept else {}

    response = await verify(hub, signed, query=query, headers=headers)

    text = await response.text()
    assert response.status == 200, text
    assert response.content_type == media_type
    assert marker in text.lower() if marker.startswith("<") else marker in text


async def test_the_html_report_may_load_and_run_nothing(
    hub: Hub, signed: bytes
) -> None:
    response = await verify(hub, signed, query="?format=html")

    assert response.status == 200
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


async def test_an_unknown_format_is_refused(hub: Hub, signed: bytes) -> None:
    response = await verify(hub, signed, query="?format=xml")

    await problem(response, 400, "request-invalid")


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"GIF89a not a pdf", "not-a-pdf"),
        (b"", "not-a-pdf"),
    ],
)
async def test_a_file_that_is_no_pdf_gets_an_unusable_report(
    hub: Hub, data: bytes, code: str
) -> None:
    report = await report_of(await verify(hub, data))

    assert report["verdict"] == "UNUSABLE"
    assert code in [p["code"] for p in report["problems"]]


async def test_an_unsigned_pdf_says_nothing_to_verify(hub: Hub) -> None:
    report = await report_of(await verify(hub, blank_pdf()))

    assert report["signatures"] == []
    assert "no-signature" in [p["code"] for p in report["problems"]]


async def test_the_pdf_must_come_in_the_part_file(hub: Hub, signed: bytes) -> None:
    form = FormData(default_to_multipart=True)
    form.add_field("password", " ")
    missing = await hub.client.post(VERIFY, data=form)
    misnamed = FormData()
    misnamed.add_field("document", io.BytesIO(signed), filename="x.pdf")
    unexpected = await hub.client.post(VERIFY, data=misnamed)

    body = await problem(missing, 400, "request-invalid")
    assert "file" in body["detail"]
    await problem(unexpected, 400, "request-invalid")


async def test_the_body_must_be_multipart(hub: Hub, signed: bytes) -> None:
    response = await hub.client.post(
        VERIFY, data=signed, headers={"Content-Type": "application/pdf"}
    )

    await problem(response, 415, "media-type-unsupported")


async def test_beyond_the_upload_limit_is_413(strict_hub: Hub) -> None:
    big = b"%PDF-1.7\n" + b"0" * (2 * 1024 * 1024)

    response = await verify(strict_hub, big)

    body = await problem(response, 413, "upload-too-large")
    # The limit as configured, not the byte count with the multipart framing.
    assert "1 MB, verification.max_upload_mb" in body["detail"], body


async def test_beyond_the_limit_without_a_length_is_413(strict_hub: Hub) -> None:
    boundary = "edocx-test-boundary"
    head = (
        f"--{boundary}\r\nContent-Disposition: form-data; name=file; "
        'filename="x.pdf"\r\nContent-Type: application/pdf\r\n\r\n'
    ).encode()

    async def chunks() -> AsyncIterator[bytes]:
        yield head
        for _ in range(40):
            yield b"0" * 64 * 1024
        yield f"\r\n--{boundary}--\r\n".encode()

    response = await strict_hub.client.post(
        VERIFY,
        data=chunks(),
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )

    body = await problem(response, 413, "upload-too-large")
    assert "1 MB, verification.max_upload_mb" in body["detail"], body


async def test_a_declared_length_beyond_the_limit_is_refused_unread(
    strict_hub: Hub,
) -> None:
    # Ten gigabytes announced, a few bytes sent: the answer cannot wait for
    # the rest.
    server = strict_hub.client.server
    reader, writer = await asyncio.open_connection(server.host, server.port)
    writer.write(
        b"POST " + VERIFY.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: multipart/form-data; boundary=b\r\n"
        b"Content-Length: 10000000000\r\n\r\n--b\r\n"
    )
    await writer.drain()
    try:
        status_line = await asyncio.wait_for(reader.readline(), timeout=10)
    finally:
        writer.close()

    assert status_line.startswith(b"HTTP/1.1 413")


async def test_the_time_bound_is_a_problem_not_a_crash(
    strict_hub: Hub, signed: bytes
) -> None:
    response = await verify(strict_hub, signed)

    body = await problem(response, 422, "worker-timeout")
    assert "0.001" in body["detail"]


async def test_openapi_shows_the_route_as_public(hub: Hub) -> None:
    spec = await (await hub.client.get("/api/v1/openapi.json")).json()

    operation = spec["paths"][VERIFY]["post"]
    assert operation["security"] == []
    assert "x-roles" not in operation
    content = operation["responses"]["200"]["content"]
    assert set(content) == {"application/json", "text/html", "text/plain"}
    assert content["application/json"]["schema"]["$ref"].endswith("ValidationReport")


def _shared_files(test_data_dir: Path) -> list[Path]:
    folders = ("dss-pdf", "pdf-unsigned", "edxml")
    return sorted(
        path
        for folder in folders
        for path in (test_data_dir / folder).iterdir()
        if path.is_file()
    )


async def test_every_shared_file_gets_a_report_or_a_4xx(
    hub: Hub, test_data_dir: Path
) -> None:
    files = _shared_files(test_data_dir)
    assert len(files) > 100
    gate = asyncio.Semaphore(hub.settings.workers.processes)

    async def answer(path: Path) -> tuple[str, int, Any]:
        async with gate:
            pdf = await asyncio.to_thread(path.read_bytes)
            response = await verify(hub, pdf)
            return path.name, response.status, json.loads(await response.text())

    answers = await asyncio.gather(*(answer(path) for path in files))

    server_errors = [(name, body) for name, status, body in answers if status >= 500]
    assert server_errors == []
    for name, status, body in answers:
        assert (status == 200 and "verdict" in body) or (
            400 <= status < 500 and "type" in body
        ), name
    # The verifier's last line of defence turns a crash into this problem:
    # a traceback in disguise.
    crashed = [
        name
        for name, status, body in answers
        if status == 200 and "internal-error" in [p["code"] for p in body["problems"]]
    ]
    assert crashed == []
