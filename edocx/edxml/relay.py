"""Relay a document packet: a new document (type 0) or a replacement (type 3).

1. a new document's DocumentId must not be stored yet; every recipient
   must be an agency the hub knows; a replacement must name a document of
   its sender the hub knows;
2. PDF attachments are verified in the worker pool (never fetching): a
   signature that fails refuses the packet, an unsure verdict is a warning;
   meanwhile the blobs (packet, attachments) are staged, written and
   fsynced under temporary names (:meth:`BlobStore.stage`), and discarded
   when the packet is refused: a refusal leaves the blob store as it was;
3. the blobs are published (renamed into place), then document,
   recipients, attachments, reports, deliveries, the packet row and the
   audit event are stored in one transaction (and, for a replacement, the
   links to the old document).
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import uuid as uuidlib
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from edocx.audit.events import record_event
from edocx.edxml import records
from edocx.edxml.details import DecodedAttachment
from edocx.edxml.errors import DocumentDuplicateError, PacketInvalidError, findings
from edocx.edxml.model import Finding
from edocx.errors import VerificationError
from edocx.exchange.changes import link_replacement
from edocx.exchange.errors import RecipientUnknownError
from edocx.exchange.hub import Hub
from edocx.exchange.verdicts import Verdict
from edocx.store import reports
from edocx.store.agencies import find_agencies, find_agency
from edocx.store.blobs import BlobStore, StagedBlob
from edocx.store.db import Reader, Tx
from edocx.store.deliveries import insert_delivery
from edocx.store.documents import get_document, get_document_by_id
from edocx.store.models import Document, User
from edocx.store.results import completed

if TYPE_CHECKING:
    from edocx.edxml.importer import Packet

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RelayOutcome:
    document: Document
    warnings: tuple[Finding, ...]


@dataclass(frozen=True)
class Verified:
    attachment: DecodedAttachment
    report: dict[str, Any] | None


async def relay_document(
    hub: Hub, user: User, packet: Packet, *, strict: bool, at: datetime
) -> RelayOutcome:
    """Store and route a document packet (steps in the module doc)."""
    facts = packet.facts
    document_id = facts.document_id or ""

    # 1.
    async with hub.db.read() as reader:
        if facts.business_type == 0 and await records.new_document_exists(
            reader, document_id
        ):
            raise _duplicate(document_id)
        recipient_ids = await _recipients(
            reader, [o.organ_id for o in facts.recipients]
        )
        replaced, unknown = await _replaced(reader, user, packet)

    # 2.
    contents = [packet.data, *(a.data for a in packet.details.attachments)]
    staging = asyncio.ensure_future(asyncio.to_thread(_stage, hub.blobs, contents))
    try:
        verified, unsure = await _verify_pdfs(hub, packet)
        if strict and (unknown or unsure):
            raise PacketInvalidError(
                "the packet's attachments or replacements have warnings, read"
                " strictly",
                errors=unknown + unsure, strict=True,
            )  # fmt: skip
        staged = await staging
    except BaseException:
        await asyncio.shield(_discard(hub.blobs, staging))
        raise
    warnings = packet.report.warnings + unknown + unsure

    # 3.
    digests = await asyncio.to_thread(_publish, hub.blobs, staged)
    document = await _store(hub, user, packet, verified, digests, recipient_ids,
                            replaced, warnings, at)  # fmt: skip
    logger.info(
        "document %s (%s) relayed from agency %s to %s with %d warning(s)",
        document.uuid, document_id, user.organ_id,
        ", ".join(document.recipients), len(warnings),
    )  # fmt: skip
    return RelayOutcome(document, warnings)


def _duplicate(document_id: str) -> DocumentDuplicateError:
    return DocumentDuplicateError(
        f"a new document {document_id} was sent already",
        hint="an update, replacement or revocation packet (business type 1-3)"
        " changes a document sent before",
        extensions={"document_id": document_id},
    )


async def _recipients(reader: Reader, organ_ids: list[str]) -> tuple[int, ...]:
    known = await find_agencies(reader, organ_ids)
    unknown = [organ_id for organ_id in organ_ids if organ_id not in known]
    if unknown:
        raise RecipientUnknownError(unknown)
    return tuple(known[organ_id].id for organ_id in organ_ids)


async def _replaced(
    reader: Reader, user: User, packet: Packet
) -> tuple[list[tuple[Document, list[int]]], tuple[Finding, ...]]:
    """The documents a replacement replaces, with the agencies it is for."""
    if packet.facts.business_type != 3:
        return [], ()
    from edocx.edxml.importer import find_document_in, not_found

    found, unknown = [], []
    for item in packet.facts.replacements:
        uuid = await find_document_in(reader, user, [item.document_id], own=True)
        if uuid is None:
            unknown.append(Finding(
                "replacement-unknown",
                f"the replaced document {item.document_id} is not known to the hub",
                "ReplacementInfo/DocumentId",
            ))  # fmt: skip
            continue
        agencies = [a for o in item.organ_ids if (a := await find_agency(reader, o))]
        document = await get_document(reader, uuid)
        assert document is not None
        found.append((document, [a.id for a in agencies]))
    if not found:
        # The samples name the replaced document by the packet's DocumentId.
        uuid = await find_document_in(
            reader, user, [packet.facts.document_id], own=True
        )
        if uuid is None:
            raise not_found([packet.facts.document_id])
        document = await get_document(reader, uuid)
        assert document is not None
        found.append((document, []))
    return found, tuple(unknown)


def _stage(blobs: BlobStore, contents: list[bytes]) -> list[StagedBlob]:
    staged: list[StagedBlob] = []
    try:
        for data in contents:
            staged.append(blobs.stage_sync(data))
    except BaseException:
        for done in staged:
            blobs.discard_sync(done)
        raise
    return staged


async def _discard(blobs: BlobStore, staging: asyncio.Future[list[StagedBlob]]) -> None:
    try:
        staged = await staging
    except Exception:
        return  # nothing staged is left behind (see _stage)
    for item in staged:
        await blobs.discard(item)


def _publish(blobs: BlobStore, staged: list[StagedBlob]) -> list[str]:
    return [blobs.publish_sync(item) for item in staged]


async def _verify_pdfs(
    hub: Hub, packet: Packet
) -> tuple[list[Verified], tuple[Finding, ...]]:
    verified, unsure = [], []
    for attachment in packet.details.attachments:
        if not attachment.is_pdf:
            verified.append(Verified(attachment, None))
            continue
        report = await hub.compute.verify(attachment.data)
        cid = attachment.content_id
        if report.verdict is Verdict.FAILED:
            raise VerificationError(
                f"a signature of attachment {cid} fails verification",
                hint="the PDF changed after it was signed: send the signed original",
            )
        if report.verdict is not Verdict.PASSED:
            unsure.append(Finding(
                "attachment-signature-unsure",
                f"attachment {cid} verifies as {report.verdict.value}", cid,
            ))  # fmt: skip
        verified.append(Verified(attachment, report.model_dump(mode="json")))
    return verified, tuple(unsure)


async def _store(
    hub: Hub, user: User, packet: Packet, verified: list[Verified],
    digests: list[str], recipient_ids: tuple[int, ...],
    replaced: list[tuple[Document, list[int]]], warnings: tuple[Finding, ...],
    at: datetime,
) -> Document:  # fmt: skip
    """Store the document whose blobs ``digests`` (packet, attachments) hold."""
    packet_blob = digests[0]
    stored = [
        records.StoredAttachment(
            v.attachment.content_id, v.attachment.name, v.attachment.content_type,
            v.attachment.description, digest, len(v.attachment.data),
        )
        for v, digest in zip(verified, digests[1:], strict=True)
    ]  # fmt: skip
    relayed = _relayed(user, packet, stored, packet_blob, recipient_ids, warnings)
    try:
        async with hub.db.write() as tx:
            doc_id = await records.insert_relayed_document(tx, relayed, at=at)
            await records.insert_attachments(tx, doc_id, stored)
            await _reports(tx, doc_id, stored, verified, at)
            await _route(tx, user, doc_id, relayed, at)
            for old, agencies in replaced:
                await link_replacement(
                    tx, new_document_id=doc_id, replaced_document_id=old.id,
                    agency_ids=agencies or list(recipient_ids), at=at,
                    actor_id=user.id,
                )  # fmt: skip
            await _keep(tx, user, packet, (doc_id, relayed.uuid), packet_blob,
                        warnings, at)  # fmt: skip
            document = await get_document_by_id(tx, doc_id)
            assert document is not None
            completed(tx, RelayOutcome(document, warnings))
    except sqlite3.IntegrityError as e:
        # Two packets with one DocumentId at once: the index keeps one.
        raise _duplicate(relayed.edxml_document_id) from e
    assert document is not None
    return document


def _relayed(
    user: User, packet: Packet, stored: list[records.StoredAttachment],
    packet_blob: str, recipient_ids: tuple[int, ...], warnings: tuple[Finding, ...],
) -> records.RelayedDocument:  # fmt: skip
    facts, details = packet.facts, packet.details
    pdfs = [
        s for s, v in zip(stored, packet.details.attachments, strict=True) if v.is_pdf
    ]
    assert user.agency_id is not None
    return records.RelayedDocument(
        uuid=str(uuidlib.uuid4()), agency_id=user.agency_id,
        type_name=details.type_name or facts.type_name or "Công văn",
        subject=facts.subject or "", signer_name=details.signer_name or "",
        signer_position=details.signer_position or "",
        signer_competence=details.signer_competence, priority=details.priority,
        # The PDF is what GET .../pdf hands out; without one, the packet.
        current_blob=pdfs[0].blob_sha256 if pdfs else packet_blob,
        code_number=facts.code_number or "", code_notation=facts.code_notation or "",
        promulgation_date=(facts.promulgation_date or "").replace("/", "-"),
        edxml_document_id=facts.document_id or "",
        business_type=facts.business_type or 0, packet_blob=packet_blob,
        warnings=findings(warnings), recipient_agency_ids=recipient_ids,
        created_by=user.id,
    )  # fmt: skip


async def _reports(
    tx: Tx, doc_id: int, stored: list[records.StoredAttachment],
    verified: list[Verified], at: datetime,
) -> None:  # fmt: skip
    for blob, item in zip(stored, verified, strict=True):
        if item.report is not None:
            await reports.insert_report(
                tx, document_id=doc_id, blob=blob.blob_sha256, context="relay",
                verdict=str(item.report["verdict"]), report=item.report, at=at,
            )  # fmt: skip


async def _route(
    tx: Tx, user: User, doc_id: int, relayed: records.RelayedDocument, at: datetime
) -> None:
    for agency_id in relayed.recipient_agency_ids:
        delivery_id = await insert_delivery(
            tx, document_id=doc_id, recipient_agency_id=agency_id, at=at
        )
        await record_event(
            tx, at=at, actor=user.id, agency=user.agency_id,
            action="delivery.create", object_type="delivery",
            object_id=str(delivery_id),
            details={"document": relayed.uuid, "recipient_agency": agency_id},
        )  # fmt: skip


async def _keep(
    tx: Tx, user: User, packet: Packet, document: tuple[int, str], packet_blob: str,
    warnings: tuple[Finding, ...], at: datetime,
) -> None:  # fmt: skip
    facts = packet.facts
    doc_id, uuid = document
    assert user.agency_id is not None
    await records.insert_packet(
        tx,
        records.ReceivedPacket(
            sender_agency_id=user.agency_id, actor_id=user.id, kind="document",
            business_type=facts.business_type, status_code=None,
            edxml_document_id=facts.document_id or "", document_id=doc_id,
            packet_blob=packet_blob, warnings=findings(warnings),
        ),
        at=at,
    )  # fmt: skip
    await record_event(
        tx, at=at, actor=user.id, agency=user.agency_id, action="document.relay",
        object_type="document", object_id=uuid, content_sha256=packet_blob,
        details={"edxml_document_id": facts.document_id,
                 "business_type": facts.business_type},
    )  # fmt: skip
