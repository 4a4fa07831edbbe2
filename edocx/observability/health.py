"""The hub's health: database, blob store, TSA and worker processes.

Each check does the real thing, cheaply: the database answers a read of a
table, the blob store's directory takes a probe file and gives it back,
the TSA grants a timestamp (:mod:`edocx.observability.tsaprobe`, cached),
every worker process is alive, and the audit log agreed with the hub's
own newest tree head at start and keeps its append-only triggers
(:mod:`edocx.audit.startcheck`). A check that does not finish within its
bound fails as such. The hub is healthy when every check passes.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from edocx.audit import startcheck
from edocx.observability.tsaprobe import TSAProbe
from edocx.store.db import Database
from edocx.workers.pool import WorkerPool

CHECK_BOUND_S = 5.0


@dataclass(frozen=True)
class Check:
    """One check's outcome: passed or not, and what it found."""

    name: str
    ok: bool
    detail: str
    seconds: float


@dataclass(frozen=True)
class Parts:
    """What the checks look at."""

    db: Database
    blob_dir: Path
    pool: WorkerPool
    tsa_urls: Sequence[str]
    tsa_probe: TSAProbe


async def run_checks(parts: Parts) -> list[Check]:
    """Run every check at once; return them in a fixed order."""
    named: dict[str, Callable[[], Awaitable[str]]] = {
        "database": lambda: _database(parts.db),
        "blobs": lambda: asyncio.to_thread(_blob_probe, parts.blob_dir),
        "tsa": lambda: _tsa(parts.tsa_probe, parts.tsa_urls),
        "workers": lambda: _workers(parts.pool),
        "audit": lambda: _audit(parts.db),
    }
    return list(await asyncio.gather(*(_bounded(n, c) for n, c in named.items())))


async def _bounded(name: str, check: Callable[[], Awaitable[str]]) -> Check:
    start = time.perf_counter()
    try:
        detail = await asyncio.wait_for(check(), CHECK_BOUND_S)
        ok = True
    except TimeoutError:
        detail, ok = f"no answer within {CHECK_BOUND_S:g} s", False
    except CheckFailedError as e:
        detail, ok = str(e), False
    except OSError as e:
        detail, ok = f"{type(e).__name__}: {e.strerror or e}", False
    return Check(name, ok, detail, round(time.perf_counter() - start, 4))


class CheckFailedError(Exception):
    """A check ran and found the part unusable."""


async def _database(db: Database) -> str:
    try:
        async with db.read() as reader:
            agencies = await reader.fetch_value("SELECT COUNT(*) FROM agencies")
    except Exception as e:
        # sqlite3 and aiosqlite errors alike: the database is not answering.
        raise CheckFailedError(f"read failed: {type(e).__name__}: {e}") from e
    return f"{agencies} agencies"


async def _audit(db: Database) -> str:
    # What the start's check found (edocx.audit.startcheck), and the
    # append-only triggers as they are now: both cheap.
    found = startcheck.problems_found(db)
    async with db.read() as reader:
        found += await startcheck.missing_triggers(reader)
    if found:
        raise CheckFailedError("; ".join(dict.fromkeys(found)))
    return "the log matches the hub's newest tree head; triggers present"


def _blob_probe(blob_dir: Path) -> str:
    # A file of the root directory: never a blob's name (those sit in ab/).
    probe = blob_dir / f".health-{secrets.token_hex(8)}"
    data = secrets.token_bytes(32)
    blob_dir.mkdir(parents=True, exist_ok=True)
    try:
        with open(probe, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        if probe.read_bytes() != data:
            raise CheckFailedError("the probe read back differs from what was written")
    finally:
        probe.unlink(missing_ok=True)
    return "write, read and delete"


async def _tsa(probe: TSAProbe, urls: Sequence[str]) -> str:
    # Signing falls back along the list: one TSA answering is enough.
    answers = []
    for url in urls:
        result = await probe.check(url)
        if result.ok:
            return f"{result.url} granted a timestamp in {result.seconds:.3f} s"
        answers.append(f"{result.url}: {result.detail}")
    raise CheckFailedError("; ".join(answers) or "no TSA configured")


async def _workers(pool: WorkerPool) -> str:
    alive, dead = pool.census()
    if dead or not alive:
        raise CheckFailedError(f"{alive} worker process(es) alive, {dead} dead")
    return f"{alive} of {pool.size} worker processes alive"
