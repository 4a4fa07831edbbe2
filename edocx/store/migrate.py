"""Versioned schema migrations, applied in order when the database opens.

Each migration is a SQL file ``NNNN_name.sql`` in ``edocx/store/migrations``.
The ``schema_migrations`` table records the versions applied; a migration
runs in its own transaction with the record of it, so that a crash leaves
the schema either before or after it, never halfway.
"""

from __future__ import annotations

import logging
import re
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources

import aiosqlite

logger = logging.getLogger(__name__)

_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def available_migrations() -> list[Migration]:
    """Return the migrations shipped with the package, in version order."""
    found: list[Migration] = []
    for entry in resources.files("edocx.store.migrations").iterdir():
        match = _NAME.match(entry.name)
        if match is None:
            continue
        sql = entry.read_text(encoding="utf-8")
        found.append(Migration(int(match.group(1)), match.group(2), sql))

    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise RuntimeError(f"duplicate migration versions: {versions}")
    return found


async def apply_migrations(conn: aiosqlite.Connection) -> list[int]:
    """Apply the migrations not yet recorded; return the versions applied."""
    await conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
    )
    async with conn.execute("SELECT version FROM schema_migrations") as cursor:
        done = {row[0] for row in await cursor.fetchall()}

    applied: list[int] = []
    for migration in available_migrations():
        if migration.version in done:
            continue
        await _apply(conn, migration)
        applied.append(migration.version)
    return applied


# A migration that rebuilds a table (SQLite cannot alter a CHECK or drop a
# UNIQUE) starts with this line: it runs with foreign keys off, as SQLite's
# documented rebuild procedure wants, and is checked for dangling references
# before it commits.
REBUILDS = "-- rebuilds tables"


async def _apply(conn: aiosqlite.Connection, migration: Migration) -> None:
    rebuilds = migration.sql.startswith(REBUILDS)
    if rebuilds:
        # NOTE: the pragma is a no-op inside a transaction; set it before.
        await conn.execute("PRAGMA foreign_keys=OFF")
    try:
        await _run(conn, migration, check_references=rebuilds)
    finally:
        if rebuilds:
            await conn.execute("PRAGMA foreign_keys=ON")
    logger.info("applied migration %04d_%s", migration.version, migration.name)


async def _run(
    conn: aiosqlite.Connection, migration: Migration, *, check_references: bool
) -> None:
    # NOTE: executescript() would commit on its own; run the statements one
    # by one inside an explicit transaction instead.
    await conn.execute("BEGIN IMMEDIATE")
    try:
        for statement in split_statements(migration.sql):
            await conn.execute(statement)
        if check_references:
            await _refuse_dangling(conn, migration)
        await conn.execute(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?,?,?)",
            (migration.version, migration.name, datetime.now(UTC).isoformat()),
        )
        await conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            await conn.execute("ROLLBACK")
        raise


async def _refuse_dangling(conn: aiosqlite.Connection, migration: Migration) -> None:
    async with conn.execute("PRAGMA foreign_key_check") as cursor:
        dangling = list(await cursor.fetchall())
    if dangling:
        raise RuntimeError(
            f"migration {migration.version:04d}_{migration.name} leaves references"
            f" to missing rows: {[tuple(row) for row in dangling[:5]]}"
        )


def split_statements(script: str) -> list[str]:
    """Split a SQL script into complete statements (triggers included)."""
    statements: list[str] = []
    buffer = ""
    for line in script.splitlines(keepends=True):
        if not buffer and line.strip().startswith("--"):
            continue
        buffer += line
        if sqlite3.complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        raise RuntimeError(f"incomplete SQL statement in migration: {buffer[:60]!r}")
    return statements
