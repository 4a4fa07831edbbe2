"""Certification books and copy intakes (migration 0007).

A number is taken with :func:`take_number` inside the caller's write
transaction (``BEGIN IMMEDIATE``): no other number of the book can be taken
between the read of the last one and the insert of the next, and the
UNIQUE key of (book, number) refuses a second holder. A refusal is written
by :func:`insert_refusal` and takes no number.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from edocx.store.db import Reader, Row, Tx


class CopyState(StrEnum):
    CERTIFYING = "certifying"  # a number is taken; signing runs
    CERTIFIED = "certified"
    FAILED = "failed"  # signing failed after the number was taken
    REFUSED = "refused"  # refused at intake (Decree 23/2015 Art. 22)
    REVOKED = "revoked"


@dataclass(frozen=True)
class CopyBook:
    id: int
    agency_id: int
    year: int
    name: str


@dataclass(frozen=True)
class IntakeFacts:
    """What the certifier records at the desk."""

    requester: str
    document_name: str
    page_count: int
    copies: int
    fee: int
    fee_currency: str


@dataclass(frozen=True)
class CopyIntake:
    """One row of ``copy_intakes``: a certification, or a refusal."""

    id: int
    code: str
    agency_id: int
    certifier_id: int
    state: CopyState
    facts: IntakeFacts
    scan_sha256: str | None
    book: CopyBook | None
    number: int | None
    number_text: str | None
    check_url: str | None
    certified_blob: str | None
    certified_at: str | None
    refusal_reason: str | None
    refusal_note: str | None
    failure_reason: str | None
    revoked_at: str | None
    revocation_reason: str | None
    created_at: str


_SELECT = (
    "SELECT i.*, b.year AS book_year, b.name AS book_name FROM copy_intakes i"
    " LEFT JOIN copy_books b ON b.id = i.book_id"
)


def _intake(row: Row) -> CopyIntake:
    book = None
    if row["book_id"] is not None:
        book = CopyBook(
            row["book_id"], row["agency_id"], row["book_year"], row["book_name"]
        )
    facts = IntakeFacts(
        row["requester"], row["document_name"], row["page_count"], row["copies"],
        row["fee"], row["fee_currency"],
    )  # fmt: skip
    return CopyIntake(
        id=row["id"], code=row["code"], agency_id=row["agency_id"],
        certifier_id=row["certifier_id"], state=CopyState(row["state"]),
        facts=facts, scan_sha256=row["scan_sha256"], book=book,
        number=row["number"], number_text=row["number_text"],
        check_url=row["check_url"], certified_blob=row["certified_blob"],
        certified_at=row["certified_at"], refusal_reason=row["refusal_reason"],
        refusal_note=row["refusal_note"], failure_reason=row["failure_reason"],
        revoked_at=row["revoked_at"], revocation_reason=row["revocation_reason"],
        created_at=row["created_at"],
    )  # fmt: skip


async def book_for(
    tx: Tx, *, agency_id: int, year: int, name: str, at: datetime
) -> CopyBook:
    """Return the agency's book of ``year``, opening it named ``name``."""
    row = await tx.fetch_one(
        "SELECT * FROM copy_books WHERE agency_id = ? AND year = ?", (agency_id, year)
    )
    if row is not None:
        return CopyBook(row["id"], agency_id, year, row["name"])
    book_id = await tx.execute(
        "INSERT INTO copy_books (agency_id, year, name, created_at) VALUES (?,?,?,?)",
        (agency_id, year, name, at.isoformat()),
    )
    return CopyBook(book_id, agency_id, year, name)


async def take_number(
    tx: Tx, *, code: str, book: CopyBook, certifier_id: int, facts: IntakeFacts,
    scan_sha256: str, at: datetime,
) -> int:  # fmt: skip
    """Write an intake with the next number of ``book``; return the number."""
    # Under the write transaction: nothing is taken between read and insert.
    last = await tx.fetch_value(
        "SELECT MAX(number) FROM copy_intakes WHERE book_id = ?", (book.id,)
    )
    number = int(last or 0) + 1
    await tx.execute(
        "INSERT INTO copy_intakes (code, agency_id, certifier_id, state, requester,"
        " document_name, page_count, copies, fee, fee_currency, scan_sha256,"
        " book_id, number, created_at, updated_at)"
        " VALUES (?,?,?,'certifying',?,?,?,?,?,?,?,?,?,?,?)",
        (
            code, book.agency_id, certifier_id, facts.requester, facts.document_name,
            facts.page_count, facts.copies, facts.fee, facts.fee_currency,
            scan_sha256, book.id, number, at.isoformat(), at.isoformat(),
        ),
    )  # fmt: skip
    return number


async def insert_refusal(
    tx: Tx, *, code: str, agency_id: int, certifier_id: int, facts: IntakeFacts,
    reason: str, note: str | None, at: datetime,
) -> None:  # fmt: skip
    """Record a refused original: its reason, and no number."""
    await tx.execute(
        "INSERT INTO copy_intakes (code, agency_id, certifier_id, state, requester,"
        " document_name, page_count, copies, fee, fee_currency, refusal_reason,"
        " refusal_note, created_at, updated_at)"
        " VALUES (?,?,?,'refused',?,?,?,?,?,?,?,?,?,?)",
        (
            code, agency_id, certifier_id, facts.requester, facts.document_name,
            facts.page_count, facts.copies, facts.fee, facts.fee_currency, reason,
            note, at.isoformat(), at.isoformat(),
        ),
    )  # fmt: skip


async def mark_certified(
    tx: Tx, intake_id: int, *, blob: str, number_text: str, check_url: str,
    at: datetime,
) -> bool:  # fmt: skip
    """Settle a taken number as certified; False if it was not certifying."""
    await tx.execute(
        "UPDATE copy_intakes SET state = 'certified', certified_blob = ?,"
        " number_text = ?, check_url = ?, certified_at = ?, updated_at = ?"
        " WHERE id = ? AND state = 'certifying'",
        (blob, number_text, check_url, at.isoformat(), at.isoformat(), intake_id),
    )
    return await tx.changes() == 1


async def mark_failed(tx: Tx, intake_id: int, *, reason: str, at: datetime) -> bool:
    """Settle a taken number as failed, with the reason signing failed."""
    await tx.execute(
        "UPDATE copy_intakes SET state = 'failed', failure_reason = ?,"
        " updated_at = ? WHERE id = ? AND state = 'certifying'",
        (reason, at.isoformat(), intake_id),
    )
    return await tx.changes() == 1


async def mark_revoked(
    tx: Tx, intake_id: int, *, by: int, reason: str, at: datetime
) -> bool:
    """Revoke a certified copy; False if it is not (or no longer) certified."""
    await tx.execute(
        "UPDATE copy_intakes SET state = 'revoked', revoked_at = ?, revoked_by = ?,"
        " revocation_reason = ?, updated_at = ? WHERE id = ? AND state = 'certified'",
        (at.isoformat(), by, reason, at.isoformat(), intake_id),
    )
    return await tx.changes() == 1


async def get_intake(db: Reader, code: str) -> CopyIntake | None:
    row = await db.fetch_one(_SELECT + " WHERE i.code = ?", (code,))
    return None if row is None else _intake(row)


async def get_intake_by_id(db: Reader, intake_id: int) -> CopyIntake | None:
    row = await db.fetch_one(_SELECT + " WHERE i.id = ?", (intake_id,))
    return None if row is None else _intake(row)


async def find_book(db: Reader, *, agency_id: int, year: int) -> CopyBook | None:
    """Return the agency's book of ``year``, if one was opened."""
    row = await db.fetch_one(
        "SELECT * FROM copy_books WHERE agency_id = ? AND year = ?", (agency_id, year)
    )
    return None if row is None else CopyBook(row["id"], agency_id, year, row["name"])


async def list_book(db: Reader, book_id: int) -> list[CopyIntake]:
    """Return the entries of a book in number order."""
    rows = await db.fetch_all(
        _SELECT + " WHERE i.book_id = ? ORDER BY i.number", (book_id,)
    )
    return [_intake(row) for row in rows]


async def stale_certifying(db: Reader) -> list[CopyIntake]:
    """Intakes a stopped process left with a number and no outcome."""
    rows = await db.fetch_all(_SELECT + " WHERE i.state = 'certifying'")
    return [_intake(row) for row in rows]
