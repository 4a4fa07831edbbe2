"""The duplicate book: e-duplicates issued from master registers.

Numbers are taken under the write lock (``BEGIN IMMEDIATE``), so two clerks
never get the same one; ``UNIQUE (agency_id, year, number)`` makes sure of
it, and a trigger keeps every row of the book (migration 0008).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from edocx.store.db import Reader, Row, Tx


class DuplicateState(StrEnum):
    RESERVED = "reserved"
    ISSUED = "issued"
    VOIDED = "voided"


@dataclass(frozen=True)
class NewDuplicate:
    """What is known of a duplicate when its number is reserved."""

    code: str
    agency_id: int
    year: int
    book: str
    kind: str
    document_name: str
    record: str
    record_sha256: str
    requester: str
    actor_id: int


@dataclass(frozen=True)
class DuplicateRow:
    """One entry of the duplicate book, and its revocation if any."""

    id: int
    code: str
    agency_id: int
    year: int
    number: int
    book: str
    kind: str
    document_name: str
    record: str
    record_sha256: str
    requester: str
    actor_id: int
    state: DuplicateState
    reason: str | None
    reserved_at: str
    issued_at: str | None
    blob: str | None
    level: str | None
    revoked_at: str | None = None
    revocation_reason: str | None = None


_SELECT = (
    "SELECT d.*, r.revoked_at, r.reason AS revocation_reason FROM duplicates d"
    " LEFT JOIN duplicate_revocations r ON r.duplicate_id = d.id"
)


def _row(row: Row) -> DuplicateRow:
    return DuplicateRow(
        id=row["id"], code=row["code"], agency_id=row["agency_id"],
        year=row["year"], number=row["number"], book=row["book"], kind=row["kind"],
        document_name=row["document_name"], record=row["record"],
        record_sha256=row["record_sha256"], requester=row["requester"],
        actor_id=row["actor_id"], state=DuplicateState(row["state"]),
        reason=row["reason"], reserved_at=row["reserved_at"],
        issued_at=row["issued_at"], blob=row["blob"], level=row["level"],
        revoked_at=row["revoked_at"], revocation_reason=row["revocation_reason"],
    )  # fmt: skip


async def reserve_number(tx: Tx, new: NewDuplicate, *, at: datetime) -> int:
    """Take the next number of the body's duplicate book for ``new.year``."""
    # Under the write transaction: no other number of the book is taken
    # between this read and the insert.
    last = await tx.fetch_value(
        "SELECT MAX(number) FROM duplicates WHERE agency_id = ? AND year = ?",
        (new.agency_id, new.year),
    )
    number = int(last or 0) + 1
    await tx.execute(
        "INSERT INTO duplicates (code, agency_id, year, number, book, kind,"
        " document_name, record, record_sha256, requester, actor_id, reserved_at)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        (new.code, new.agency_id, new.year, number, new.book, new.kind,
         new.document_name, new.record, new.record_sha256, new.requester,
         new.actor_id, at.isoformat()),
    )  # fmt: skip
    return number


async def mark_issued(
    tx: Tx, code: str, *, blob: str, level: str, at: datetime
) -> None:
    """Record the sealed file of a reserved duplicate."""
    await tx.execute(
        "UPDATE duplicates SET state = 'issued', blob = ?, level = ?, issued_at = ?"
        " WHERE code = ? AND state = 'reserved'",
        (blob, level, at.isoformat(), code),
    )
    if await tx.changes() != 1:
        raise RuntimeError(f"duplicate {code} is not reserved")


async def mark_voided(tx: Tx, code: str, *, reason: str) -> bool:
    """Void a reserved number with the reason; False if it was settled."""
    await tx.execute(
        "UPDATE duplicates SET state = 'voided', reason = ?"
        " WHERE code = ? AND state = 'reserved'",
        (reason, code),
    )
    return await tx.changes() == 1


async def stale_reservations(db: Reader) -> list[DuplicateRow]:
    """The numbers left reserved (only a stopped process leaves them)."""
    rows = await db.fetch_all(_SELECT + " WHERE d.state = 'reserved' ORDER BY d.id")
    return [_row(row) for row in rows]


async def record_revocation(
    tx: Tx, duplicate_id: int, *, actor_id: int, reason: str, at: datetime
) -> None:
    await tx.execute(
        "INSERT INTO duplicate_revocations (duplicate_id, revoked_at, actor_id,"
        " reason) VALUES (?,?,?,?)",
        (duplicate_id, at.isoformat(), actor_id, reason),
    )


async def get_by_code(db: Reader, code: str) -> DuplicateRow | None:
    row = await db.fetch_one(_SELECT + " WHERE d.code = ?", (code,))
    return None if row is None else _row(row)


async def list_book(db: Reader, *, agency_id: int, year: int) -> list[DuplicateRow]:
    rows = await db.fetch_all(
        _SELECT + " WHERE d.agency_id = ? AND d.year = ? ORDER BY d.number",
        (agency_id, year),
    )
    return [_row(row) for row in rows]
