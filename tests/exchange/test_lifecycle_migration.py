"""Migration 0003 keeps the status history written before it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from edocx.store.db import Database
from edocx.store.deliveries import get_delivery_by_id, status_history

from ..store.test_migration_rebuild import _AT, _first_schema


async def test_statuses_written_before_are_kept_as_applied(tmp_path: Path) -> None:
    path = tmp_path / "hub.sqlite3"
    _first_schema(path)
    conn = sqlite3.connect(path)
    conn.executemany(
        "INSERT INTO delivery_statuses (delivery_id, code, at, actor_id, agency_id)"
        " VALUES (3, ?, ?, 1, 1)",
        [("01", _AT), ("03", _AT)],
    )
    conn.execute(
        "UPDATE deliveries SET progress_status = '03', last_status = '03',"
        " last_status_at = ? WHERE id = 3", (_AT,))  # fmt: skip
    conn.commit()
    conn.close()

    database = Database(path)
    await database.open()
    try:
        async with database.read() as reader:
            entries = await status_history(reader, 3)
            delivery = await get_delivery_by_id(reader, 3)
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            async with database.write() as tx:
                await tx.execute("UPDATE delivery_statuses SET outcome = 'late'")
    finally:
        await database.close()

    assert [(e.code, e.outcome, e.reported_at, e.actor_id) for e in entries] == [
        ("01", "applied", _AT, 1), ("03", "applied", _AT, 1),
    ]  # fmt: skip
    assert delivery is not None
    assert (delivery.progress_status, delivery.state_reported_at) == ("03", _AT)
    assert delivery.incoming_number is None and delivery.cancelled_at is None
