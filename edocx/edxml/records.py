"""The rows edXML packets leave: packets received, attachments of documents."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from edocx.store.db import Reader, Tx


@dataclass(frozen=True)
class StoredAttachment:
    """One attachment of a relayed document, its bytes in the blob store."""

    content_id: str
    name: str | None
    content_type: str | None
    description: str | None
    blob_sha256: str
    size: int


@dataclass(frozen=True)
class ReceivedPacket:
    """A packet the hub accepted, as the row that keeps it."""

    sender_agency_id: int
    actor_id: int
    kind: str
    business_type: int | None
    status_code: str | None
    edxml_document_id: str
    document_id: int | None
    packet_blob: str
    warnings: list[dict[str, Any]]


async def insert_attachments(
    tx: Tx, document_id: int, attachments: list[StoredAttachment]
) -> None:
    # Deferred, as the packet's row below: they go with the next statement.
    for i, a in enumerate(attachments):
        tx.defer(
            "INSERT INTO document_attachments (document_id, position, content_id,"
            " name, content_type, description, blob_sha256, size)"
            " VALUES (?,?,?,?,?,?,?,?)",
            (document_id, i, a.content_id, a.name, a.content_type, a.description,
             a.blob_sha256, a.size),
        )  # fmt: skip


async def list_attachments(db: Reader, document_id: int) -> list[StoredAttachment]:
    rows = await db.fetch_all(
        "SELECT content_id, name, content_type, description, blob_sha256, size"
        " FROM document_attachments WHERE document_id = ? ORDER BY position",
        (document_id,),
    )
    return [StoredAttachment(*row) for row in rows]


async def insert_packet(tx: Tx, packet: ReceivedPacket, *, at: datetime) -> None:
    tx.defer(
        "INSERT INTO edxml_packets (sender_agency_id, actor_id, kind, business_type,"
        " status_code, edxml_document_id, document_id, packet_blob, warnings_json,"
        " received_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
        (
            packet.sender_agency_id, packet.actor_id, packet.kind,
            packet.business_type, packet.status_code, packet.edxml_document_id,
            packet.document_id, packet.packet_blob,
            json.dumps(packet.warnings, ensure_ascii=False), at.isoformat(),
        ),
    )  # fmt: skip


async def find_new_document(db: Reader, edxml_document_id: str) -> str | None:
    """Return the uuid of the new document (type 0) with this DocumentId."""
    value = await db.fetch_value(
        "SELECT uuid FROM documents WHERE edxml_document_id = ?"
        " AND business_type = 0 AND state IN ('issued', 'relayed')",
        (edxml_document_id,),
    )
    return None if value is None else str(value)


@dataclass(frozen=True)
class RelayedDocument:
    """A document an agency's own system numbered, signed and sent as a packet."""

    uuid: str
    agency_id: int
    type_name: str
    subject: str
    signer_name: str
    signer_position: str
    signer_competence: str | None
    priority: int
    current_blob: str
    code_number: str
    code_notation: str
    promulgation_date: str  # yyyy-mm-dd
    edxml_document_id: str
    business_type: int
    packet_blob: str
    warnings: list[dict[str, Any]]
    recipient_agency_ids: tuple[int, ...]
    created_by: int


async def insert_relayed_document(tx: Tx, doc: RelayedDocument, *, at: datetime) -> int:
    stamp = at.isoformat()
    number = int(doc.code_number) if doc.code_number.isdigit() else None
    doc_id = await tx.execute(
        "INSERT INTO documents (uuid, agency_id, state, type_name, subject,"
        " signer_name, signer_position, signer_competence, priority, current_blob,"
        " number, code_notation, notation, year, edxml_document_id, created_by,"
        " created_at, updated_at, code_number, promulgation_date, business_type,"
        " packet_blob, warnings_json)"
        " VALUES (?,?,'relayed',?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (
            doc.uuid, doc.agency_id, doc.type_name, doc.subject, doc.signer_name,
            doc.signer_position, doc.signer_competence, doc.priority,
            doc.current_blob, number, doc.code_notation,
            f"{doc.code_number}/{doc.code_notation}", int(doc.promulgation_date[:4]),
            doc.edxml_document_id, doc.created_by, stamp, stamp, doc.code_number,
            doc.promulgation_date, doc.business_type, doc.packet_blob,
            json.dumps(doc.warnings, ensure_ascii=False),
        ),
    )  # fmt: skip
    await tx.execute_many(
        "INSERT INTO document_recipients (document_id, agency_id, position)"
        " VALUES (?,?,?)",
        [(doc_id, agency, i) for i, agency in enumerate(doc.recipient_agency_ids)],
    )
    return doc_id


async def new_document_exists(db: Reader, edxml_document_id: str) -> bool:
    """Whether a new document (type 0) with this DocumentId is stored."""
    value = await db.fetch_value(
        "SELECT 1 FROM documents WHERE edxml_document_id = ? AND business_type = 0",
        (edxml_document_id,),
    )
    return value is not None
