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

Field = tuple[str, bytes | str]


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
    headers: list[Field] = [
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
    problem_code(answer)


# Requests aiohttp's HTTP parser refuses before any middleware runs. The
# hub's request handler answers them (edocx.web.runner) with the status
# aiohttp chose and a problem that quotes nothing of the request back.
PARSER_REFUSALS: list[tuple[str, str, list[Field], bytes, str, bytes]] = [
    # method, target, fields, body, problem code, bytes the answer must not hold
    ("GET", "/api/v1/me", [("Authorization", b"Bearer edx_\x01\x02")], b"",
     "request-malformed", b"edx_"),
    ("GET", "/api/v1/me", [("Idempotency-Key", b"k\x00y")], b"",
     "request-malformed", b"Idempotency"),
    ("GET", "/healthz", [("X-Padding", b"pad" * 7000)], b"",
     "request-head-too-large", b"padpad"),
    ("GET", "/healthz", [(f"X-F{n}", b"v" * 100) for n in range(2000)], b"",
     "request-head-too-large", b"X-F1"),
    ("GET", "/api/v1/documents?q=" + "qz" * 10_000, [], b"",
     "request-head-too-large", b"qzqz"),
    ("GET", "/healthz", [("X-No-Colon-Here\r\nBare", b"")], b"",
     "request-malformed", b"X-No-Colon"),
    ("POST", "/api/v1/verify", [("Transfer-Encoding", b"bogus")], b"",
     "request-malformed", b"bogus"),
    ("POST", "/api/v1/verify", [("Transfer-Encoding", b"chunked")],
     b"zz\r\nabc\r\n0\r\n\r\n", "request-malformed", b"zz"),
    ("POST", "/api/v1/verify",
     [("Content-Length", b"5"), ("Transfer-Encoding", b"chunked")],
     b"0\r\n\r\n", "request-malformed", b"Content-Length"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("method", "target", "fields", "body", "code", "quoted"),
    PARSER_REFUSALS,
    ids=[
        "control char in token", "NUL in key", "over-long field",
        "2000 fields", "over-long request line", "field without colon",
        "unknown transfer coding", "bad chunk size", "length and chunked",
    ],
)  # fmt: skip
async def test_parser_refusal_is_a_problem(
    hub: Hub, method: str, target: str, fields: list[Field], body: bytes,
    code: str, quoted: bytes,
) -> None:  # fmt: skip
    head = request_head(method, target, port_of(hub), fields)

    answer = await send_raw(hub, head + body)

    assert_parser_refusal(answer, code, quoted)


BROKEN_REQUEST_LINES = [
    b"GET\r\n",
    b"GET /healthz HTTP/9.x\r\n",
    b"G@T /healthz HTTP/1.1\r\n",
    b"GET /he\x00althz HTTP/1.1\r\n",
    b"GET /healthz HTTP/1.1 extra\r\n",
]


@pytest.mark.parametrize("line", BROKEN_REQUEST_LINES, ids=repr)
async def test_broken_request_line_is_a_problem(hub: Hub, line: bytes) -> None:
    answer = await send_raw(hub, line + b"Host: h\r\nX-Mark: m4rk\r\n\r\n")

    assert_parser_refusal(answer, "request-malformed", b"m4rk")


async def send_raw(hub: Hub, data: bytes) -> RawAnswer:
    answer = await asyncio.to_thread(exchange, port_of(hub), data, timeout=20)
    assert_no_leak(answer.body.decode("utf-8", "replace"))
    return answer


def assert_parser_refusal(answer: RawAnswer, code: str, quoted: bytes) -> None:
    assert answer.status == 400, answer
    assert problem_code(answer) == code
    problem = answer.json()
    assert problem["status"] == 400 and problem["title"] and problem["detail"]
    assert answer.headers["connection"].lower() == "close", answer
    assert quoted not in answer.body, answer


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

    assert_parser_refusal(answer, "request-malformed", secret.encode())
    assert secret not in caplog.text
    refused = [r for r in caplog.records if r.name == "aiohttp.server"]
    assert refused and all(r.levelno == logging.WARNING for r in refused)
    assert "malformed HTTP request" in refused[0].getMessage()
