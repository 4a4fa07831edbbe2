"""Answer and log the requests aiohttp refuses before any middleware runs.

aiohttp's HTTP parser refuses a request with a broken request line, header
field or chunked body before the application sees it. aiohttp itself would
answer in plain text quoting the offending line back, and log the refusal
at ERROR with a traceback whose message quotes it too, so a token sent with
a stray control character would land in the log whole. Here the answer is
a problem document with a stable type whose detail names the kind of fault
(never its bytes), and the log record becomes one WARNING line naming the
kind of fault and the client's address.
"""

from __future__ import annotations

import logging
from http import HTTPStatus

from aiohttp import web
from aiohttp.http_exceptions import (
    BadHttpMessage,
    BadStatusLine,
    InvalidURLError,
    LineTooLong,
)

from edocx.errors import EdocxError
from edocx.web.problems import (
    HTTP_ERROR,
    HTTP_PROBLEMS,
    RequestHeadTooLargeError,
    RequestMalformedError,
    problem_response,
)

# The logger aiohttp's request handler writes to (aiohttp.log.server_logger).
SERVER_LOGGER = "aiohttp.server"

# Words of the parser's own messages (aiohttp 3.14's C parser, the hub's)
# that tell one kind of fault from another. The message itself quotes the
# request, so it only picks the detail and never goes into the answer.
_TOO_MANY_FIELDS = "too many headers"
_FAULTS = (
    ("chunk", "the chunked body is not valid chunked transfer coding"),
    ("transfer-encoding", "the Transfer-Encoding field is invalid or conflicting"),
    ("content-length", "the Content-Length field is invalid or repeated"),
    ("header", "a header field's name or value holds a byte HTTP does not allow"),
)
_MALFORMED = "the request breaks HTTP/1.1 syntax"
_MALFORMED_HINT = "send the request with a conforming HTTP/1.1 client"


def parser_refusal(status: int, error: BaseException | None) -> web.Response:
    """The problem answer for an error aiohttp's request handler meets.

    ``status`` is the one aiohttp chose: 400 for a request its parser
    refused, 500 for an exception that escaped every middleware, 504 for a
    ``TimeoutError`` that did.
    """
    if status == HTTPStatus.INTERNAL_SERVER_ERROR:
        return problem_response(
            code=EdocxError.code,
            status=status,
            title=EdocxError.title,
            detail="the hub failed to handle the request; it has been logged",
        )
    if isinstance(error, BadHttpMessage):
        return _malformed(status, error)
    code, title = HTTP_PROBLEMS.get(status, (HTTP_ERROR, HTTPStatus(status).phrase))
    return problem_response(
        code=code, status=status, title=title, detail=HTTPStatus(status).phrase
    )


def _malformed(status: int, error: BadHttpMessage) -> web.Response:
    described = error.message.partition(":")[0].lower()
    if isinstance(error, LineTooLong) or _TOO_MANY_FIELDS in described:
        return problem_response(
            code=RequestHeadTooLargeError.code,
            status=status,
            title=RequestHeadTooLargeError.title,
            detail="the request line, a header field or the number of fields "
            "is over the limit",
            hint="keep the request line and each field under 8190 bytes and "
            "send at most 128 fields",
        )
    return problem_response(
        code=RequestMalformedError.code,
        status=status,
        title=RequestMalformedError.title,
        detail=_fault_of(error),
        hint=_MALFORMED_HINT,
    )


def _fault_of(error: BadHttpMessage) -> str:
    if isinstance(error, (BadStatusLine, InvalidURLError)):
        return "the request line is not a method, a target and an HTTP version"
    # Only the parser's description, before the quoted request bytes.
    described = error.message.partition(":")[0].lower()
    for word, detail in _FAULTS:
        if word in described:
            return detail
    return _MALFORMED


class MalformedRequestFilter(logging.Filter):
    """Rewrite the parser's refusals; let every other record through as is."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, BadHttpMessage):
            address = record.args[0] if isinstance(record.args, tuple) else "-"
            record.msg = "refused a malformed HTTP request from %s: %s (status %d)"
            record.args = (address, type(error).__name__, error.code)
            record.exc_info = None
            record.exc_text = None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


def install_log_filter() -> None:
    """Add the filter to aiohttp's server logger, once per process."""
    logger = logging.getLogger(SERVER_LOGGER)
    if not any(isinstance(f, MalformedRequestFilter) for f in logger.filters):
        logger.addFilter(MalformedRequestFilter())
