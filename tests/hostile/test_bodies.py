"""Broken and oversized bodies: each refused with its own problem type.

Over-size uploads are refused from their declared length, before the body
is read, and a body with no declared length is cut off near the limit;
truncated multipart, the wrong media type, JSON with unknown or missing
fields or of the wrong shape all get a 4xx problem and keep nothing.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import select
import socket
import time
from typing import Any

import pytest
from aiohttp import FormData

from tests.hostile.conftest import refusal, snapshot
from tests.hostile.rawhttp import RawAnswer, exchange, read_answer, request_head
from tests.web.hubkit import PROBLEM, Hub, header

pytestmark = pytest.mark.asyncio(loop_scope="module")

MB = 1024 * 1024
TINY_PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def port_of(hub: Hub) -> int:
    port = hub.client.server.port
    assert port is not None
    return port


def bearer(hub: Hub, agency: str, person: str) -> tuple[str, str]:
    return ("Authorization", "Bearer " + hub.tokens[agency][person])


# Each route that takes a body, who may call it, its media type and limit.
BODY_ROUTES = {
    "drafts": ("/api/v1/drafts", ("a", "clerk"), "multipart/form-data; boundary=x", 50),
    "verify": ("/api/v1/verify", None, "multipart/form-data; boundary=x", 20),
    "edxml": ("/api/v1/edxml", ("a", "system"), "application/xml", 80),
    "copies": (
        "/api/v1/copies",
        ("a", "certifier"),
        "multipart/form-data; boundary=x",
        30,
    ),
    "status": ("/api/v1/documents/1/statuses", ("a", "clerk"), "application/json", 0),
}


def head_for(hub: Hub, name: str, length: int) -> bytes:
    path, who, media, _ = BODY_ROUTES[name]
    headers: list[tuple[str, bytes | str]] = [
        ("Content-Type", media),
        ("Content-Length", str(length)),
    ]
    if who is not None:
        headers.append(bearer(hub, *who))
    return request_head("POST", path, port_of(hub), headers)


@pytest.mark.parametrize("name", sorted(BODY_ROUTES))
async def test_declared_oversize_is_refused_before_the_body(
    hub: Hub, name: str
) -> None:
    # Two gigabytes are announced and ten bytes sent: the answer can only
    # come from the declared length, since the rest never arrives.
    data = head_for(hub, name, 2048 * MB) + b"0123456789"
    started = time.monotonic()

    answer = await asyncio.to_thread(exchange, port_of(hub), data, timeout=10)

    assert time.monotonic() - started < 5
    assert answer.status == 413, answer
    assert answer.json()["type"] == PROBLEM + "upload-too-large"


PART_HEAD = (
    b'--x\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"'
    b"\r\nContent-Type: application/pdf\r\n\r\n"
)


def send_unbounded(hub: Hub, name: str, cap: int) -> tuple[RawAnswer, int]:
    """Send a chunked body until the hub answers; return it and bytes sent."""
    path, who, media, _ = BODY_ROUTES[name]
    headers: list[tuple[str, bytes | str]] = [
        ("Content-Type", media),
        ("Transfer-Encoding", "chunked"),
    ]
    if who is not None:
        headers.append(bearer(hub, *who))
    chunk = b"%x\r\n%s\r\n" % (64 * 1024, b"\x00" * 64 * 1024)
    sent = 0
    with socket.create_connection(("127.0.0.1", port_of(hub)), timeout=30) as sock:
        sock.sendall(request_head("POST", path, port_of(hub), headers))
        if media.startswith("multipart/"):
            # One well-formed part that never ends.
            opening = PART_HEAD
            sock.sendall(b"%x\r\n%s\r\n" % (len(opening), opening))
        while sent < cap and not select.select([sock], [], [], 0)[0]:
            try:
                sock.sendall(chunk)
            except (BrokenPipeError, ConnectionResetError):
                break  # the hub answered and closed while a chunk was going
            sent += 64 * 1024
        return read_answer(sock, 30), sent


@pytest.mark.parametrize("name", ["verify", "edxml"])
async def test_undeclared_oversize_is_cut_off_near_the_limit(
    hub: Hub, name: str
) -> None:
    limit = BODY_ROUTES[name][3] * MB

    answer, sent = await asyncio.to_thread(send_unbounded, hub, name, 4 * limit)

    assert answer.status == 413, answer
    # What the sockets' buffers hold on loopback is the only slack.
    assert sent < limit + 24 * MB, sent


async def test_json_over_its_small_limit_is_refused(hub: Hub) -> None:
    body = json.dumps({"code": "03", "description": "x" * 100_000})

    response = await hub.post(
        ("a", "clerk"), "/documents/1/statuses", data=body,
        headers={"Content-Type": "application/json"},
    )  # fmt: skip

    assert (await refusal(response))["type"] == PROBLEM + "upload-too-large"


async def multipart_bytes() -> tuple[bytes, str]:
    form = FormData()
    form.add_field("header", json.dumps(header()), content_type="application/json")
    form.add_field(
        "file", io.BytesIO(TINY_PDF * 50), filename="a.pdf",
        content_type="application/pdf",
    )  # fmt: skip
    payload = form()
    chunks: list[bytes] = []

    class Sink:
        async def write(self, data: bytes) -> None:
            chunks.append(bytes(data))

    await payload.write(Sink())  # type: ignore[arg-type]
    return b"".join(chunks), payload.content_type


@pytest.mark.parametrize("cut", [0.1, 0.3, 0.6, 0.95, -3, -12])
async def test_truncated_multipart_is_refused(hub: Hub, cut: float) -> None:
    whole, media = await multipart_bytes()
    end = int(len(whole) * cut) if cut > 0 else len(whole) + int(cut)
    before = snapshot(hub)

    response = await hub.post(
        ("a", "clerk"), "/drafts", data=whole[:end], headers={"Content-Type": media}
    )

    assert (await refusal(response))["type"] == PROBLEM + "request-invalid"
    assert before.added(snapshot(hub)) == {}


# (path, who, media type, body): the wrong media type for the route.
WRONG_MEDIA = [
    ("/drafts", ("a", "clerk"), "application/json", b"{}"),
    ("/drafts", ("a", "clerk"), "application/pdf", TINY_PDF),
    ("/verify", ("a", "clerk"), "application/pdf", TINY_PDF),
    ("/verify", ("a", "clerk"), "text/plain", b"hello"),
    ("/edxml", ("a", "system"), "application/json", b"{}"),
    ("/edxml", ("a", "system"), "multipart/form-data; boundary=z", b"--z--\r\n"),
    ("/documents/1/statuses", ("a", "clerk"), "text/plain", b'{"code": "03"}'),
    ("/documents/1/statuses", ("a", "clerk"), "application/xml", b"<a/>"),
    ("/copies", ("a", "certifier"), "application/json", b"{}"),
    ("/duplicates", ("a", "certifier"), "application/xml", b"<a/>"),
]


@pytest.mark.parametrize(
    ("path", "who", "media", "body"), WRONG_MEDIA, ids=lambda v: str(v)[:24]
)
async def test_wrong_media_type_is_refused(
    hub: Hub, path: str, who: tuple[str, str], media: str, body: bytes
) -> None:
    before = snapshot(hub)

    response = await hub.post(who, path, data=body, headers={"Content-Type": media})

    assert (await refusal(response))["type"] == PROBLEM + "media-type-unsupported"
    assert before.added(snapshot(hub)) == {}


async def test_multipart_without_a_boundary_is_refused(hub: Hub) -> None:
    response = await hub.post(
        ("a", "clerk"), "/drafts", data=b"--x\r\n\r\n--x--\r\n",
        headers={"Content-Type": "multipart/form-data"},
    )  # fmt: skip

    assert (await refusal(response))["type"] == PROBLEM + "request-invalid"


# (body, problem): JSON bodies of the wrong shape for a status.
BAD_JSON: list[tuple[Any, str]] = [
    (b'{"code": "03", "mood": "happy"}', "body-field-unknown"),
    (b"{}", "request-invalid"),
    (b'{"description": "no code"}', "request-invalid"),
    (b"[]", "request-invalid"),
    (b'"03"', "request-invalid"),
    (b"null", "request-invalid"),
    (b'{"code": "03", "code": "02"}', "request-invalid"),
    (b'{"code": 3}', "request-invalid"),
    (b'{"code": "03"', "request-invalid"),
    (b"[" * 100_00 + b"]" * 100_00, "request-invalid"),
    (b'{"code": "\xff\xfe"}', "request-invalid"),
    (b'{"code": "03", "description": "\\ud800"}', "request-invalid"),
    (b"\xef\xbb\xbf{}", "request-invalid"),
    (b'{"code": "03", "reported_at": "yesterday"}', "request-invalid"),
]


@pytest.mark.parametrize(("body", "code"), BAD_JSON, ids=lambda v: str(v)[:30])
async def test_json_of_the_wrong_shape_is_refused(
    hub: Hub, body: bytes, code: str
) -> None:
    before = snapshot(hub)

    response = await hub.post(
        ("a", "clerk"), "/documents/1/statuses", data=body,
        headers={"Content-Type": "application/json"},
    )  # fmt: skip

    assert (await refusal(response))["type"] == PROBLEM + code
    assert before.added(snapshot(hub)) == {}


def raw_form(*parts: tuple[str, bytes, str | None]) -> tuple[bytes, str]:
    """A multipart body of (name, bytes, file name or None) parts, as sent."""
    chunks = []
    for name, data, file_name in parts:
        disposition = f'form-data; name="{name}"'
        if file_name is not None:
            disposition += f'; filename="{file_name}"'
        chunks.append(
            f"--q\r\nContent-Disposition: {disposition}\r\n\r\n".encode()
            + data
            + b"\r\n"
        )
    return b"".join(chunks) + b"--q--\r\n", "multipart/form-data; boundary=q"


# (parts, problem): text and JSON parts that are not what they claim.
BAD_PARTS = [
    ([("file", TINY_PDF, "a.pdf"), ("password", b"\xff\xfe", None)], "request-invalid"),
    ([("file", TINY_PDF, "a.pdf"), ("file", TINY_PDF, "b.pdf")], "request-invalid"),
    ([("file", TINY_PDF, "a.pdf"), ("extra", b"x", None)], "request-invalid"),
    ([("password", b"x", None)], "request-invalid"),
]


@pytest.mark.parametrize(("parts", "code"), BAD_PARTS, ids=lambda v: str(v)[:40])
async def test_bad_parts_of_a_verification_are_refused(
    hub: Hub, parts: list[tuple[str, bytes, str | None]], code: str
) -> None:
    body, media = raw_form(*parts)

    response = await hub.post(
        ("a", "clerk"), "/verify", data=body, headers={"Content-Type": media}
    )

    assert (await refusal(response))["type"] == PROBLEM + code


@pytest.mark.parametrize(
    "head", [b"\xff\xfe", b"not json", b"[]", b'{"type": ' * 5000], ids=repr
)
async def test_draft_header_that_is_not_a_json_object_is_refused(
    hub: Hub, head: bytes
) -> None:
    body, media = raw_form(("header", head, None), ("file", TINY_PDF, "a.pdf"))
    before = snapshot(hub)

    response = await hub.post(
        ("a", "clerk"), "/drafts", data=body, headers={"Content-Type": media}
    )

    assert (await refusal(response))["type"] == PROBLEM + "header-invalid"
    assert before.added(snapshot(hub)) == {}


def hang_up_half_way(hub: Hub) -> bytes:
    """Announce 100 kB, send the start of a PDF part, then stop writing."""
    headers: list[tuple[str, bytes | str]] = [
        ("Content-Type", "multipart/form-data; boundary=x"),
        ("Content-Length", "100000"),
        bearer(hub, "a", "clerk"),
    ]
    body = PART_HEAD + b"%PDF-1.7\n" + b"0" * 500
    with socket.create_connection(("127.0.0.1", port_of(hub)), timeout=10) as sock:
        sock.sendall(request_head("POST", "/api/v1/drafts", port_of(hub), headers))
        sock.sendall(body)
        sock.shutdown(socket.SHUT_WR)
        sock.settimeout(10)
        return sock.recv(65536)


async def test_body_cut_by_a_hang_up_keeps_nothing_and_logs_no_error(
    hub: Hub, caplog: pytest.LogCaptureFixture
) -> None:
    before = snapshot(hub)

    await asyncio.to_thread(hang_up_half_way, hub)
    await asyncio.sleep(0.3)

    assert before.added(snapshot(hub)) == {}
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
