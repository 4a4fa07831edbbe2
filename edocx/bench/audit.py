"""``scripts/bench audit``: the audit log's appends, proofs and size.

One run, pinned to one CPU core, in a scratch directory:

1. appends: events recorded through :func:`edocx.audit.events.record_event`
   into a fresh hub database, ``batch`` events per transaction (as a bulk
   import would commit) and one per transaction (as a request does), each
   commit on disk (WAL, ``synchronous=FULL``); beside them, bare sqlite3
   inserting the same rows into the same table with no log (the cost of the
   event alone);
2. a log of ``entries`` events built in bulk: the rows inserted many per
   statement, then their leaves and subtrees made by the log's own catch-up
   (:func:`edocx.audit.log.catch_up`, the code that runs at the hub's start);
3. proofs in that log: inclusion proofs of random leaves and consistency
   proofs from random sizes to the full one, each in its own read
   snapshot, as the API serves them, a sample checked against the root;
4. size: the database file per entry, against the bare events table.

The last line is one JSON object with ``appends_per_s`` (batched),
``inclusion_proof_ms``, ``consistency_proof_ms`` and ``bytes_per_entry``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import random
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from edocx.audit import log, merkle
from edocx.audit.events import record_event
from edocx.bench.figure import Figure
from edocx.logsetup import configure_logging
from edocx.store.db import PRAGMAS, Database, Tx

AT = datetime(2026, 3, 1, 1, 0, tzinfo=UTC)
_PROOFS = 300
_CHECKED = 20
_BULK_ROWS = 20_000
_INSERT = (
    "INSERT INTO audit_events (at, actor_id, agency_id, action, object_type,"
    " object_id, content_sha256, details_json) VALUES (?,?,?,?,?,?,?,?)"
)


def run_audit_bench(*, entries: int, appends: int, batch: int) -> int:
    """Measure; print a table, then one JSON line. Return the exit status."""
    # The table is for people: the databases' opening lines are not.
    configure_logging("WARNING")
    before = _pin_one_core()
    try:
        with tempfile.TemporaryDirectory(prefix="edocx-bench-audit-") as scratch:
            result = asyncio.run(_measure(Path(scratch), entries, appends, batch))
    finally:
        if before is not None:
            os.sched_setaffinity(0, before)
    result["core"] = None if before is None else min(before)
    _print(result)
    return 0


def _pin_one_core() -> set[int] | None:
    # One core: the event loop and the database thread share it, as in a
    # hub on a small machine. Returns the cores to give back afterwards.
    if not hasattr(os, "sched_setaffinity"):
        return None
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(before)})
    return before


async def _measure(
    scratch: Path, entries: int, appends: int, batch: int
) -> dict[str, Any]:
    single = max(1, appends // 10)
    batched = await _appends(scratch / "batched.sqlite3", appends, batch)
    one_by_one = await _appends(scratch / "single.sqlite3", single, 1)
    bare = _bare_appends(scratch / "bare.sqlite3", appends, batch)
    bare_one = _bare_appends(scratch / "bare-single.sqlite3", single, 1)

    big = scratch / "million.sqlite3"
    build = await _build(big, entries)
    inclusion, consistency = await _proofs(big, entries)
    size = _file_bytes(big) / entries
    bare_size = _bare_file(scratch / "bare-size.sqlite3", entries) / entries
    return {
        "appends_per_s": round(batched.per_second),
        "appends_batch": batch,
        "appends_per_s_one_per_transaction": round(one_by_one.per_second),
        "bare_sqlite3_inserts_per_s": round(bare.per_second),
        "bare_sqlite3_inserts_per_s_one_per_transaction": round(bare_one.per_second),
        "entries": entries,
        "build_s": round(build.seconds, 1),
        "inclusion_proof_ms": round(statistics.fmean(inclusion), 3),
        "inclusion_proof_p95_ms": round(_p95(inclusion), 3),
        "consistency_proof_ms": round(statistics.fmean(consistency), 3),
        "consistency_proof_p95_ms": round(_p95(consistency), 3),
        "bytes_per_entry": round(size),
        "bare_events_bytes_per_entry": round(bare_size),
    }


def _row(i: int) -> tuple[Any, ...]:
    # An issued document's event, as the exchange writes it.
    details = {"notation": f"{i % 900 + 1}/QĐ-UBND", "year": 2026, "number": i}
    return (
        (AT + timedelta(milliseconds=i)).isoformat(), 3 + i % 40, 1 + i % 12,
        "document.issued", "document", f"00000000-0000-4000-8000-{i:012x}",
        f"{i:064x}", json.dumps(details, ensure_ascii=False, sort_keys=True),
    )  # fmt: skip


async def _record(tx: Tx, i: int) -> int:
    row = _row(i)
    return await record_event(
        tx, at=AT + timedelta(milliseconds=i), actor=row[1], agency=row[2],
        action=row[3], object_type=row[4], object_id=row[5], content_sha256=row[6],
        details=json.loads(row[7]),
    )  # fmt: skip


async def _people(db: Database) -> None:
    # The agencies and users the events name (their references are checked).
    at = AT.isoformat()
    async with db.write() as tx:
        await tx.execute_many(
            "INSERT INTO agencies (id, organ_id, name, abbreviation, place,"
            " created_at) VALUES (?, ?, 'Sở', 'S', 'Hà Nội', ?)",
            [(a, f"000.00.{a:02d}.H01", at) for a in range(1, 13)],
        )
        await tx.execute_many(
            "INSERT INTO users (id, agency_id, display_name, role, token_sha256,"
            " created_at) VALUES (?, ?, 'Văn thư', 'clerk', ?, ?)",
            [(u, 1 + u % 12, f"{u:064x}", at) for u in range(1, 44)],
        )


async def _appends(path: Path, count: int, batch: int) -> Figure:
    db = Database(path, readers=1)
    await db.open()
    try:
        await _people(db)
        # The first append loads the tree's edge; it is not what is measured.
        async with db.write() as tx:
            await _record(tx, -1)
        started = time.perf_counter()
        for first in range(0, count, batch):
            async with db.write() as tx:
                for i in range(first, min(count, first + batch)):
                    await _record(tx, i)
        seconds = time.perf_counter() - started
    finally:
        await db.close()
    return Figure(f"edocx, {batch} per transaction", count, seconds)


def _bare_appends(path: Path, count: int, batch: int) -> Figure:
    conn = _bare_connection(path)
    try:
        started = time.perf_counter()
        for first in range(0, count, batch):
            conn.execute("BEGIN IMMEDIATE")
            for i in range(first, min(count, first + batch)):
                conn.execute(_INSERT, _row(i))
            conn.execute("COMMIT")
        seconds = time.perf_counter() - started
    finally:
        conn.close()
    return Figure(f"bare sqlite3, {batch} per transaction", count, seconds)


def _bare_connection(path: Path) -> sqlite3.Connection:
    # The events table alone, with the hub's pragmas: no log, no triggers.
    conn = sqlite3.connect(path, isolation_level=None)
    for pragma in PRAGMAS:
        conn.execute(pragma)
    conn.execute(
        "CREATE TABLE audit_events (seq INTEGER PRIMARY KEY AUTOINCREMENT,"
        " at TEXT NOT NULL, actor_id INTEGER, agency_id INTEGER, action TEXT NOT NULL,"
        " object_type TEXT NOT NULL, object_id TEXT NOT NULL, content_sha256 TEXT,"
        " details_json TEXT)"
    )
    return conn


def _bare_file(path: Path, count: int) -> int:
    conn = _bare_connection(path)
    try:
        for first in range(0, count, _BULK_ROWS):
            rows = [_row(i) for i in range(first, min(count, first + _BULK_ROWS))]
            conn.execute("BEGIN")
            conn.executemany(_INSERT, rows)
            conn.execute("COMMIT")
    finally:
        conn.close()
    return path.stat().st_size


async def _build(path: Path, count: int) -> Figure:
    """Insert ``count`` events in bulk, then give them their leaves."""
    db = Database(path, readers=1)
    await db.open()
    # One line per bulk step would bury the table (the catch-up warns of
    # events the hub did not append: here they are the bench's own).
    quiet = logging.getLogger(log.__name__)
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        await _people(db)
        started = time.perf_counter()
        for first in range(0, count, _BULK_ROWS):
            rows = [_row(i) for i in range(first, min(count, first + _BULK_ROWS))]
            async with db.write() as tx:
                await tx.execute_many(_INSERT, rows)
                await log.catch_up(tx)
        seconds = time.perf_counter() - started
    finally:
        quiet.setLevel(level)
        await db.close()
    return Figure("log built in bulk", count, seconds)


async def _proofs(path: Path, size: int) -> tuple[list[float], list[float]]:
    db = Database(path, readers=1)
    await db.open()
    rng = random.Random(6)
    try:
        async with db.read() as reader:
            root = await log.root_at(reader, size)
            leaves = {e.index: e.leaf_hash for e in await log.entries(reader, 0, 1)}

        async def inclusion(i: int) -> bool:
            async with db.read() as reader:
                proof = await log.inclusion_proof(reader, i, size)
            if i in leaves:
                return merkle.verify_inclusion(leaves[i], i, size, proof, root)
            return True

        async def consistency(old: int) -> bool:
            async with db.read() as reader:
                proof = await log.consistency_proof(reader, old, size)
                old_root = await log.root_at(reader, old) if old < 64 else b""
            if old_root:
                return merkle.verify_consistency(old, size, old_root, root, proof)
            return True

        picks = [rng.randrange(size) for _ in range(_PROOFS)]
        timed_inclusion = await _timed(inclusion, [0, *picks])
        olds = [rng.randrange(1, size + 1) for _ in range(_PROOFS)]
        timed_consistency = await _timed(consistency, [1, *olds])
        await _check_sample(db, size, root, rng)
    finally:
        await db.close()
    return timed_inclusion, timed_consistency


async def _timed(
    call: Callable[[int], Awaitable[bool]], arguments: list[int]
) -> list[float]:
    times: list[float] = []
    for argument in arguments:
        started = time.perf_counter()
        good = await call(argument)
        times.append((time.perf_counter() - started) * 1000)
        if not good:
            raise AssertionError(f"a proof for {argument} does not verify")
    return times


async def _check_sample(
    db: Database, size: int, root: bytes, rng: random.Random
) -> None:
    # Proofs of random leaves verify against the root, with their entries.
    async with db.read() as reader:
        for _ in range(_CHECKED):
            i = rng.randrange(size)
            (entry,) = await log.entries(reader, i, i + 1)
            proof = await log.inclusion_proof(reader, i, size)
            leaf = merkle.leaf_hash(entry.entry)
            if not merkle.verify_inclusion(leaf, i, size, proof, root):
                raise AssertionError(f"leaf {i} is not proven in the bench's log")


def _file_bytes(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    return path.stat().st_size


def _p95(values: list[float]) -> float:
    return sorted(values)[max(0, int(len(values) * 0.95) - 1)]


def _print(result: dict[str, Any]) -> None:
    print(f"edocx bench audit (one core: {result['core']})")
    print(
        f"  appends, {result['appends_batch']} per transaction:"
        f" {result['appends_per_s']}/s (bare sqlite3, no log:"
        f" {result['bare_sqlite3_inserts_per_s']}/s)"
    )
    print(
        f"  appends, one per transaction (a commit each):"
        f" {result['appends_per_s_one_per_transaction']}/s (bare sqlite3:"
        f" {result['bare_sqlite3_inserts_per_s_one_per_transaction']}/s)"
    )
    print(
        f"  log of {result['entries']} entries built in bulk in {result['build_s']} s"
    )
    print(
        f"  inclusion proof: {result['inclusion_proof_ms']} ms mean,"
        f" {result['inclusion_proof_p95_ms']} ms p95"
    )
    print(
        f"  consistency proof: {result['consistency_proof_ms']} ms mean,"
        f" {result['consistency_proof_p95_ms']} ms p95"
    )
    print(f"  database: {result['bytes_per_entry']} bytes per entry (events alone:"
          f" {result['bare_events_bytes_per_entry']})")  # fmt: skip
    print(json.dumps(result))
