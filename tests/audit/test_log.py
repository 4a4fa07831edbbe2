"""The Merkle log in a real SQLite file: appends, proofs, stale edges, legacy rows."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from edocx.audit import log, merkle
from edocx.audit.entry import entry_bytes
from edocx.audit.events import AUDIT_INDICES, list_events, record_event
from edocx.store.db import Database, Tx

AT = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(tmp_path / "hub.sqlite3")
    await database.open()
    yield database
    await database.close()


async def _record(tx: Tx, i: int) -> int:
    return await record_event(
        tx, at=AT + timedelta(seconds=i), actor=None, agency=None,
        action="document.created", object_type="document", object_id=f"doc-{i % 7}",
        content_sha256=f"{i:064x}", details={"n": i, "tên": "Công văn", "x": [1.5]},
    )  # fmt: skip


async def _append(db: Database, count: int) -> list[int]:
    indices: list[int] = []
    async with db.write() as tx:
        for i in range(count):
            indices.append(await _record(tx, i))
    return indices


async def _leaves_from_rows(db: Database) -> list[bytes]:
    async with db.read() as reader:
        events = await list_events(reader, limit=100_000)
    return [merkle.leaf_hash(entry_bytes(e)) for e in events]


async def _check_tree(db: Database) -> None:
    # Every root and proof from the stored nodes agrees with the leaves
    # recomputed from the rows.
    leaves = await _leaves_from_rows(db)
    async with db.read() as reader:
        size = await log.tree_size(reader)
        assert size == len(leaves)
        for n in range(1, size + 1):
            root = await log.root_at(reader, n)
            assert root == merkle.root_of(leaves[:n])
            index = (n * 7) % n
            proof = await log.inclusion_proof(reader, index, n)
            assert merkle.verify_inclusion(leaves[index], index, n, proof, root)
            old = max(1, n // 3)
            path = await log.consistency_proof(reader, old, n)
            old_root = merkle.root_of(leaves[:old])
            assert merkle.verify_consistency(old, n, old_root, root, path)


async def test_appends_return_leaf_indices_and_make_the_tree(db: Database) -> None:
    assert await _append(db, 5) == [0, 1, 2, 3, 4]
    kept: list[int] = []
    token = AUDIT_INDICES.set(kept)
    try:
        assert await _append(db, 18) == list(range(5, 23))
    finally:
        AUDIT_INDICES.reset(token)
    assert kept == list(range(5, 23))
    await _check_tree(db)

    async with db.read() as reader:
        found = await log.entries(reader, 3, 6)
        events = await list_events(reader, limit=100)
    assert [e.index for e in found] == [3, 4, 5]
    for item, event in zip(found, events[3:6], strict=True):
        assert item.entry == entry_bytes(event)
        assert item.leaf_hash == merkle.leaf_hash(item.entry)
        assert item.seq == event.seq
    assert b'"t\xc3\xaan":"C\xc3\xb4ng v\xc4\x83n"' in found[0].entry


async def test_an_append_costs_at_most_two_statements(db: Database) -> None:
    await _append(db, 3)
    for _ in range(4):
        async with db.write() as tx:
            await tx.fetch_value("SELECT 1")  # the change before its event
            async with _traced(tx) as statements:
                await _record(tx, 99)
                # Deferred: nothing reached the database yet.
                assert statements == []
                await tx.commit()
        # The event's own insert, the leaf, and the completed subtrees.
        assert len(statements) - 1 <= 2, [s[:60] for s in statements]
        assert statements[0].startswith("INSERT INTO audit_events")


async def test_a_proof_is_one_query_in_a_large_log(db: Database) -> None:
    async with db.write() as tx:
        for i in range(1500):
            await _record(tx, i)
    async with db.read() as reader:
        async with _traced(reader) as statements:
            proof = await log.inclusion_proof(reader, 777, 1500)
            await log.consistency_proof(reader, 1000, 1500)
    # The size check and one lookup query each, whatever the size.
    assert len(statements) == 4
    assert len(proof) == 11


async def test_a_rolled_back_append_leaves_no_trace(db: Database) -> None:
    await _append(db, 3)
    with pytest.raises(RuntimeError):
        async with db.write() as tx:
            await _record(tx, 3)
            await _record(tx, 4)
            raise RuntimeError("the change fails")
    assert await _append(db, 2) == [3, 4]
    await _check_tree(db)


async def test_another_writer_is_noticed(db: Database, tmp_path: Path) -> None:
    await _append(db, 3)
    other = Database(db.path, readers=1)
    await other.open()
    try:
        assert await _append(other, 2) == [3, 4]
    finally:
        await other.close()
    assert await _append(db, 1) == [5]
    await _check_tree(db)


async def test_events_from_before_the_log_get_their_leaves_in_order(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.sqlite3"
    database = Database(path)
    await database.open()
    await database.close()
    _legacy_rows(path, 9)

    database = Database(path)
    await database.open()
    try:
        async with database.read() as reader:
            assert await log.tree_size(reader) == 0
        # The first append catches up first; the new event comes last.
        assert await _append(database, 1) == [9]
        await _check_tree(database)
        async with database.write() as tx:
            assert await log.catch_up(tx) == 0
    finally:
        await database.close()


def _legacy_rows(path: Path, count: int) -> None:
    # Rows as an earlier version wrote them: events with no leaf.
    conn = sqlite3.connect(path)
    with conn:
        conn.executemany(
            "INSERT INTO audit_events (at, actor_id, agency_id, action, object_type,"
            " object_id, content_sha256, details_json) VALUES (?,?,?,?,?,?,?,?)",
            [
                ((AT + timedelta(seconds=i)).isoformat(), None, None, "old.action",
                 "document", f"old-{i}", None, f'{{"n": {i}}}')
                for i in range(count)
            ],
        )  # fmt: skip
    conn.close()


async def test_catch_up_in_bulk(db: Database) -> None:
    _legacy_rows(db.path, 70)
    async with db.write() as tx:
        assert await log.catch_up(tx) == 70
    await _check_tree(db)


async def test_document_indices(db: Database) -> None:
    await _append(db, 15)
    async with db.write() as tx:
        await record_event(
            tx, at=AT, actor=None, agency=None, action="delivery.sent",
            object_type="delivery", object_id="42", details={"document": "doc-3"},
        )  # fmt: skip
    async with db.read() as reader:
        assert await log.document_indices(reader, "doc-3") == [3, 10, 15]


async def test_a_damaged_tree_is_reported(db: Database) -> None:
    await _append(db, 8)
    conn = sqlite3.connect(db.path)
    with conn:
        conn.execute("DROP TRIGGER audit_nodes_no_delete")
        conn.execute("DELETE FROM audit_nodes WHERE level = 3")
    conn.close()
    async with db.read() as reader:
        with pytest.raises(log.AuditLogError, match="leaves 0 to 7"):
            await log.root_at(reader, 8)
        with pytest.raises(ValueError):
            await log.inclusion_proof(reader, 0, 9)


@asynccontextmanager
async def _traced(handle: Any) -> AsyncIterator[list[str]]:
    statements: list[str] = []
    conn = handle._conn

    def note(sql: str) -> None:
        # The transaction's own statements are not ours; a trigger's run is
        # reported as its statement again.
        if sql.startswith(("--", "BEGIN", "COMMIT", "PRAGMA data_version")):
            return
        if not statements or statements[-1] != sql:
            statements.append(sql)

    await conn.set_trace_callback(note)
    try:
        yield statements
    finally:
        await conn.set_trace_callback(None)


async def test_no_secret_goes_into_an_entry(db: Database) -> None:
    async with db.write() as tx:
        for name in ("token", "Password", "body"):
            with pytest.raises(ValueError, match="may not carry"):
                await record_event(
                    tx, at=AT, actor=None, agency=None, action="user.created",
                    object_type="user", object_id="7", details={name: "x"},
                )  # fmt: skip
    async with db.read() as reader:
        assert await log.tree_size(reader) == 0
