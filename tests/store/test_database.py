"""The database: pragmas, migrations, transactions and durability."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from edocx.store.db import (
    Database,
    TransactionMisuseError,
    assert_no_write_transaction,
)
from edocx.store.migrate import available_migrations
from edocx.store.models import Role
from edocx.store.seed import create_agency, create_user
from edocx.store.users import find_user_by_token_hash, hash_token

AT = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


async def _agency(db: Database, organ_id: str = "000.00.00.H41") -> None:
    await create_agency(
        db, organ_id=organ_id, name="Ủy ban nhân dân tỉnh Nghệ An",
        abbreviation="UBND", place="Nghệ An", seal_credential="seal-a", at=AT,
    )  # fmt: skip


async def test_pragmas_are_durable(db: Database) -> None:
    async with db.read() as reader:
        assert await reader.fetch_value("PRAGMA journal_mode") == "wal"
        assert await reader.fetch_value("PRAGMA synchronous") == 2  # FULL
        assert await reader.fetch_value("PRAGMA foreign_keys") == 1


async def test_migrations_recorded_once(tmp_path: Path) -> None:
    path = tmp_path / "hub.sqlite3"
    for _ in range(2):
        db = Database(path)
        await db.open()
        async with db.read() as reader:
            rows = await reader.fetch_all("SELECT version FROM schema_migrations")
        await db.close()
        assert [row[0] for row in rows] == [m.version for m in available_migrations()]


async def test_failed_transaction_leaves_nothing(db: Database) -> None:
    with pytest.raises(RuntimeError, match="boom"):
        async with db.write() as tx:
            await tx.execute(
                "INSERT INTO agencies (organ_id, name, abbreviation, place,"
                " created_at) VALUES ('X', 'X', 'X', 'X', 'now')"
            )
            raise RuntimeError("boom")
    async with db.read() as reader:
        assert await reader.fetch_value("SELECT COUNT(*) FROM agencies") == 0


async def test_worker_calls_refused_inside_write_transaction(db: Database) -> None:
    assert_no_write_transaction("a worker call")
    async with db.write():
        with pytest.raises(TransactionMisuseError):
            assert_no_write_transaction("a worker call")
        with pytest.raises(TransactionMisuseError):
            async with db.write():
                pass


async def test_writes_serialise(db: Database) -> None:
    await _agency(db)
    await asyncio.gather(*(_agency(db, f"000.00.00.X{i:02d}") for i in range(20)))
    async with db.read() as reader:
        assert await reader.fetch_value("SELECT COUNT(*) FROM agencies") == 21


async def test_committed_user_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "hub.sqlite3"
    db = Database(path)
    await db.open()
    await _agency(db)
    await create_user(
        db, organ_id="000.00.00.H41", display_name="Văn thư", role=Role.CLERK,
        token="secret-token", at=AT,
    )  # fmt: skip
    await db.close()

    # A plain sqlite3 connection sees the row: it is in the file, not a cache.
    with sqlite3.connect(path) as conn:
        stored = conn.execute("SELECT token_sha256 FROM users").fetchone()[0]
    assert stored == hash_token("secret-token")
    assert "secret-token" not in path.read_bytes().decode("latin-1")

    reopened = Database(path)
    await reopened.open()
    async with reopened.read() as reader:
        user = await find_user_by_token_hash(reader, hash_token("secret-token"))
    await reopened.close()
    assert user is not None and user.role is Role.CLERK


async def test_audit_log_is_append_only(db: Database) -> None:
    await _agency(db)
    for statement in (
        "UPDATE audit_events SET action = 'x'",
        "DELETE FROM audit_events",
    ):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            async with db.write() as tx:
                await tx.execute(statement)
    async with db.read() as reader:
        assert await reader.fetch_value("SELECT action FROM audit_events") == (
            "agency.created"
        )


async def test_agency_user_needs_an_agency(db: Database) -> None:
    with pytest.raises(sqlite3.IntegrityError):
        await create_user(
            db, organ_id=None, display_name="Văn thư", role=Role.CLERK,
            token="t", at=AT,
        )  # fmt: skip
    auditor = await create_user(
        db, organ_id=None, display_name="Kiểm toán", role=Role.AUDITOR,
        token="t2", at=AT,
    )  # fmt: skip
    assert auditor.agency_id is None


async def _scratch_table(db: Database) -> None:
    async with db.write() as tx:
        await tx.execute("CREATE TABLE scratch (n INTEGER PRIMARY KEY)")


async def test_deferred_statements_run_in_order_before_the_next(db: Database) -> None:
    await _scratch_table(db)

    async with db.write() as tx:
        tx.defer("INSERT INTO scratch (n) VALUES (1)")
        tx.defer("INSERT INTO scratch (n) VALUES (2)")
        # The read sees them: they ran first, in the same transaction.
        assert await tx.fetch_value("SELECT COUNT(*) FROM scratch") == 2
        tx.defer("DELETE FROM scratch WHERE n = 1")

    async with db.read() as reader:
        assert await reader.fetch_value("SELECT group_concat(n) FROM scratch") == "2"


async def test_a_transaction_of_deferred_statements_alone_commits(
    db: Database, tmp_path: Path
) -> None:
    await _scratch_table(db)

    async with db.write() as tx:
        tx.defer("INSERT INTO scratch (n) VALUES (7)")

    # Read from another connection: committed, not merely on the writer's.
    with sqlite3.connect(tmp_path / "hub.sqlite3") as other:
        assert other.execute("SELECT n FROM scratch").fetchall() == [(7,)]


async def test_a_failing_deferred_statement_rolls_everything_back(db: Database) -> None:
    await _scratch_table(db)

    with pytest.raises(sqlite3.IntegrityError):
        async with db.write() as tx:
            await tx.execute("INSERT INTO scratch (n) VALUES (1)")
            tx.defer("INSERT INTO scratch (n) VALUES (1)")  # fails at COMMIT

    async with db.read() as reader:
        assert await reader.fetch_value("SELECT COUNT(*) FROM scratch") == 0
    # The writer is usable again.
    async with db.write() as tx:
        tx.defer("INSERT INTO scratch (n) VALUES (3)")


async def test_commit_hooks_run_on_commit_only(db: Database) -> None:
    await _scratch_table(db)
    ran: list[str] = []

    async with db.write() as tx:
        tx.defer("INSERT INTO scratch (n) VALUES (1)")
        tx.after_commit(lambda: ran.append("kept"))
    with pytest.raises(sqlite3.IntegrityError):
        async with db.write() as tx:
            tx.defer("INSERT INTO scratch (n) VALUES (1)")
            tx.after_commit(lambda: ran.append("rolled back"))

    assert ran == ["kept"]


async def test_data_version_tells_of_other_connections_commits(
    db: Database, tmp_path: Path
) -> None:
    await _scratch_table(db)

    async def version() -> int | None:
        async with db.write() as tx:
            await tx.fetch_value("SELECT 1")
            return tx.data_version

    first = await version()
    async with db.write() as tx:  # this connection's own commit
        await tx.execute("INSERT INTO scratch (n) VALUES (1)")
    assert await version() == first

    with sqlite3.connect(tmp_path / "hub.sqlite3") as other:
        other.execute("INSERT INTO scratch (n) VALUES (2)")
    assert await version() != first


async def test_a_batch_of_queries_answers_each_in_order(db: Database) -> None:
    await _scratch_table(db)

    async with db.write() as tx:
        tx.defer("INSERT INTO scratch (n) VALUES (1), (2), (3)")
        found = await tx.fetch_batch([
            ("SELECT n FROM scratch WHERE n > ? ORDER BY n", (1,)),
            ("SELECT n FROM scratch WHERE n = ?", (9,)),
            ("SELECT COUNT(*) FROM scratch", ()),
        ])  # fmt: skip

    assert [[tuple(row) for row in rows] for rows in found] == [
        [(2,), (3,)], [], [(3,)],
    ]  # fmt: skip
