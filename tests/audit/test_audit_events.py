"""Audit events: in the change's transaction, ordered, append-only."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from edocx.audit.events import list_events, record_event
from edocx.store.db import Database

AT = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(tmp_path / "hub.sqlite3")
    await database.open()
    yield database
    await database.close()


async def _insert_agency(db: Database, organ_id: str, *, fail: bool) -> None:
    async with db.write() as tx:
        agency_id = await tx.execute(
            "INSERT INTO agencies (organ_id, name, abbreviation, place, created_at)"
            " VALUES (?, 'n', 'a', 'p', ?)",
            (organ_id, AT.isoformat()),
        )
        await record_event(
            tx, at=AT, actor=None, agency=agency_id, action="agency.created",
            object_type="agency", object_id=organ_id, content_sha256="ab" * 32,
            details={"name": "Sở Tư pháp"},
        )  # fmt: skip
        if fail:
            raise RuntimeError("the change fails after its event was written")


async def test_event_shares_the_fate_of_its_change(db: Database) -> None:
    await _insert_agency(db, "000.00.00.H41", fail=False)
    with pytest.raises(RuntimeError):
        await _insert_agency(db, "000.00.00.H14", fail=True)

    async with db.read() as reader:
        events = await list_events(reader)
        agencies = await reader.fetch_value("SELECT COUNT(*) FROM agencies")
    assert agencies == 1
    (event,) = events
    assert (event.object_id, event.action) == ("000.00.00.H41", "agency.created")
    assert event.details == {"name": "Sở Tư pháp"}
    assert event.content_sha256 == "ab" * 32
    assert datetime.fromisoformat(event.at) == AT


async def test_sequence_and_paging(db: Database) -> None:
    for i in range(5):
        await _insert_agency(db, f"000.00.00.X{i:02d}", fail=False)
    async with db.read() as reader:
        first = await list_events(reader, limit=2)
        rest = await list_events(reader, after_seq=first[-1].seq)
        one = await list_events(reader, object_id="000.00.00.X03")
    seqs = [e.seq for e in first + rest]
    assert seqs == sorted(seqs) and len(set(seqs)) == 5
    assert [e.object_id for e in one] == ["000.00.00.X03"]


async def test_naive_times_are_refused(db: Database) -> None:
    with pytest.raises(ValueError, match="timezone"):
        async with db.write() as tx:
            await record_event(
                tx, at=datetime(2026, 3, 1), actor=None, agency=None,
                action="x", object_type="x", object_id="x",
            )  # fmt: skip
