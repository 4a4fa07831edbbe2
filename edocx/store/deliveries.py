"""Deliveries of issued documents to recipients, and their status history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from edocx.store.db import Reader, Row, Tx
from edocx.store.models import Delivery, StatusEntry

_SELECT = (
    "SELECT v.*, a.organ_id AS recipient_organ_id FROM deliveries v"
    " JOIN agencies a ON a.id = v.recipient_agency_id"
)


@dataclass(frozen=True)
class NewStatus:
    code: str
    actor_id: int
    agency_id: int
    description: str | None
    # The positions the delivery moves to once this status is recorded.
    progress_status: str | None
    change_status: str | None


def _delivery(row: Row) -> Delivery:
    return Delivery(
        id=row["id"],
        document_id=row["document_id"],
        recipient_agency_id=row["recipient_agency_id"],
        recipient_organ_id=row["recipient_organ_id"],
        progress_status=row["progress_status"],
        change_status=row["change_status"],
        last_status=row["last_status"],
        last_status_at=row["last_status_at"],
        created_at=row["created_at"],
    )


async def insert_delivery(
    tx: Tx, *, document_id: int, recipient_agency_id: int, at: datetime
) -> int:
    return await tx.execute(
        "INSERT INTO deliveries (document_id, recipient_agency_id, created_at)"
        " VALUES (?,?,?)",
        (document_id, recipient_agency_id, at.isoformat()),
    )


async def get_delivery(
    db: Reader, *, document_id: int, recipient_agency_id: int
) -> Delivery | None:
    row = await db.fetch_one(
        _SELECT + " WHERE v.document_id = ? AND v.recipient_agency_id = ?",
        (document_id, recipient_agency_id),
    )
    return None if row is None else _delivery(row)


async def list_for_document(db: Reader, document_id: int) -> list[Delivery]:
    rows = await db.fetch_all(
        _SELECT + " WHERE v.document_id = ? ORDER BY v.id", (document_id,)
    )
    return [_delivery(row) for row in rows]


async def list_for_recipient(db: Reader, agency_id: int) -> list[Delivery]:
    rows = await db.fetch_all(
        _SELECT + " WHERE v.recipient_agency_id = ? ORDER BY v.id DESC LIMIT 500",
        (agency_id,),
    )
    return [_delivery(row) for row in rows]


async def append_status(
    tx: Tx, delivery_id: int, status: NewStatus, *, at: datetime
) -> None:
    """Record a status and move the delivery's positions with it."""
    stamp = at.isoformat()
    await tx.execute(
        "INSERT INTO delivery_statuses (delivery_id, code, at, actor_id, agency_id,"
        " description) VALUES (?,?,?,?,?,?)",
        (
            delivery_id, status.code, stamp, status.actor_id, status.agency_id,
            status.description,
        ),
    )  # fmt: skip
    await tx.execute(
        "UPDATE deliveries SET progress_status = ?, change_status = ?,"
        " last_status = ?, last_status_at = ? WHERE id = ?",
        (status.progress_status, status.change_status, status.code, stamp, delivery_id),
    )


async def status_history(db: Reader, delivery_id: int) -> list[StatusEntry]:
    rows = await db.fetch_all(
        "SELECT s.code, s.at, a.organ_id, s.actor_id, s.description"
        " FROM delivery_statuses s JOIN agencies a ON a.id = s.agency_id"
        " WHERE s.delivery_id = ? ORDER BY s.id",
        (delivery_id,),
    )
    return [StatusEntry(*row) for row in rows]
