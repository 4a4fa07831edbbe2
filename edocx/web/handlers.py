"""Handlers of the document operations: thin translations between HTTP and
the exchange. Anything heavy happens in the exchange's worker pool. The
statuses, the inbox and the outbox are in :mod:`edocx.web.lifecycle`.
"""

from __future__ import annotations

import uuid as uuidlib

from aiohttp import web

from edocx.exchange import delivery, drafts, issue
from edocx.exchange.access import open_document
from edocx.exchange.errors import DocumentNotFoundError
from edocx.exchange.header import parse_header
from edocx.store.documents import list_documents
from edocx.store.models import DocumentState
from edocx.store.reports import list_reports
from edocx.web.bodies import refuse_any_field, text_part
from edocx.web.disposition import attachment
from edocx.web.idempotency import answering
from edocx.web.routing import Call, json_answer
from edocx.web.schemas import (
    DocumentList,
    DocumentOut,
    DraftOut,
    ReportOut,
    ReportsOut,
    SignedDocumentOut,
    legal_time,
)


def document_id(call: Call) -> str:
    """Return the document id of the path; a malformed one is not found."""
    raw = call.param("document_id")
    try:
        return str(uuidlib.UUID(raw))
    except ValueError:
        raise DocumentNotFoundError(f"no document {raw[:64]!r}") from None


async def create_draft(call: Call) -> web.Response:
    header = parse_header(call.parts["header"])
    answer = answering(lambda made: json_answer(_draft_out(made), 201))
    outcome = await drafts.create_draft(
        call.hub, call.me, header, call.parts["file"],
        password=text_part(call.parts, "password"), at=call.at,
    )  # fmt: skip
    return answer(outcome)


def _draft_out(outcome: drafts.DraftOutcome) -> DraftOut:
    return DraftOut(
        document=DocumentOut.of(outcome.document),
        warnings=list(outcome.warnings),
        existing_signatures=outcome.report,
    )


async def list_own_documents(call: Call) -> DocumentList:
    me = call.me
    state = None if call.query.state is None else DocumentState(call.query.state)
    if me.agency_id is None:
        return DocumentList(items=[])
    async with call.hub.db.read() as reader:
        found = await list_documents(reader, agency_id=me.agency_id, state=state)
    return DocumentList(items=[DocumentOut.of(doc) for doc in found])


async def get_document(call: Call) -> DocumentOut:
    async with call.hub.db.read() as reader:
        access = await open_document(reader, call.me, document_id(call))
    return DocumentOut.of(access.document)


async def get_document_pdf(call: Call) -> web.Response:
    got = await delivery.download(call.hub, call.me, document_id(call))
    response = web.Response(
        body=got.pdf,
        content_type="application/pdf",
        headers={
            "Content-Disposition": attachment(
                got.document.notation or got.document.uuid, ".pdf"
            ),
            "Digest": f"sha-256={got.document.current_blob}",
        },
    )

    # The answer is complete: only now does the download count as a receipt.
    arrived = await delivery.acknowledge(call.hub, got, at=call.at)
    response.headers["X-Edocx-Arrival-Recorded"] = "true" if arrived else "false"
    return response


async def get_document_reports(call: Call) -> ReportsOut:
    async with call.hub.db.read() as reader:
        access = await open_document(reader, call.me, document_id(call))
        stored = await list_reports(reader, access.document.id)
    return ReportsOut(
        items=[
            ReportOut(context=r.context, sha256=r.blob_sha256, verdict=r.verdict,
                      report=r.report, created_at=legal_time(r.created_at) or "")
            for r in stored
        ]
    )  # fmt: skip


async def sign_document(call: Call) -> web.Response:
    # Sign and issue take no input: who signs, with which key and at which
    # PAdES level is the hub's to decide (users, keys, signing.level).
    refuse_any_field(call.unasked_body, call.request.content_type, operation="sign")
    answer = answering(lambda done: json_answer(SignedDocumentOut.of_signed(done)))
    signed = await drafts.sign_draft(call.hub, call.me, document_id(call), at=call.at)
    return answer(signed)


async def issue_document(call: Call) -> web.Response:
    refuse_any_field(call.unasked_body, call.request.content_type, operation="issue")
    answer = answering(lambda done: json_answer(SignedDocumentOut.of_signed(done)))
    issued = await issue.issue_document(
        call.hub, call.me, document_id(call), at=call.at
    )
    return answer(issued)
