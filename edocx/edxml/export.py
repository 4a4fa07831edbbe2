"""The packets the hub emits: a document as its recipients receive it, a status.

Both are signed by the hub (``edocx.edxml.hubkey``, ``edocx.edxml.xmldsig``).
Reading the database and the blobs happens here; writing, base64-encoding
and signing, which for a 50 MB PDF take seconds of CPU and hundreds of MB,
run in a thread (``asyncio.to_thread``): lxml and hashlib release the GIL
on large buffers, and the key stays in this process, where the worker pool
would need it pickled into every call.

A document issued by the hub gets the deterministic DocumentId
``{OrganId},{yyyy/MM/dd},{number}/{notation}`` and its issued PDF as the
attachment. A relayed document keeps the DocumentId its sender wrote (the
recipients know it by that key) and the attachments as received.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from edocx.edxml import hubkey, records
from edocx.edxml.write import (
    AttachmentData,
    DocumentData,
    OrganInfo,
    StatusData,
    document_xml,
    edxml_date,
    status_xml,
)
from edocx.edxml.xmldsig import sign_packet
from edocx.exchange import numbering
from edocx.exchange.errors import (
    DocumentNotFoundError,
    DocumentStateError,
    RecipientUnknownError,
)
from edocx.exchange.hub import Hub
from edocx.store.agencies import find_agency, get_agency
from edocx.store.db import Reader
from edocx.store.documents import get_document, get_document_by_id
from edocx.store.models import Agency, Document, DocumentState

logger = logging.getLogger(__name__)

T = TypeVar("T")

_SENT_STATES = (DocumentState.ISSUED, DocumentState.RELAYED)


async def document_packet(
    hub: Hub, document_uuid: str, *, recipient: str | None
) -> bytes:
    """Return the signed packet of a sent document.

    ``recipient`` (an organ id), when given, must be one of the document's
    recipients: the packet is the one that agency receives.
    """
    async with hub.db.read() as reader:
        document = await get_document(reader, document_uuid)
        if document is None:
            raise DocumentNotFoundError(f"no document {document_uuid}")
        if document.state not in _SENT_STATES:
            raise DocumentStateError(
                f"document {document_uuid} is a {document.state}: not sent yet"
            )
        if recipient is not None and recipient not in document.recipients:
            raise RecipientUnknownError([recipient])
        sender = await _agency(reader, document.agency_id)
        recipients = [await _organ(reader, o) for o in document.recipients]
        stored = await records.list_attachments(reader, document.id)

    attachments = await _attachment_data(hub, document, stored)
    data = _document_data(document, sender, tuple(recipients), attachments)
    packet = await _signed(hub, document_xml, data)
    logger.info(
        "edXML packet of document %s (%s) from agency %s for %s: %d bytes",
        document.uuid, data.document_id, sender.organ_id, recipient or "all",
        len(packet),
    )  # fmt: skip
    return packet


async def _signed(hub: Hub, build: Callable[[T], bytes], data: T) -> bytes:
    setup = hub.compute.setup

    def work() -> bytes:
        key = hubkey.packet_key(setup.pki_dir, setup.passphrase)
        return sign_packet(build(data), key.key, key.certificate)

    return await asyncio.to_thread(work)


async def _agency(reader: Reader, agency_id: int) -> Agency:
    agency = await get_agency(reader, agency_id)
    assert agency is not None
    return agency


async def _organ(reader: Reader, organ_id: str) -> OrganInfo:
    agency = await find_agency(reader, organ_id)
    if agency is None:
        return OrganInfo(organ_id, organ_id)
    return OrganInfo(agency.organ_id, agency.name, agency.place)


async def _attachment_data(
    hub: Hub, document: Document, stored: list[records.StoredAttachment]
) -> tuple[AttachmentData, ...]:
    if document.state is DocumentState.ISSUED:
        # Issued by the hub: the issued PDF is the document.
        name = _file_name(document.notation or document.uuid) + ".pdf"
        pdf = await hub.blobs.get(document.current_blob)
        return (
            AttachmentData("cid:1", name, "application/pdf", document.subject, pdf),
        )
    return tuple(
        [
            AttachmentData(
                a.content_id, a.name or a.content_id,
                a.content_type or "application/octet-stream", a.description,
                await hub.blobs.get(a.blob_sha256),
            )
            for a in stored
        ]
    )  # fmt: skip


def _file_name(notation: str) -> str:
    return re.sub(r"[/\\]", "-", notation)


def _document_data(
    document: Document, sender: Agency, recipients: tuple[OrganInfo, ...],
    attachments: tuple[AttachmentData, ...],
) -> DocumentData:  # fmt: skip
    if document.state is DocumentState.ISSUED:
        number, code, sent = _issued_code(document)
        document_id = numbering.edxml_document_id(
            organ_id=sender.organ_id, issued_at=sent, number=number, code=code
        )
        code_number, promulgation = numbering.format_number(number), edxml_date(sent)
    else:
        document_id = document.edxml_document_id or ""
        code_number, code = document.code_number or "", document.code_notation or ""
        promulgation = _slashed(document.promulgation_date)
        sent = datetime.fromisoformat(document.created_at)
    return DocumentData(
        sender=OrganInfo(sender.organ_id, sender.name, sender.place),
        recipients=recipients, document_id=document_id, code_number=code_number,
        code_notation=code, place=sender.place,
        promulgation_date=promulgation, type_name=document.type_name,
        subject=document.subject, signer_competence=document.signer_competence,
        signer_position=document.signer_position, signer_name=document.signer_name,
        priority=document.priority, business_type=document.business_type,
        sent_at=sent, attachments=attachments,
    )  # fmt: skip


def _issued_code(document: Document) -> tuple[int, str, datetime]:
    assert document.number is not None and document.issued_at is not None
    issued = datetime.fromisoformat(document.issued_at)
    return document.number, document.code_notation or "", issued


def _slashed(iso_date: str | None) -> str:
    return (iso_date or "").replace("-", "/")


async def status_packet(hub: Hub, status_id: int) -> bytes:
    """Return the signed packet of one recorded status (its history row id)."""
    async with hub.db.read() as reader:
        row = await reader.fetch_one(
            "SELECT s.code, s.at, s.agency_id, s.description, v.document_id,"
            " v.recipient_agency_id FROM delivery_statuses s"
            " JOIN deliveries v ON v.id = s.delivery_id WHERE s.id = ?",
            (status_id,),
        )
        if row is None:
            raise DocumentNotFoundError(f"no status {status_id}")
        document = await get_document_by_id(reader, row["document_id"])
        assert document is not None
        poster = await _agency(reader, row["agency_id"])
        by_sender = poster.id == document.agency_id
        other_id = row["recipient_agency_id"] if by_sender else document.agency_id
        counterpart = await _agency(reader, other_id)

    data = _status_data(document, poster, counterpart, row)
    packet = await _signed(hub, status_xml, data)
    logger.info(
        "edXML status packet %s of document %s from agency %s to %s",
        data.status_code, document.uuid, poster.organ_id, counterpart.organ_id,
    )  # fmt: skip
    return packet


def _status_data(
    document: Document, poster: Agency, counterpart: Agency, row: Any
) -> StatusData:
    code, at, description = row["code"], row["at"], row["description"]
    if document.state is DocumentState.ISSUED:
        number, notation, sent = _issued_code(document)
        document_id = numbering.edxml_document_id(
            organ_id=document.organ_id, issued_at=sent, number=number, code=notation
        )
        promulgation = edxml_date(sent)
    else:
        document_id = document.edxml_document_id or ""
        promulgation = _slashed(document.promulgation_date)
    return StatusData(
        sender=OrganInfo(poster.organ_id, poster.name, poster.place),
        counterpart=counterpart.organ_id,
        code=document.notation or "",
        promulgation_date=promulgation,
        document_id=document_id,
        status_code=str(code),
        description=description,
        at=datetime.fromisoformat(str(at)),
    )
