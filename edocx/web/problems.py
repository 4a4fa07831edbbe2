"""Errors as RFC 9457 problem details (``application/problem+json``).

Every refusal has a stable ``type`` URI made of :data:`PROBLEM_BASE` and the
error's code, which clients may match on; ``title`` is fixed per type,
``detail`` says what happened this time and ``hint`` what to do about it.
Unexpected failures are logged with their traceback and answered with a
generic 500 that reveals nothing of the internals.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

from edocx.errors import EdocxError, InputError

logger = logging.getLogger(__name__)

PROBLEM_BASE = "https://edocx.example/problems/"
PROBLEM_MEDIA_TYPE = "application/problem+json"


class UnauthenticatedError(EdocxError):
    code = "unauthenticated"
    status = 401
    title = "Valid credentials are required"


class RoleNotAllowedError(EdocxError):
    code = "role-not-allowed"
    status = 403
    title = "The caller's role may not use this operation"


class RequestInvalidError(InputError):
    code = "request-invalid"
    status = 400
    title = "The request is malformed"

    def __init__(
        self, detail: str, *, hint: str | None = None, errors: list[str] | None = None
    ) -> None:
        super().__init__(detail, hint=hint)
        self.extensions: dict[str, Any] = {"errors": errors} if errors else {}


class MediaTypeUnsupportedError(InputError):
    code = "media-type-unsupported"
    status = 415
    title = "The request body has the wrong media type"


class UploadTooLargeError(InputError):
    code = "upload-too-large"
    status = 413
    title = "The upload exceeds the size limit"


class IdempotencyKeyConflictError(EdocxError):
    code = "idempotency-key-conflict"
    status = 409
    title = "The Idempotency-Key was used with a different request"


class IdempotencyKeyInUseError(EdocxError):
    code = "idempotency-key-in-use"
    status = 409
    title = "A request with this Idempotency-Key is still running"

    def __init__(
        self, detail: str, *, hint: str | None = None, retry_after_s: int = 1
    ) -> None:
        super().__init__(detail, hint=hint)
        # Sent as Retry-After: the first request usually ends within seconds.
        self.retry_after_s = retry_after_s


class IdempotencyAnswerLostError(EdocxError):
    code = "idempotency-answer-lost"
    status = 409
    title = "The request with this Idempotency-Key ran; its answer was lost"


# Problems aiohttp raises itself, before a handler runs; HTTP_ERROR for any
# other status it raises.
HTTP_ERROR = "http-error"
HTTP_PROBLEMS = {
    404: ("not-found", "No such resource"),
    405: ("method-not-allowed", "Method not allowed on this resource"),
    413: (UploadTooLargeError.code, UploadTooLargeError.title),
}


def problem_type(code: str) -> str:
    return PROBLEM_BASE + code


def problem_response(
    *,
    code: str,
    status: int,
    title: str,
    detail: str,
    hint: str | None = None,
    extensions: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> web.Response:
    body: dict[str, Any] = {
        "type": problem_type(code),
        "title": title,
        "status": status,
        "detail": detail,
    }
    if hint:
        body["hint"] = hint
    body.update(extensions or {})
    return web.Response(
        status=status,
        body=json.dumps(body, ensure_ascii=False).encode("utf-8"),
        content_type=PROBLEM_MEDIA_TYPE,
        headers=headers,
    )


def error_response(error: EdocxError) -> web.Response:
    headers = _problem_headers(error)
    return problem_response(
        code=error.code,
        status=error.status,
        title=error.title,
        detail=error.detail,
        hint=error.hint,
        extensions=getattr(error, "extensions", None),
        headers=headers,
    )


def _problem_headers(error: EdocxError) -> dict[str, str] | None:
    if error.status == 401:
        return {"WWW-Authenticate": "Bearer"}
    retry_after = getattr(error, "retry_after_s", None)
    if isinstance(retry_after, int):
        return {"Retry-After": str(retry_after)}
    return None


@web.middleware
async def problem_middleware(
    request: web.Request, handler: Handler
) -> web.StreamResponse:
    """Turn every error into a problem response."""
    try:
        return await handler(request)
    except EdocxError as error:
        if error.status >= 500:
            logger.error("%s %s failed: %s", request.method, request.path, error.code)
        return error_response(error)
    except web.HTTPException as http:
        if http.status < 400:
            raise
        code, title = HTTP_PROBLEMS.get(http.status, (HTTP_ERROR, http.reason))
        return problem_response(
            code=code, status=http.status, title=title, detail=http.reason
        )
    except Exception:
        logger.exception("%s %s: unexpected failure", request.method, request.path)
        return problem_response(
            code="internal",
            status=500,
            title="Internal error",
            detail="the hub failed to handle the request; it has been logged",
        )


def known_problems() -> Iterator[type[EdocxError]]:
    """Yield every error class with its own problem type."""
    seen: set[str] = set()
    pending: list[type[EdocxError]] = [EdocxError]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls.code not in seen:
            seen.add(cls.code)
            yield cls


class BodyFieldUnknownError(InputError):
    """A JSON body names fields the operation does not take."""

    code = "body-field-unknown"
    status = 422
    title = "The request body has fields this operation does not take"

    def __init__(
        self, detail: str, *, hint: str | None = None, fields: list[str] | None = None
    ) -> None:
        super().__init__(detail, hint=hint)
        self.extensions: dict[str, Any] = {"fields": fields or []}


class FileNameUnsafeError(InputError):
    """A part's file name is a path, a device name or hides characters."""

    code = "file-name-unsafe"
    status = 400
    title = "The file name is not a plain file name"


class AuthorizationAmbiguousError(InputError):
    """A request carries more than one ``Authorization`` field."""

    code = "authorization-ambiguous"
    status = 400
    title = "The request has more than one Authorization field"


class RequestMalformedError(InputError):
    """aiohttp's HTTP parser refused the request line, a field or the chunking."""

    code = "request-malformed"
    status = 400
    title = "The request is not well-formed HTTP/1.1"


class RequestHeadTooLargeError(InputError):
    """The request line or a field is over the parser's limits, or too many fields."""

    code = "request-head-too-large"
    status = 400
    title = "The request line or header fields exceed the hub's limits"


class RequestBodyStalledError(InputError):
    code = "request-body-stalled"
    status = 408
    title = "The request body stopped arriving"
