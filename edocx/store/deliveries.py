"""Deliveries of issued documents to recipients, and their status history.

A delivery row holds where it stands (progress 01-06, the last change
request and its answer, the time that state was reported); the history
keeps every status received, also those that changed nothing (a repeat, a
late packet). A recall accepted cancels the recipient's copy, an update
accepted is recorded as applied, a replacement links the old delivery to
the new document: the row is never deleted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from edocx.store.db import Query, Reader, Row, Tx
from edocx.store.models import Delivery, StatusEntry

_SELECT = (
    "SELECT v.*, a.organ_id AS recipient_organ_id, n.uuid AS replaced_by_uuid,"
    " r.year AS incoming_year, r.number AS incoming_number FROM deliveries v"
    " JOIN agencies a ON a.id = v.recipient_agency_id"
    " LEFT JOIN documents n ON n.id = v.replaced_by_document_id"
    " LEFT JOIN incoming_register r ON r.delivery_id = v.id"
)


@dataclass(frozen=True)
class NewStatus:
    code: str
    actor_id: int | None  # None: recorded by the hub itself
    agency_id: int
    description: str | None
    # The positions the delivery moves to once this status is recorded.
    progress_status: str | None
    change_status: str | None
    reported_at: datetime | None = None
    change_kind: str | None = None  # a 13: revoke or update


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
        state_reported_at=row["state_reported_at"],
        change_kind=row["change_kind"],
        cancelled_at=row["cancelled_at"],
        update_applied_at=row["update_applied_at"],
        replaced_by=row["replaced_by_uuid"],
        replaced_at=row["replaced_at"],
        incoming_year=row["incoming_year"],
        incoming_number=row["incoming_number"],
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


def delivery_query(uuid: str, recipient_agency_id: int) -> Query:
    """The query of the delivery of document ``uuid`` to an agency."""
    return (
        _SELECT + " WHERE v.document_id = (SELECT id FROM documents WHERE uuid = ?)"
        " AND v.recipient_agency_id = ?",
        (uuid, recipient_agency_id),
    )


def delivery_from(rows: list[Row]) -> Delivery | None:
    return _delivery(rows[0]) if rows else None


async def get_delivery_by_id(db: Reader, delivery_id: int) -> Delivery | None:
    row = await db.fetch_one(_SELECT + " WHERE v.id = ?", (delivery_id,))
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


def append_status(tx: Tx, delivery_id: int, status: NewStatus, *, at: datetime) -> None:
    """Record a status and move the delivery's positions with it.

    Both statements are deferred (:meth:`Tx.defer`): they go to the database
    with the transaction's next statement.
    """
    stamp = at.isoformat()
    # A change (13, 15, 16) leaves the time of the progress as it was. A
    # progress keeps its own reported time only: the hub's clock (its own
    # 01, a status posted without a time) says nothing of the order in
    # which the recipient gave its statuses.
    progress_moved = status.code not in ("13", "15", "16")
    reported = None if status.reported_at is None else status.reported_at.isoformat()
    _insert_status(tx, delivery_id, status, "applied", at)
    tx.defer(
        "UPDATE deliveries SET progress_status = ?, change_status = ?,"
        " change_kind = COALESCE(?, change_kind), last_status = ?,"
        " last_status_at = ?,"
        " state_reported_at = CASE WHEN ? THEN ? ELSE state_reported_at END"
        " WHERE id = ?",
        (
            status.progress_status, status.change_status, status.change_kind,
            status.code, stamp, progress_moved, reported, delivery_id,
        ),
    )  # fmt: skip


def note_status(
    tx: Tx, delivery_id: int, status: NewStatus, *, outcome: str, at: datetime
) -> None:
    """Keep a status that changes nothing (``repeat`` or ``late``), deferred."""
    if outcome not in ("repeat", "late"):
        raise ValueError(f"a status noted without effect is not {outcome!r}")
    _insert_status(tx, delivery_id, status, outcome, at)


def _insert_status(
    tx: Tx, delivery_id: int, status: NewStatus, outcome: str, at: datetime
) -> None:
    reported = None if status.reported_at is None else status.reported_at.isoformat()
    tx.defer(
        "INSERT INTO delivery_statuses (delivery_id, code, at, actor_id, agency_id,"
        " description, outcome, reported_at, change_kind)"
        " VALUES (?,?,?,?,?,?,?,?,?)",
        (
            delivery_id, status.code, at.isoformat(), status.actor_id,
            status.agency_id, status.description, outcome,
            reported or at.isoformat(), status.change_kind,
        ),
    )  # fmt: skip


async def mark_cancelled(tx: Tx, delivery_id: int, *, at: datetime) -> None:
    """The recipient agreed to a recall: its copy is cancelled, and kept."""
    await tx.execute(
        "UPDATE deliveries SET cancelled_at = ? WHERE id = ? AND cancelled_at IS NULL",
        (at.isoformat(), delivery_id),
    )


async def mark_update_applied(tx: Tx, delivery_id: int, *, at: datetime) -> None:
    await tx.execute(
        "UPDATE deliveries SET update_applied_at = ? WHERE id = ?",
        (at.isoformat(), delivery_id),
    )


async def mark_replaced(
    tx: Tx, delivery_id: int, *, by_document_id: int, at: datetime
) -> None:
    await tx.execute(
        "UPDATE deliveries SET replaced_by_document_id = ?, replaced_at = ?"
        " WHERE id = ?",
        (by_document_id, at.isoformat(), delivery_id),
    )


async def status_history(db: Reader, delivery_id: int) -> list[StatusEntry]:
    return (await status_histories(db, [delivery_id])).get(delivery_id, [])


async def status_histories(
    db: Reader, delivery_ids: Sequence[int]
) -> dict[int, list[StatusEntry]]:
    """The statuses of each delivery, oldest first, in one statement."""
    if not delivery_ids:
        return {}
    return _histories(await db.fetch_all(*_history_query(delivery_ids)))


async def with_history(
    db: Reader, delivery_id: int
) -> tuple[Delivery, list[StatusEntry]]:
    """A delivery as it stands and its statuses, read in one trip."""
    rows, statuses = await db.fetch_batch([
        (_SELECT + " WHERE v.id = ?", (delivery_id,)),
        _history_query([delivery_id]),
    ])  # fmt: skip
    return _delivery(rows[0]), _histories(statuses).get(delivery_id, [])


def _history_query(delivery_ids: Sequence[int]) -> Query:
    marks = ",".join("?" * len(delivery_ids))
    return (
        "SELECT s.delivery_id, s.code, s.at, a.organ_id, s.actor_id,"
        " s.description, s.outcome, s.reported_at, s.change_kind"
        " FROM delivery_statuses s JOIN agencies a ON a.id = s.agency_id"
        f" WHERE s.delivery_id IN ({marks}) ORDER BY s.id",
        tuple(delivery_ids),
    )


def _histories(rows: list[Row]) -> dict[int, list[StatusEntry]]:
    found: dict[int, list[StatusEntry]] = {}
    for row in rows:
        found.setdefault(row[0], []).append(StatusEntry(*tuple(row)[1:]))
    return found
