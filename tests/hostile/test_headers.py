"""Header fields and request lines no client library would send.

Bytes that are not UTF-8, fields over any sane length, control characters
and malformed query strings: each gets a 4xx without a traceback, and the
hub's own parser limits hold.
"""

from __future__ import annotations

import asyncio
import logging

import pytest

from tests.hostile.conftest import assert_no_leak
from tests.hostile.rawhttp import RawAnswer, exchange, request_head
from tests.web.hubkit import PROBLEM, Hub

pytestmark = pytest.mark.asyncio(loop_scope="module")

PROBLEM_MEDIA = "application/problem+json"


def port_of(hub: Hub) -> int:
    port = hub.client.server.port
    assert port is not None
    return port


async def send(
    hub: Hub, method: str, path: str, headers: list[tuple[str, bytes | str]],
    body: bytes = b"",
) -> RawAnswer:  # fmt: skip
    if body:
        headers = [*headers, ("Content-Length", str(len(body)))]
    data = request_head(method, path, port_of(hub), headers) + body
    answer = await asyncio.to_thread(exchange, port_of(hub), data, timeout=20)
    assert_no_leak(answer.body.decode("utf-8", "replace"))
    return answer


def token(hub: Hub, agency: str, person: str) -> tuple[str, str]:
    return ("Authorization", "Bearer " + hub.tokens[agency][person])


def problem_code(answer: RawAnswer) -> str:
    assert answer.headers["content-type"].startswith(PROBLEM_MEDIA), answer
    kind: str = answer.json()["type"]
    assert kind.startswith(PROBLEM), kind
    return kind.removeprefix(PROBLEM)


# Authorization values that name no user: all get the same 401.
BAD_TOKENS = [
    b"Bearer \xff\xfe\xfd",
    b"Bearer \xc3\x28",
    b"Bearer edx_\xed\xa0\x80",
    b"Bearer " + b"A" * 4000,
    b"bearer",
    b"Basic YTpi",
    b"\xff",
]


@pytest.mark.parametrize("value", BAD_TOKENS, ids=lambda v: repr(v[:14]))
async def test_undecodable_or_odd_token_is_unauthenticated(
    hub: Hub, value: bytes
) -> None:
    answer = await send(hub, "GET", "/api/v1/me", [("Authorization", value)])

    assert answer.status == 401, answer
    assert problem_code(answer) == "unauthenticated"


@pytest.mark.parametrize(
    "value", [b"\xff\xfe", b"k" * 300, b"", b"\xe2\x80\x8b"], ids=repr
)
async def test_bad_idempotency_key_is_refused(hub: Hub, value: bytes) -> None:
    headers = [
        token(hub, "a", "system"),
        ("Content-Type", "application/xml"),
        ("Idempotency-Key", value),
    ]

    answer = await send(hub, "POST", "/api/v1/edxml", headers, b"<a/>")

    assert answer.status == 400, answer
    assert problem_code(answer) == "request-invalid"


# Other fields the hub reads: it must not stumble on any of them.
ODD_FIELDS = [
    ("X-Request-Id", b"\xff\xfe\x00"),
    ("X-Request-Id", b"r" * 5000),
    ("Accept", b"\xff/\xfe"),
    ("Accept", b"text/html;q=\xff, */*;q=-1"),
    ("Accept-Language", b"\xc3\x28"),
    ("Content-Type", b"multipart/form-data; boundary=\xff\xfe"),
    ("Content-Type", b"multipart/form-data; boundary=" + b"b" * 2000),
    ("Content-Type", b"\xff"),
    ("Content-Length", b"12abc"),
    ("Content-Length", b"-5"),
    ("Transfer-Encoding", b"gzip, chunked"),
]


@pytest.mark.parametrize(("name", "value"), ODD_FIELDS, ids=lambda v: repr(v)[:20])
async def test_odd_header_field_gets_no_server_error(
    hub: Hub, name: str, value: bytes
) -> None:
    headers: list[tuple[str, bytes | str]] = [
        token(hub, "a", "clerk"),
        ("Content-Type", "multipart/form-data; boundary=x"),
    ]
    headers = [h for h in headers if h[0].lower() != name.lower()] + [(name, value)]

    answer = await send(hub, "POST", "/api/v1/verify", headers, b"--x--\r\n")

    assert 400 <= answer.status < 500, answer
    if answer.headers.get("content-type", "").startswith(PROBLEM_MEDIA):
        problem_code(answer)


# TODO(#8): aiohttp's HTTP parser answers these before any middleware runs,
# in plain text (no traceback; the offending line quoted back to its
# sender); a problem+json answer would need aiohttp's private handler class.
@pytest.mark.parametrize(
    ("name", "value"),
    [("Authorization", b"Bearer edx_\x01\x02"), ("Idempotency-Key", b"k\x00y")],
    ids=["token", "key"],
)
async def test_control_character_in_a_field_is_refused_by_the_parser(
    hub: Hub, name: str, value: bytes
) -> None:
    answer = await send(hub, "GET", "/api/v1/me", [(name, value)])

    assert answer.status == 400, answer
    assert b"Invalid header value char" in answer.body


async def test_over_long_header_field_is_refused_by_the_parser(hub: Hub) -> None:
    headers: list[tuple[str, bytes | str]] = [("X-Padding", b"p" * 20_000)]

    answer = await send(hub, "GET", "/healthz", headers)

    assert answer.status in (400, 431), answer


async def test_thousands_of_header_fields_are_refused(hub: Hub) -> None:
    headers: list[tuple[str, bytes | str]] = [
        (f"X-F{n}", b"v" * 100) for n in range(2000)
    ]

    answer = await send(hub, "GET", "/healthz", headers)

    assert answer.status in (400, 431), answer


async def test_over_long_request_line_is_refused(hub: Hub) -> None:
    answer = await send(hub, "GET", "/api/v1/documents?q=" + "x" * 20_000, [])

    assert answer.status in (400, 414), answer


# Query strings and paths that decode to nothing sensible.
ODD_TARGETS = [
    "/api/v1/documents?limit=%ff%fe",
    "/api/v1/documents?limit=-1",
    "/api/v1/documents?limit=99999999999999999999999",
    "/api/v1/audit/tree-head?tree_size=9223372036854775808",
    "/api/v1/audit/entries?start=-9223372036854775809",
    "/api/v1/audit/consistency?first=1&second=99999999999999999999",
    "/api/v1/audit/entries/9223372036854775808/proof",
    "/api/v1/audit/events?after=9223372036854775808",
    "/api/v1/documents?limit=1&limit=2",
    "/api/v1/documents?%00=%00",
    "/api/v1/documents?nosuch=1",
    "/api/v1/documents/%00",
    "/api/v1/documents/%ff%fe",
    "/api/v1/documents/1%2f..%2f..%2fagencies",
    "/api/v1/documents/99999999999999999999999999",
    "/api/v1/documents/-1/pdf",
    "/api/v1/copies/..%2f..%2fetc%2fpasswd",
    "/api/v1/duplicates/%00%00/pdf",
    "/api/v1/audit/entries/NaN/proof",
    "/api/v1/duplicates/%c3%28",
]


@pytest.mark.parametrize("target", ODD_TARGETS)
async def test_odd_path_or_query_gets_a_problem(hub: Hub, target: str) -> None:
    # The audit log's routes are for its keepers; the rest for agency staff.
    who = ("hub", "admin") if target.startswith("/api/v1/audit") else ("a", "clerk")
    headers: list[tuple[str, bytes | str]] = [token(hub, *who)]

    answer = await send(hub, "GET", target, headers)

    assert 400 <= answer.status < 500, answer
    problem_code(answer)


async def test_copy_page_with_an_undecodable_code_is_a_page(hub: Hub) -> None:
    answer = await send(hub, "GET", "/c/%c3%28%00", [])

    assert answer.status == 404, answer
    assert answer.headers["content-type"].startswith("text/html")


async def test_token_in_a_malformed_field_stays_out_of_the_log(
    hub: Hub, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    secret = hub.tokens["a"]["clerk"]
    headers: list[tuple[str, bytes | str]] = [
        ("Authorization", b"Bearer " + secret.encode() + b"\x01")
    ]

    answer = await send(hub, "GET", "/api/v1/me", headers)

    assert answer.status == 400, answer
    assert secret not in caplog.text
    refused = [r for r in caplog.records if r.name == "aiohttp.server"]
    assert refused and all(r.levelno == logging.WARNING for r in refused)
    assert "malformed HTTP request" in refused[0].getMessage()
