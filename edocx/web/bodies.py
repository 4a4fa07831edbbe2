"""Reading request bodies: JSON into models, multipart into parts, bounded.

Malformed bodies are the caller's fault and get a 4xx problem, never a 500.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Annotated, Any, Literal, TypeVar
from urllib.parse import unquote

from aiohttp import BodyPartReader, web
from pydantic import AfterValidator, BaseModel, StringConstraints, ValidationError

from edocx.config import Settings
from edocx.errors import EdocxError
from edocx.exchange.header import DuplicateKeyError, loads_strict, refuse_invisible
from edocx.filenames import unsafe_file_name
from edocx.web.keys import SETTINGS
from edocx.web.problems import (
    BodyFieldUnknownError,
    FileNameUnsafeError,
    MediaTypeUnsupportedError,
    RequestBodyStalledError,
    RequestInvalidError,
    UploadTooLargeError,
)

logger = logging.getLogger(__name__)

T = TypeVar("T")

_CHUNK = 256 * 1024
MALFORMED_MULTIPART = (
    "the body is not well-formed multipart/form-data: its boundary, a part's "
    "headers or a part's contents are broken; send the file again as a form "
    "upload"
)


def _refuse_hidden(text: str) -> str:
    return refuse_invisible(text, allowed=_LINE_BREAKS)


_LINE_BREAKS = frozenset("\n\t")
# Free text shown to others (a reason, a note): it may span lines, but no
# other control or invisible character may hide or reorder what it says.
Paragraph = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1),
    AfterValidator(_refuse_hidden),
]


@dataclass(frozen=True)
class Part:
    """One part a multipart operation accepts (also documents it in OpenAPI)."""

    name: str
    kind: Literal["json", "binary", "text"]
    required: bool
    description: str
    model: type[BaseModel] | None = None


async def read_json(
    request: web.Request, model: type[BaseModel], limit: int
) -> tuple[Any, bytes]:
    """Read a JSON body (bounded); return it validated, and its raw bytes."""
    if request.content_type != "application/json":
        raise MediaTypeUnsupportedError("send the body as application/json")
    raw = await _read_bounded(request, limit)
    try:
        data = loads_strict(raw)
    except DuplicateKeyError as e:
        raise RequestInvalidError(str(e), hint="name each field once") from e
    except (ValueError, UnicodeDecodeError, RecursionError) as e:
        # RecursionError: arrays or objects nested thousands deep.
        raise RequestInvalidError(
            "the body is not valid JSON (or is nested too deeply)"
        ) from e
    try:
        value = model.model_validate(data)
    except ValidationError as e:
        raise _unknown_fields(e) or validation_problem(e) from e
    check_integers(value)
    return value, raw


# SQLite keeps integers in 64 bits: a larger one among a statement's
# parameters raises OverflowError there instead of matching nothing.
_SQL_INT = range(-(2**63), 2**63)


def check_integers(value: Any, where: str = "") -> None:
    """Refuse an integer beyond 64 bits anywhere in a validated input."""
    if isinstance(value, BaseModel):
        for name, item in value:
            check_integers(item, f"{where}.{name}" if where else name)
    elif isinstance(value, dict):
        for name, item in value.items():
            check_integers(item, f"{where}.{name}" if where else str(name))
    elif isinstance(value, (list, tuple)):
        for n, item in enumerate(value):
            check_integers(item, f"{where}[{n}]")
    elif isinstance(value, int) and value not in _SQL_INT:
        problem = f"{where or 'body'}: the number is out of range"
        raise RequestInvalidError("invalid request: " + problem, errors=[problem])


def check_json_parts(parts: dict[str, bytes], described: tuple[Part, ...]) -> None:
    """Refuse a JSON part whose numbers are beyond 64 bits.

    The handler parses and judges each part itself, with its own problem
    types; a part that does not validate here is left to it.
    """
    for part in described:
        raw = parts.get(part.name)
        if part.kind != "json" or part.model is None or raw is None:
            continue
        try:
            value = part.model.model_validate(loads_strict(raw))
        except (ValueError, UnicodeDecodeError, RecursionError):
            continue  # ValidationError and DuplicateKeyError are ValueErrors
        check_integers(value, part.name)


def _unknown_fields(error: ValidationError) -> BodyFieldUnknownError | None:
    # Unknown fields alone get the problem type every JSON body shares
    # (sign and issue take none); anything else wrong is request-invalid.
    items = error.errors()
    if not items or any(item["type"] != "extra_forbidden" for item in items):
        return None
    fields = [".".join(str(p) for p in item["loc"]) for item in items]
    return BodyFieldUnknownError(
        "the body has field(s) this operation does not take: " + ", ".join(fields),
        hint="leave them out; the API reference lists each operation's fields",
        fields=fields,
    )


def validation_problem(error: ValidationError) -> RequestInvalidError:
    problems = [
        f"{'.'.join(str(p) for p in item['loc']) or 'body'}: {item['msg']}"
        for item in error.errors()
    ]
    return RequestInvalidError(
        "invalid request: " + "; ".join(problems), errors=problems
    )


async def read_raw(
    request: web.Request, media_types: tuple[str, ...], limit: int, described: str
) -> bytes:
    """Read a body taken as it is (an edXML packet), bounded by ``limit``."""
    if request.content_type not in media_types:
        raise MediaTypeUnsupportedError("send the body as " + " or ".join(media_types))
    return await _read_bounded(request, limit, _too_large(described))


async def _read_bounded(
    request: web.Request, limit: int, too_large: UploadTooLargeError | None = None
) -> bytes:
    refused = too_large or UploadTooLargeError(f"the body exceeds {limit} bytes")
    if request.content_length is not None and request.content_length > limit:
        raise refused
    chunks: list[bytes] = []
    size = 0
    idle_s = _idle_s(request)
    while chunk := await _arriving(request.content.read(_CHUNK), idle_s):
        size += len(chunk)
        if size > limit:
            raise refused
        chunks.append(chunk)
    return b"".join(chunks)


def _idle_s(request: web.Request) -> float:
    settings: Settings = request.app[SETTINGS]
    return settings.http.body_idle_timeout_s


async def _arriving(read: Awaitable[T], idle_s: float) -> T:
    """Await one read of the body, refusing it when nothing arrives for a while.

    A client that stalls, and a chunk aiohttp's parser refuses after the body
    began to be read (the read then never ends), both end here.
    """
    try:
        async with asyncio.timeout(idle_s):
            return await read
    except TimeoutError as e:
        raise RequestBodyStalledError(
            f"no byte of the body arrived for {idle_s:g} s",
            hint="send the whole body at once; a chunked body must be well formed",
        ) from e


async def read_parts(
    request: web.Request, parts: tuple[Part, ...], limit: int, described: str = ""
) -> dict[str, bytes]:
    """Read a multipart/form-data body into ``{name: bytes}``, bounded.

    ``limit`` includes the multipart framing; ``described`` is the limit as
    the configuration states it ("20 MB, verification.max_upload_mb"), which
    is what a caller can act on.
    """
    if request.content_type != "multipart/form-data":
        raise MediaTypeUnsupportedError("send the body as multipart/form-data")
    too_large = _too_large(described or f"{limit} bytes")
    if request.content_length is not None and request.content_length > limit:
        raise too_large

    wanted = {part.name for part in parts}
    found: dict[str, bytes] = {}
    idle_s = _idle_s(request)
    try:
        reader = await request.multipart()
        budget = limit
        while (item := await _arriving(reader.next(), idle_s)) is not None:
            if not isinstance(item, BodyPartReader):
                raise RequestInvalidError("nested multipart bodies are not accepted")
            _check_file_name(item)
            data = await _read_part(item, budget, too_large, idle_s)
            budget -= len(data)
            _keep(found, wanted, item.name, data)
    except EdocxError:
        raise
    except Exception as e:
        # aiohttp's multipart reader raises ValueError, AssertionError,
        # InvalidHeader and others on a malformed body: all are the caller's.
        logger.info("malformed multipart body: %r", e)
        raise RequestInvalidError(MALFORMED_MULTIPART) from e

    _check_required(found, parts)
    return found


def _check_file_name(part: BodyPartReader) -> None:
    # The hub names its files itself and ignores a part's file name; one that
    # is a path or a device name is refused all the same, as a sign of a
    # confused or hostile client, before its contents are read.
    # Some clients percent-encode the name (aiohttp does) and a reader may
    # decode it: both readings must be plain.
    name = part.filename
    if name is None:
        return
    reason = unsafe_file_name(name) or unsafe_file_name(unquote(name))
    if reason is not None:
        raise FileNameUnsafeError(
            f"part {part.name!r} has the file name {name!r}: {reason}",
            hint="send the file under its plain name, without folders",
        )


def _too_large(described: str) -> UploadTooLargeError:
    return UploadTooLargeError(f"the upload exceeds the configured limit ({described})")


async def _read_part(
    part: BodyPartReader, budget: int, too_large: UploadTooLargeError, idle_s: float
) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while chunk := await _arriving(part.read_chunk(_CHUNK), idle_s):
        size += len(chunk)
        if size > budget:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


def _keep(
    found: dict[str, bytes], wanted: set[str], name: str | None, data: bytes
) -> None:
    if name not in wanted:
        raise RequestInvalidError(
            f"unexpected part {name!r}", hint="parts: " + ", ".join(sorted(wanted))
        )
    if name in found:
        raise RequestInvalidError(f"part {name!r} was sent twice")
    found[name] = data


def _check_required(found: dict[str, bytes], parts: tuple[Part, ...]) -> None:
    missing = [p.name for p in parts if p.required and p.name not in found]
    if missing:
        raise RequestInvalidError(
            "missing part(s): " + ", ".join(missing),
            hint="send a multipart/form-data body with these parts",
        )


def text_part(parts: dict[str, bytes], name: str) -> str | None:
    """Return a text part decoded as UTF-8, or None when absent."""
    raw = parts.get(name)
    if raw is None:
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise RequestInvalidError(f"part {name!r} is not UTF-8 text") from e


# The body an operation without input may still carry (``{}``, say).
NO_INPUT_LIMIT = 64 * 1024


async def read_unasked(request: web.Request) -> bytes:
    """Read the body of an operation that takes no input (bounded)."""
    return await _read_bounded(request, NO_INPUT_LIMIT)


def refuse_any_field(raw: bytes, content_type: str, *, operation: str) -> None:
    """Accept no body, or an empty JSON object; refuse anything else.

    An operation that takes no input must not seem to take one: a field it
    would ignore (``{"level": "B-B"}`` on sign) is refused with its name,
    not silently dropped.
    """
    if not raw.strip():
        return
    if content_type != "application/json":
        raise MediaTypeUnsupportedError(
            f"{operation} takes no body; send none, or {{}} as application/json"
        )
    try:
        data = loads_strict(raw)
    except (ValueError, UnicodeDecodeError, RecursionError) as e:
        raise RequestInvalidError("the body is not valid JSON") from e
    if not isinstance(data, dict):
        raise RequestInvalidError(f"{operation} takes no body; send none, or {{}}")
    if data:
        fields = sorted(data)
        raise BodyFieldUnknownError(
            f"{operation} takes no fields; refused: {', '.join(fields)}",
            hint="send no body, or {}; the PAdES level comes from the"
            " configuration (signing.level)",
            fields=fields,
        )
