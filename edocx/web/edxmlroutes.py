"""Handlers of the edXML routes: a packet in, a document's packet out.

``POST /api/v1/edxml`` takes the packet itself as the body (application/xml,
text/xml or application/octet-stream), bounded by ``edxml.max_packet_mb``.
The route table's body kinds are JSON and multipart, so this handler reads
the body and honours ``Idempotency-Key`` itself, the packet's bytes being
what identifies the request.
"""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web
from pydantic import BaseModel

from edocx.config import Settings
from edocx.edxml import export
from edocx.edxml.errors import findings
from edocx.edxml.importer import ImportOutcome, import_packet
from edocx.exchange import delivery
from edocx.exchange.access import Party, open_document
from edocx.web.handlers import document_id
from edocx.web.idempotency import answering
from edocx.web.routing import RAW_BODY, Call
from edocx.web.schemas import DocumentOut

logger = logging.getLogger(__name__)

PACKET_MEDIA_TYPES = ("application/xml", "text/xml", "application/octet-stream")


class FindingOut(BaseModel):
    code: str
    message: str
    where: str | None


class EdxmlImportOut(BaseModel):
    kind: str
    business_type: int | None
    document: DocumentOut | None
    status_code: str | None
    outcome: str
    warnings: list[FindingOut]

    @classmethod
    def of(cls, outcome: ImportOutcome) -> EdxmlImportOut:
        document = outcome.document
        return cls(
            kind=outcome.kind.value, business_type=outcome.business_type,
            document=None if document is None else DocumentOut.of(document),
            status_code=outcome.status_code, outcome=outcome.outcome,
            warnings=[FindingOut.model_validate(f) for f in findings(outcome.warnings)],
        )  # fmt: skip


async def post_edxml(call: Call) -> web.Response:
    """Take in a packet (dispatch read it, bounded, and keyed it)."""
    data = call.parts[RAW_BODY]
    answer = answering(_import_answer)
    outcome = await import_packet(
        call.hub, call.me, data, settings=call.settings.edxml, at=call.at
    )
    return answer(outcome)


def _import_answer(outcome: ImportOutcome) -> web.Response:
    body = EdxmlImportOut.of(outcome).model_dump_json().encode("utf-8")
    return web.Response(
        status=201 if outcome.created else 200,
        body=body,
        content_type="application/json",
    )


def packet_upload_mb(settings: Settings) -> int:
    return settings.edxml.max_packet_mb


async def get_document_edxml(call: Call) -> web.Response:
    """Return a sent document's packet as the caller's agency receives it."""
    uuid = document_id(call)
    async with call.hub.db.read() as reader:
        access = await open_document(reader, call.me, uuid)
    recipient = call.me.organ_id if access.party is Party.RECIPIENT else None
    packet = await export.document_packet(call.hub, uuid, recipient=recipient)
    headers: dict[str, Any] = {
        "Content-Disposition": f'attachment; filename="{uuid}.edxml"'
    }
    response = web.Response(
        body=packet, content_type="application/xml", charset="utf-8", headers=headers
    )

    # The packet carries the document: fetching it is a receipt, as the
    # PDF's download is (and the only one for a document without a PDF).
    got = delivery.Download(call.me, access, packet)
    arrived = await delivery.acknowledge(call.hub, got, at=call.at)
    response.headers["X-Edocx-Arrival-Recorded"] = "true" if arrived else "false"
    return response
