"""Take in a packet from an agency's system: a document or a status.

Cheapest checks first; nothing is stored until every check passed:

1. read and judge the packet in a thread (parse, facts, signature, rules):
   not XML, unsafe XML or an error refuses it (422);
2. the packet's sender must be the caller's agency (403);
3. strict agencies (``edxml`` settings) have their warnings refused;
4. a secrecy mark refuses it (``document-secret``);
5. by kind: a status goes to the life-cycle; a new document (type 0) is
   checked for a duplicate and unknown recipients, its PDF attachments are
   verified in the worker pool, then packet, attachments, document,
   reports and deliveries are stored in one transaction; revocation (1)
   and update (2) become a 13 of that kind; a replacement (3) is a new
   document linked to the one it replaces.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime

from edocx.audit.events import record_event
from edocx.config import EdxmlSettings
from edocx.edxml import records
from edocx.edxml.details import PacketDetails, read_details
from edocx.edxml.errors import (
    PacketInvalidError,
    PacketNotXMLError,
    PacketSenderMismatchError,
    PacketUnsafeError,
    findings,
)
from edocx.edxml.model import Finding, PacketFacts, PacketKind, PacketReport
from edocx.edxml.parse import PacketParseError, parse_packet
from edocx.edxml.relay import RelayOutcome, relay_document
from edocx.edxml.rules import judge_packet
from edocx.edxml.write import BUSINESS_REASONS
from edocx.exchange import delivery
from edocx.exchange.access import Party, open_document
from edocx.exchange.errors import DocumentNotFoundError, SecretDocumentError
from edocx.exchange.hub import Hub
from edocx.exchange.statuses import StatusCode
from edocx.store.db import Reader
from edocx.store.models import Document, User
from edocx.store.results import completed, results_as, results_withheld
from edocx.vntime import VIETNAM_TIME

logger = logging.getLogger(__name__)

MB = 1024 * 1024


@dataclass(frozen=True)
class ImportOutcome:
    """What a packet did: the document made or named, and its warnings."""

    kind: PacketKind
    business_type: int | None
    document: Document | None
    warnings: tuple[Finding, ...]
    status_code: str | None = None
    outcome: str = "applied"  # applied, repeat or late (statuses)
    created: bool = False


@dataclass(frozen=True)
class Packet:
    data: bytes
    report: PacketReport
    facts: PacketFacts
    details: PacketDetails


async def import_packet(
    hub: Hub, user: User, data: bytes, *, settings: EdxmlSettings, at: datetime
) -> ImportOutcome:
    """Take in ``data`` from ``user``'s agency (steps in the module doc)."""
    # 1.
    packet = await asyncio.to_thread(_read, data, settings.max_packet_mb * MB)
    facts, report = packet.facts, packet.report

    # 2.
    sender = facts.sender.organ_id if facts.sender else ""
    if sender != user.organ_id:
        raise PacketSenderMismatchError(
            f"the packet is from {sender}; the caller belongs to {user.organ_id}",
            hint="an agency's system sends its own agency's packets only",
        )

    # 3. and 4.
    strict = settings.strict_for(sender)
    if strict and report.warnings:
        raise PacketInvalidError(
            f"agency {sender} is read strictly: the packet has"
            f" {len(report.warnings)} warning(s)",
            errors=report.warnings, strict=True,
        )  # fmt: skip
    if packet.details.secret_mark is not None:
        raise SecretDocumentError(
            f"the packet carries the secrecy mark {packet.details.secret_mark!r}",
            hint="state-secret documents travel on the secret network only",
        )

    # 5.
    if facts.kind is PacketKind.STATUS:
        return await _status(hub, user, packet, at)
    if facts.business_type in (1, 2):
        return await _change(hub, user, packet, at)
    with results_as(lambda relayed: _relayed(facts, relayed)):
        outcome = await relay_document(hub, user, packet, strict=strict, at=at)
    return _relayed(facts, outcome)


def _relayed(facts: PacketFacts, relayed: RelayOutcome) -> ImportOutcome:
    return ImportOutcome(
        PacketKind.DOCUMENT, facts.business_type, relayed.document,
        relayed.warnings, created=True,
    )  # fmt: skip


def _read(data: bytes, max_bytes: int) -> Packet:
    try:
        root = parse_packet(data, max_bytes=max_bytes)
    except PacketParseError as e:
        if e.not_xml:
            raise PacketNotXMLError(e.detail) from e
        raise PacketUnsafeError(e.detail, reason=e.code, hint=e.hint) from e
    report = judge_packet(root, data)
    if not report.usable or report.facts is None:
        raise PacketInvalidError(
            f"the packet has {len(report.errors)} error(s)",
            errors=report.errors, warnings=report.warnings,
        )  # fmt: skip
    return Packet(data, report, report.facts, read_details(root))


async def find_document(
    hub: Hub, user: User, document_ids: list[str | None], *, own: bool = False
) -> str:
    """Return the uuid of the first sent document named, as ``user`` sees it.

    ``own``: only a document of ``user``'s agency (what a sender changes).
    """
    async with hub.db.read() as reader:
        uuid = await find_document_in(reader, user, document_ids, own=own)
    if uuid is None:
        raise not_found(document_ids)
    return uuid


async def find_document_in(
    reader: Reader, user: User, document_ids: list[str | None], *, own: bool = False
) -> str | None:
    """Return the uuid of the first document named that ``user`` may see."""
    for document_id in document_ids:
        if not document_id:
            continue
        uuid = await records.find_new_document(reader, document_id)
        if uuid is None:
            continue
        try:
            access = await open_document(reader, user, uuid)
        except DocumentNotFoundError:
            continue
        if own and access.party is not Party.SENDER:
            continue
        return uuid
    return None


def not_found(document_ids: list[str | None]) -> DocumentNotFoundError:
    named = ", ".join(d for d in document_ids if d) or "no document"
    return DocumentNotFoundError(
        f"the packet names {named}, which the hub does not know",
        hint="send the new document (business type 0) first",
    )


def reported_time(timestamp: str | None) -> datetime | None:
    """Return an edXML Timestamp (Vietnam time) as an aware datetime."""
    for form in ("%Y/%m/%d %H:%M:%S", "%d/%m/%Y %H:%M:%S"):
        try:
            parsed = datetime.strptime(timestamp or "", form)
        except ValueError:
            continue
        return parsed.replace(tzinfo=VIETNAM_TIME)
    return None


async def _status(hub: Hub, user: User, packet: Packet, at: datetime) -> ImportOutcome:
    facts = packet.facts
    answered = facts.response_for[0]
    uuid = await find_document(hub, user, [answered.document_id])
    async with hub.db.read() as reader:
        document = (await open_document(reader, user, uuid)).document
    # The sender's 13 names the recipient it is for; a recipient answers for
    # its own delivery.
    by_sender = document.agency_id == user.agency_id
    # The packet's own transaction completes the import (_keep_packet).
    with results_withheld():
        posted = await delivery.post_status(
            hub, user, uuid, StatusCode(facts.status_code or ""),
            description=packet.details.description,
            recipient=answered.organ_id if by_sender else None, at=at,
            reported_at=reported_time(packet.details.timestamp),
        )  # fmt: skip
    outcome = ImportOutcome(
        PacketKind.STATUS, None, document, packet.report.warnings,
        status_code=facts.status_code, outcome=str(posted.outcome.value),
    )  # fmt: skip
    await _keep_packet(hub, user, packet, outcome, at)
    return outcome


async def _change(hub: Hub, user: User, packet: Packet, at: datetime) -> ImportOutcome:
    facts = packet.facts
    kind = "revoke" if facts.business_type == 1 else "update"
    named = [facts.document_id, *(r.document_id for r in facts.response_for)]
    uuid = await find_document(hub, user, named, own=True)
    reason = packet.details.reason or BUSINESS_REASONS[facts.business_type or 1]
    with results_withheld():
        posted = await delivery.post_status(
            hub, user, uuid, StatusCode.TAKE_BACK, description=reason,
            recipient=None, at=at, change=kind,
        )  # fmt: skip
    async with hub.db.read() as reader:
        document = (await open_document(reader, user, uuid)).document
    outcome = ImportOutcome(
        PacketKind.DOCUMENT, facts.business_type, document, packet.report.warnings,
        status_code=StatusCode.TAKE_BACK.value, outcome=str(posted.outcome.value),
    )  # fmt: skip
    await _keep_packet(hub, user, packet, outcome, at)
    return outcome


async def _keep_packet(
    hub: Hub, user: User, packet: Packet, outcome: ImportOutcome, at: datetime
) -> None:
    """Keep a status or change packet the life-cycle accepted."""
    document = outcome.document
    assert document is not None
    digest = await hub.blobs.put(packet.data)
    facts = packet.facts
    assert user.agency_id is not None
    async with hub.db.write() as tx:
        await records.insert_packet(
            tx,
            records.ReceivedPacket(
                sender_agency_id=user.agency_id, actor_id=user.id,
                kind=facts.kind.value, business_type=facts.business_type,
                status_code=facts.status_code,
                edxml_document_id=document.edxml_document_id or "",
                document_id=document.id, packet_blob=digest,
                warnings=findings(packet.report.warnings),
            ),
            at=at,
        )  # fmt: skip
        await record_event(
            tx, at=at, actor=user.id, agency=user.agency_id,
            action=f"edxml.{facts.kind.value}", object_type="document",
            object_id=document.uuid, content_sha256=digest,
            details={"status": facts.status_code,
                     "business_type": facts.business_type},
        )  # fmt: skip
        completed(tx, outcome)
    logger.info(
        "edXML %s packet for document %s (%s) from agency %s kept",
        facts.kind.value, document.uuid, document.edxml_document_id, user.organ_id,
    )  # fmt: skip
