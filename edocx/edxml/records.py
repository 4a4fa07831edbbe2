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
    await tx.execute_many(
        "INSERT INTO document_attachments (document_id, position, content_id, name,"
        " content_type, description, blob_sha256, size) VALUES (?,?,?,?,?,?,?,?)",
        [
            (document_id, i, a.content_id, a.name, a.content_type, a.description,
             a.blob_sha256, a.size)
            for i, a in enumerate(attachments)
        ],
    )  # fmt: skip


async def list_attachments(db: Reader, document_id: int) -> list[StoredAttachment]:
    rows = await db.fetch_all(
        "SELECT content_id, name, content_type, description, blob_sha256, size"
        " FROM document_attachments WHERE document_id = ? ORDER BY position",
        (document_id,),
    )
    return [StoredAttachment(*row) for row in rows]


async def insert_packet(tx: Tx, packet: ReceivedPacket, *, at: datetime) -> int:
    return await tx.execute(
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
