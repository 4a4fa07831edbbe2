"""An insider with write access to the hub's SQLite file, for the tamper tests.

Each edit works on a copy of a genuine database, drops the triggers that
refuse UPDATE and DELETE (as anyone who can write the file can), changes
what it changes and, like a careful insider, rewrites the stored leaf and
node hashes so that the database agrees with itself.
"""

from __future__ import annotations

import io
import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from edocx.audit.entry import entry_bytes, event_from_row
from edocx.audit.export import ExportedLog, export_log, read_export
from edocx.audit.merkle import leaf_hash, node_hash
from edocx.audit.treehead import SignedTreeHead
from edocx.store.db import Database

AT = datetime(2026, 12, 5, 4, 0, tzinfo=UTC)


def copy_database(source: Path, target: Path) -> Path:
    """Copy a live database through SQLite's backup (a consistent snapshot)."""
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    src.close()
    dst.close()
    return target


def open_as_insider(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.row_factory = sqlite3.Row
    names = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'trigger'"
        " AND tbl_name LIKE 'audit%'"
    ).fetchall()
    for (name,) in names:
        conn.execute(f'DROP TRIGGER "{name}"')
    return conn


def leaf_rows(conn: sqlite3.Connection) -> list[tuple[int, int]]:
    """(idx, seq) of every leaf, in index order."""
    rows = conn.execute("SELECT idx, seq FROM audit_leaves ORDER BY idx")
    return [(row["idx"], row["seq"]) for row in rows]


def entry_of(conn: sqlite3.Connection, seq: int) -> bytes:
    row = conn.execute("SELECT * FROM audit_events WHERE seq = ?", (seq,)).fetchone()
    return entry_bytes(event_from_row(row))


def set_leaves(conn: sqlite3.Connection, seqs: Sequence[int]) -> None:
    """Make the leaves exactly ``seqs`` in order, with matching hashes."""
    conn.execute("DELETE FROM audit_leaves")
    conn.executemany(
        "INSERT INTO audit_leaves (idx, seq, hash) VALUES (?, ?, ?)",
        [(i, seq, leaf_hash(entry_of(conn, seq))) for i, seq in enumerate(seqs)],
    )
    rebuild_nodes(conn)


def rebuild_nodes(conn: sqlite3.Connection) -> None:
    """Recompute every complete subtree's hash from the leaves."""
    level_hashes = [
        row["hash"]
        for row in conn.execute("SELECT hash FROM audit_leaves ORDER BY idx")
    ]
    conn.execute("DELETE FROM audit_nodes")
    level = 0
    while len(level_hashes) > 1:
        level += 1
        level_hashes = [
            node_hash(level_hashes[i], level_hashes[i + 1])
            for i in range(0, len(level_hashes) - 1, 2)
        ]
        conn.executemany(
            "INSERT INTO audit_nodes (level, idx, hash) VALUES (?, ?, ?)",
            [(level, i, h) for i, h in enumerate(level_hashes)],
        )


def drop_heads_above(conn: sqlite3.Connection, size: int) -> None:
    conn.execute("DELETE FROM audit_checkpoints WHERE tree_size > ?", (size,))


async def exported(path: Path) -> ExportedLog:
    """Export the (tampered) database as ``edocx audit export`` would."""
    db = Database(path)
    await db.open()
    try:
        out = io.StringIO()
        await export_log(db, out, at=AT)
    finally:
        await db.close()
    return read_export(out.getvalue().splitlines())


def head_of_size(heads: Sequence[SignedTreeHead], size: int) -> SignedTreeHead:
    (head,) = [h for h in heads if h.tree_size == size]
    return head
