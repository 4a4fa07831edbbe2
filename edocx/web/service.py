"""Handlers of the operations around documents: verify, audit, directory."""

from __future__ import annotations

import logging

from aiohttp import web

from edocx.audit.events import list_events, record_event
from edocx.store.models import User
from edocx.verification.render import render_html, render_text
from edocx.verification.report import ValidationReport
from edocx.web.auth import authenticate
from edocx.web.bodies import text_part
from edocx.web.deliveryroutes import DirectoryOut, directory
from edocx.web.problems import UnauthenticatedError
from edocx.web.routing import Call
from edocx.web.schemas import (
    AuditEventOut,
    AuditEventsOut,
    MeOut,
    legal_time,
)

logger = logging.getLogger(__name__)


async def verify_upload(call: Call) -> web.Response:
    """Verify an uploaded PDF for anyone; answer the report as asked.

    A file the verifier cannot read (not a PDF, locked, broken) still gets
    a report, whose verdict UNUSABLE and problems say why; refusals of the
    request itself (size, media type, missing part, time bound) are problems.
    """
    pdf = call.parts["file"]
    report = await call.hub.compute.verify(
        pdf,
        password=text_part(call.parts, "password"),
        timeout_s=call.settings.verification.timeout_s,
    )
    # Only a caller with a valid token is written to the audit log: anyone
    # may call this, and one append-only row per anonymous call would let
    # them grow the log at will.
    user = await _caller(call)
    if user is not None:
        await _record_verification(call, user, report)
    logger.info(
        "public verification sha256=%s (%d bytes): %s",
        report.document_sha256, len(pdf), report.verdict,
    )  # fmt: skip
    return _report_response(report, _answer_format(call))


async def _caller(call: Call) -> User | None:
    """The user of a token sent to this public route, if it is valid."""
    if "Authorization" not in call.request.headers:
        return None
    try:
        return await authenticate(call.request, call.hub.db)
    except UnauthenticatedError:
        return None


async def _record_verification(
    call: Call, user: User, report: ValidationReport
) -> None:
    async with call.hub.db.write() as tx:
        await record_event(
            tx, at=call.at, actor=user.id, agency=user.agency_id,
            action="document.verify", object_type="pdf",
            object_id=report.document_sha256,
            content_sha256=report.document_sha256,
            details={"verdict": report.verdict.value},
        )  # fmt: skip


def _answer_format(call: Call) -> str:
    """Return the format named in the query, else the one Accept prefers."""
    if call.query is not None and call.query.format is not None:
        return str(call.query.format)
    return preferred_format(call.request.headers.get("Accept", ""))


def preferred_format(accept: str) -> str:
    """Return "json", "html" or "text", whichever ``accept`` ranks first.

    Ties go to the earlier media type in the header; JSON when none of the
    three is named (``*/*`` or no header).
    """
    best, best_q = "json", 0.0
    for item in accept.split(","):
        media_type, *params = (piece.strip() for piece in item.split(";"))
        found = _REPORT_FORMATS.get(media_type.lower())
        q = _quality(params)
        if found is not None and q > best_q:
            best, best_q = found, q
    return best


def _quality(params: list[str]) -> float:
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                return float(value)
            except ValueError:
                return 0.0
    return 1.0


_REPORT_FORMATS = {
    "application/json": "json",
    "text/html": "html",
    "text/plain": "text",
}

# The report quotes names and reasons taken from the uploaded file: the page
# may load nothing and run nothing, whatever a name holds.
_HTML_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
    "X-Content-Type-Options": "nosniff",
}


def _report_response(report: ValidationReport, answer: str) -> web.Response:
    if answer == "html":
        return web.Response(
            text=render_html(report), content_type="text/html", headers=_HTML_HEADERS
        )
    if answer == "text":
        return web.Response(text=render_text(report), content_type="text/plain")
    return web.Response(
        body=report.model_dump_json().encode("utf-8"), content_type="application/json"
    )


async def list_audit_events(call: Call) -> AuditEventsOut:
    query = call.query
    async with call.hub.db.read() as reader:
        events = await list_events(
            reader, after_seq=query.after, limit=query.limit, object_id=query.object_id
        )
    items = [
        AuditEventOut(
            seq=e.seq, at=legal_time(e.at) or "", actor=e.actor_id,
            agency=e.agency_id, action=e.action, object_type=e.object_type,
            object_id=e.object_id, content_sha256=e.content_sha256, details=e.details,
        )
        for e in events
    ]  # fmt: skip
    return AuditEventsOut(
        items=items, next_after=events[-1].seq if events else query.after
    )


async def list_directory(call: Call) -> DirectoryOut:
    """List the agencies: codes, names, parent, delivery mode, certificates."""
    return await directory(call)


async def whoami(call: Call) -> MeOut:
    return MeOut.of(call.me)


async def openapi_document(call: Call) -> web.Response:
    from edocx.web.openapi import openapi_json

    return web.Response(body=openapi_json(), content_type="application/json")
