"""The SQLite database of the hub: connections, pragmas and transactions.

One connection writes, behind an asyncio lock, in ``BEGIN IMMEDIATE``
transactions; a small set of connections reads. The journal is in WAL mode
with ``synchronous=FULL`` so that a commit that acknowledges a client is on
disk. A write transaction never spans a network call or a worker call:
:func:`assert_no_write_transaction` lets the code that makes such calls
check it.

A request may ask its first write transaction to run something right after
``BEGIN`` (:func:`first_write_runs`): an ``Idempotency-Key`` is claimed in
the transaction of the change it guards, so that the two commit together.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any, Protocol

import aiosqlite

from edocx.errors import storage_full
from edocx.store.migrate import apply_migrations

logger = logging.getLogger(__name__)

Params = Sequence[Any] | dict[str, Any]
Query = tuple[str, Params]
Row = aiosqlite.Row

_in_write = contextvars.ContextVar("edocx_in_write_transaction", default=False)

PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=FULL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=10000",
)


class TransactionMisuseError(RuntimeError):
    """A network or worker call was attempted inside a write transaction."""


def assert_no_write_transaction(what: str) -> None:
    """Raise when called while this task holds the write transaction."""
    if _in_write.get():
        raise TransactionMisuseError(f"{what} inside a write transaction")


class BeginHook(Protocol):
    """Work the first write transaction of a request does after ``BEGIN``."""

    @property
    def wanted(self) -> bool:
        """Whether the hook still waits for a transaction to run in."""
        ...

    async def begin(self, tx: Tx) -> None: ...

    def end(self, *, committed: bool) -> None: ...


_HookOwner = tuple[BeginHook, "asyncio.Task[Any] | None"]
_begin_hook: contextvars.ContextVar[_HookOwner | None] = contextvars.ContextVar(
    "edocx_begin_hook", default=None
)


@contextmanager
def first_write_runs(hook: BeginHook) -> Iterator[None]:
    """Have the write transactions of this task run ``hook`` while it wants.

    Tasks started meanwhile inherit the context but not the hook: it stays
    with the task that set it.
    """
    token = _begin_hook.set((hook, asyncio.current_task()))
    try:
        yield
    finally:
        _begin_hook.reset(token)


def _hook_here() -> BeginHook | None:
    owned = _begin_hook.get()
    if owned is None or owned[1] is not asyncio.current_task():
        return None
    return owned[0] if owned[0].wanted else None


class Reader:
    """Read access to the database through one connection.

    The transaction's ``BEGIN`` goes with its first statement, in the same
    trip to the connection's thread; a block that runs none opens none.
    """

    def __init__(self, conn: aiosqlite.Connection, *, begin: str | None) -> None:
        self._conn = conn
        self._begin = begin
        # Statements whose results nobody reads, sent with the next trip.
        self._deferred: list[tuple[str, Params]] = []
        self._data_version: int | None = None

    @property
    def begun(self) -> bool:
        """Whether a statement ran (and with it the ``BEGIN``, if any)."""
        return self._begin is None

    @property
    def data_version(self) -> int | None:
        """``PRAGMA data_version`` as the transaction began (None before).

        It changes when another connection commits: what this connection
        keeps in memory about the database is stale when it differs.
        """
        return self._data_version

    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None:
        row: Row | None = await self._run(_fetch_one, sql, params)
        return row

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        rows: list[Row] = await self._run(_fetch_all, sql, params)
        return rows

    async def fetch_value(self, sql: str, params: Params = ()) -> Any:
        row = await self.fetch_one(sql, params)
        return None if row is None else row[0]

    async def fetch_batch(self, statements: Sequence[Query]) -> list[list[Row]]:
        """Run several queries in one trip; return the rows of each, in order."""
        rows: list[list[Row]] = await self._run(_fetch_batch, "", statements)
        return rows

    async def _run(self, step: Step, sql: str, params: Params) -> Any:
        # Each statement runs whole (execute, fetch, close) in one trip to
        # the connection's thread, with the BEGIN and the deferred
        # statements before it: aiosqlite's cursor takes a trip for each
        # step, and every trip costs the event loop a wake-up.
        begin, self._begin = self._begin, None
        deferred, self._deferred = self._deferred, []
        conn = self._conn
        # aiosqlite 0.22 runs ``_execute``'s function on the connection's thread.
        version, result = await conn._execute(
            _step, conn._conn, begin, deferred, step, sql, params
        )
        if version is not None:
            self._data_version = version
        return result


class Tx(Reader):
    """A write transaction: the only way to change the database."""

    def __init__(self, conn: aiosqlite.Connection, *, begin: str | None) -> None:
        super().__init__(conn, begin=begin)
        self._committed_hooks: list[Callable[[], None]] = []

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement; return the last inserted row id."""
        rowid: int = await self._run(_execute, sql, params)
        return rowid

    def defer(self, sql: str, params: Params = ()) -> None:
        """Run a statement whose result nobody reads with the next one.

        It runs, in order, before the transaction's next statement or its
        ``COMMIT``, in the same trip; an error it raises surfaces there and
        rolls the transaction back as any other would.
        """
        self._deferred.append((sql, params))

    async def execute_many(self, sql: str, rows: Iterable[Params]) -> None:
        await self._run(_nothing, "", ())
        await self._conn.executemany(sql, rows)

    async def changes(self) -> int:
        return int(await self.fetch_value("SELECT changes()"))

    def after_commit(self, done: Callable[[], None]) -> None:
        """Call ``done`` once this transaction has committed, never otherwise.

        For what a connection keeps in memory about what it wrote: it must
        not run ahead of the database when the transaction rolls back.
        """
        self._committed_hooks.append(done)

    async def commit(self) -> None:
        """Run what was deferred, then ``COMMIT``, in one trip; then the hooks."""
        await self._run(_execute, "COMMIT", ())
        hooks, self._committed_hooks = self._committed_hooks, []
        for done in hooks:
            done()


Step = Callable[[sqlite3.Connection, str, Params], Any]


def _step(
    conn: sqlite3.Connection, begin: str | None, deferred: list[tuple[str, Params]],
    step: Step, sql: str, params: Params,
) -> tuple[int | None, Any]:  # fmt: skip
    version = None
    if begin is not None:
        conn.execute(begin).close()
        version = conn.execute("PRAGMA data_version").fetchone()[0]
    for statement, values in deferred:
        conn.execute(statement, values).close()
    return version, step(conn, sql, params)


def _nothing(conn: sqlite3.Connection, sql: str, params: Params) -> None:
    del conn, sql, params


async def _end(conn: aiosqlite.Connection, sql: str) -> None:
    await conn._execute(_step, conn._conn, None, [], _execute, sql, ())


def _fetch_one(conn: sqlite3.Connection, sql: str, params: Params) -> Any:
    cursor = conn.execute(sql, params)
    try:
        return cursor.fetchone()
    finally:
        cursor.close()


def _fetch_all(conn: sqlite3.Connection, sql: str, params: Params) -> Any:
    cursor = conn.execute(sql, params)
    try:
        return cursor.fetchall()
    finally:
        cursor.close()


def _fetch_batch(conn: sqlite3.Connection, sql: str, statements: Any) -> Any:
    del sql
    return [_fetch_all(conn, query, params) for query, params in statements]


def _execute(conn: sqlite3.Connection, sql: str, params: Params) -> int:
    cursor = conn.execute(sql, params)
    try:
        return cursor.lastrowid or 0
    finally:
        cursor.close()


class Database:
    """The hub's database file, opened with its pragmas and migrations."""

    def __init__(self, path: Path, *, readers: int = 2) -> None:
        self.path = path
        self._reader_count = readers
        self._writer: aiosqlite.Connection | None = None
        self._readers: asyncio.Queue[aiosqlite.Connection] = asyncio.Queue()
        self._all_readers: list[aiosqlite.Connection] = []
        self._write_lock = asyncio.Lock()

    async def open(self) -> None:
        """Open the connections and bring the schema up to date."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._writer = await self._connect()
        await apply_migrations(self._writer)

        for _ in range(self._reader_count):
            conn = await self._connect()
            self._all_readers.append(conn)
            self._readers.put_nowait(conn)
        logger.info("opened database %s", self.path)

    async def close(self) -> None:
        for conn in self._all_readers:
            await conn.close()
        self._all_readers.clear()
        self._readers = asyncio.Queue()
        if self._writer is not None:
            await self._writer.close()
            self._writer = None

    async def _connect(self) -> aiosqlite.Connection:
        # isolation_level=None: the transactions below are explicit.
        conn = await aiosqlite.connect(self.path, isolation_level=None)
        conn.row_factory = aiosqlite.Row
        for pragma in PRAGMAS:
            await conn.execute(pragma)
        return conn

    @asynccontextmanager
    async def write(self) -> AsyncIterator[Tx]:
        """Run a ``BEGIN IMMEDIATE`` transaction; commit unless it raises."""
        if self._writer is None:
            raise RuntimeError("database is not open")
        if _in_write.get():
            raise TransactionMisuseError("nested write transaction")

        hook = _hook_here()
        async with self._write_lock:
            token = _in_write.set(True)
            try:
                tx = Tx(self._writer, begin="BEGIN IMMEDIATE")
                try:
                    if hook is not None:
                        await hook.begin(tx)
                    yield tx
                    if tx._deferred or self._writer.in_transaction:
                        await tx.commit()
                except BaseException as e:
                    # A failed COMMIT may already have ended the transaction.
                    if self._writer.in_transaction:
                        await _end(self._writer, "ROLLBACK")
                    if hook is not None:
                        hook.end(committed=False)
                    full = storage_full(e, "database")
                    if full is not None:
                        raise full from e
                    raise
            finally:
                _in_write.reset(token)
        if hook is not None:
            hook.end(committed=True)

    @asynccontextmanager
    async def read(self, *, snapshot: bool = True) -> AsyncIterator[Reader]:
        """Lend a reading connection, inside a snapshot (deferred) transaction.

        ``snapshot=False``: each statement on its own, for a single one.
        """
        conn = await self._readers.get()
        try:
            reader = Reader(conn, begin="BEGIN" if snapshot else None)
            try:
                yield reader
            finally:
                if conn.in_transaction:
                    await _end(conn, "COMMIT")
        finally:
            self._readers.put_nowait(conn)
