"""An e-duplicate the hub stopped in the middle of is voided at the next start.

A real database file left as a process killed between reserving a number
of the duplicate book and sealing the duplicate leaves it: the number
``reserved``. The start's recovery voids it with its reason and an audit
entry; the next duplicate takes the next number, never that one again.
"""

from __future__ import annotations

from datetime import UTC, datetime

from edocx.copies.duplicates import INTERRUPTED, void_interrupted
from edocx.store import duplicates as book
from edocx.store.db import Database
from edocx.store.duplicates import DuplicateState, NewDuplicate
from edocx.store.models import Role
from edocx.store.seed import create_agency, create_user

AT = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)


async def _new(db: Database, code: str) -> NewDuplicate:
    async with db.read() as reader:
        row = await reader.fetch_one(
            "SELECT u.id, u.agency_id FROM users u WHERE u.role = 'clerk'"
        )
    assert row is not None
    return NewDuplicate(
        code=code, agency_id=row[1], year=2026, book="Sổ bản sao 2026",
        kind="birth", document_name="Trích lục khai sinh", record="{}",
        record_sha256="0" * 64, requester="Lê Văn Bình", actor_id=row[0],
    )  # fmt: skip


async def test_a_reserved_duplicate_is_voided_at_the_next_start(
    db: Database,
) -> None:
    await create_agency(
        db, organ_id="000.00.00.T02", name="Ủy ban thử", abbreviation="UBT",
        place="Huế", seal_credential=None, at=AT,
    )  # fmt: skip
    await create_user(
        db, organ_id="000.00.00.T02", display_name="Văn thư", role=Role.CLERK,
        token="c" * 32, at=AT,
    )  # fmt: skip
    async with db.write() as tx:
        left = await book.reserve_number(tx, await _new(db, "cut"), at=AT)

    voided = await void_interrupted(db, at=AT)
    again = await void_interrupted(db, at=AT)
    async with db.write() as tx:
        following = await book.reserve_number(tx, await _new(db, "next"), at=AT)

    async with db.read() as reader:
        cut = await book.get_by_code(reader, "cut")
        events = await reader.fetch_all(
            "SELECT object_id, details_json FROM audit_events"
            " WHERE action = 'duplicate.void'"
        )
    assert (left, following, voided, again) == (1, 2, 1, 0)
    assert cut is not None and cut.state is DuplicateState.VOIDED
    assert cut.reason == INTERRUPTED
    assert [e[0] for e in events] == ["cut"] and "stopped" in events[0][1]
