"""The number register: every number handed out per agency and year.

Numbers are taken under the write lock (``BEGIN IMMEDIATE``), so two issues
never get the same one; the UNIQUE key and the triggers of the schema make
sure a number is never removed or handed out twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from edocx.store.db import Reader, Row, Tx
from edocx.store.models import NumberEntry, NumberState


def _entry(row: Row) -> NumberEntry:
    return NumberEntry(
        agency_id=row["agency_id"],
        year=row["year"],
        number=row["number"],
        document_id=row["document_id"],
        state=NumberState(row["state"]),
        reason=row["reason"],
        reserved_at=row["reserved_at"],
        settled_at=row["settled_at"],
    )


async def reserve_next(
    tx: Tx, *, agency_id: int, year: int, document_id: int, at: datetime
) -> int:
    """Take the next number of ``year`` for the agency, in state reserved."""
    number = await _next_number(tx, "number_register", agency_id, year)
    await tx.execute(
        "INSERT INTO number_register (agency_id, year, number, document_id, state,"
        " reserved_at) VALUES (?,?,?,?,'reserved',?)",
        (agency_id, year, number, document_id, at.isoformat()),
    )
    return number


async def settle(
    tx: Tx,
    *,
    agency_id: int,
    year: int,
    number: int,
    state: NumberState,
    reason: str | None,
    at: datetime,
) -> None:
    """Mark a reserved number issued, or voided with its reason."""
    if state is NumberState.RESERVED:
        raise ValueError("a number is settled as issued or voided")
    await tx.execute(
        "UPDATE number_register SET state = ?, reason = ?, settled_at = ?"
        " WHERE agency_id = ? AND year = ? AND number = ? AND state = 'reserved'",
        (state.value, reason, at.isoformat(), agency_id, year, number),
    )
    if await tx.changes() != 1:
        raise RuntimeError(f"number {number}/{year} is not reserved")


async def reservation_for(db: Reader, document_id: int) -> NumberEntry | None:
    """Return the open reservation of a document, if an issue is running."""
    row = await db.fetch_one(
        "SELECT * FROM number_register WHERE document_id = ? AND state = 'reserved'",
        (document_id,),
    )
    return None if row is None else _entry(row)


async def stale_reservations(db: Reader) -> list[NumberEntry]:
    rows = await db.fetch_all(
        "SELECT * FROM number_register WHERE state = 'reserved' ORDER BY reserved_at"
    )
    return [_entry(row) for row in rows]


async def list_register(db: Reader, *, agency_id: int, year: int) -> list[NumberEntry]:
    rows = await db.fetch_all(
        "SELECT * FROM number_register WHERE agency_id = ? AND year = ?"
        " ORDER BY number",
        (agency_id, year),
    )
    return [_entry(row) for row in rows]


# The incoming book: one number per accepted delivery, per recipient agency
# and year, given in the transaction that records the 03 (under the write
# lock), so that no number is ever reserved and left open.


@dataclass(frozen=True)
class IncomingEntry:
    agency_id: int
    year: int
    number: int
    delivery_id: int
    registered_at: str


async def take_incoming_number(
    tx: Tx, *, agency_id: int, year: int, delivery_id: int, at: datetime
) -> int:
    """Write the next number of the agency's incoming book for ``delivery_id``."""
    number = await _next_number(tx, "incoming_register", agency_id, year)
    tx.defer(
        "INSERT INTO incoming_register (agency_id, year, number, delivery_id,"
        " registered_at) VALUES (?,?,?,?,?)",
        (agency_id, year, number, delivery_id, at.isoformat()),
    )
    return number


async def list_incoming(
    db: Reader, *, agency_id: int, year: int
) -> list[IncomingEntry]:
    rows = await db.fetch_all(
        "SELECT * FROM incoming_register WHERE agency_id = ? AND year = ?"
        " ORDER BY number",
        (agency_id, year),
    )
    return [IncomingEntry(*_incoming_fields(row)) for row in rows]


def _incoming_fields(row: Row) -> tuple[int, int, int, int, str]:
    return (
        row["agency_id"], row["year"], row["number"], row["delivery_id"],
        row["registered_at"],
    )  # fmt: skip


_Book = Literal["number_register", "incoming_register"]


async def _next_number(tx: Tx, book: _Book, agency_id: int, year: int) -> int:
    # Under the write transaction: no other number of the book is taken
    # between this read and the caller's insert.
    last = await tx.fetch_value(
        f"SELECT MAX(number) FROM {book} WHERE agency_id = ? AND year = ?",
        (agency_id, year),
    )
    return int(last or 0) + 1
