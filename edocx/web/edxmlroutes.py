"""Handlers of the edXML routes: a packet in, a document's packet out.

``POST /api/v1/edxml`` takes the packet itself as the body (application/xml,
text/xml or application/octet-stream), bounded by ``edxml.max_packet_mb``.
The route table's body kinds are JSON and multipart, so this handler reads
the body and honours ``Idempotency-Key`` itself, the packet's bytes being
what identifies the request.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiohttp import web
from pydantic import BaseModel

from edocx.edxml import export
from edocx.edxml.errors import findings
from edocx.edxml.importer import MB, ImportOutcome, import_packet
from edocx.exchange import delivery
from edocx.exchange.access import Party, open_document
from edocx.web import idempotency
from edocx.web.handlers import document_id
from edocx.web.problems import MediaTypeUnsupportedError, UploadTooLargeError
from edocx.web.routing import Call
from edocx.web.schemas import DocumentOut

logger = logging.getLogger(__name__)

PACKET_MEDIA_TYPES = frozenset(
    {"application/xml", "text/xml", "application/octet-stream"}
)
_CHUNK = 256 * 1024


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


async def post_edxml(call: Call) -> web.StreamResponse:
    """Take in a packet; replay the first answer for a repeated key."""
    data = await _read_packet(call)
    key = idempotency.request_key(call.request)
    if key is None:
        return await _import(call, data)

    digest = await asyncio.to_thread(
        idempotency.fingerprint, call.request.method, call.request.path,
        {"packet": data},
    )  # fmt: skip
    claim = idempotency.Claim(call.me.id, key, digest)
    return await idempotency.run_once(
        call.hub.db, claim, lambda: _import(call, data), at=call.at
    )


async def _import(call: Call, data: bytes) -> web.Response:
    outcome = await import_packet(
        call.hub, call.me, data, settings=call.settings.edxml, at=call.at
    )
    body = EdxmlImportOut.of(outcome).model_dump_json().encode("utf-8")
    return web.Response(
        status=201 if outcome.created else 200,
        body=body,
        content_type="application/json",
    )


async def _read_packet(call: Call) -> bytes:
    request = call.request
    if request.content_type not in PACKET_MEDIA_TYPES:
        raise MediaTypeUnsupportedError(
            "send the packet as application/xml (or application/octet-stream)"
        )
    mb = call.settings.edxml.max_packet_mb
    limit = mb * MB
    too_large = UploadTooLargeError(
        f"the packet exceeds the configured limit ({mb} MB, edxml.max_packet_mb)"
    )
    if request.content_length is not None and request.content_length > limit:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    while chunk := await request.content.read(_CHUNK):
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


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
