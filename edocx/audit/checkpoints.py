"""Checkpoints of the audit log: signed and timestamped tree heads.

:func:`make_checkpoint` reads the log's size and root in one snapshot,
signs them with the hub's audit key (:mod:`edocx.audit.auditkey`), has a
TSA timestamp the signed bytes (RFC 3161, the TSAs of ``signing.tsa_urls``
or the development PKI's) and keeps the head in ``audit_checkpoints``. The
key and the TSA are used with no write transaction open; only the final
insert writes. :class:`CheckpointScheduler` makes one on the schedule of
``[audit]`` while the hub runs. Offline verification is
:func:`edocx.audit.headcheck.verify_tree_head`.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from edocx.audit import log
from edocx.audit.auditkey import audit_key, key_id
from edocx.audit.headcheck import verify_tree_head
from edocx.audit.treehead import LOG_NAME, SignedTreeHead, b64, signed_bytes
from edocx.config import AuditSettings
from edocx.errors import TimestampError
from edocx.signing.tsa import FallbackTimestamper
from edocx.store.db import Database, Reader, assert_no_write_transaction
from edocx.store.results import completed

if TYPE_CHECKING:
    from edocx.exchange.compute import SigningSetup
    from edocx.exchange.hub import Hub

__all__ = [
    "CheckpointScheduler",
    "SignedTreeHead",
    "audit_running",
    "checkpoint_at",
    "latest",
    "make_checkpoint",
    "make_tree_head",
    "verify_tree_head",
]

logger = logging.getLogger(__name__)


async def make_checkpoint(hub: Hub, at: datetime) -> SignedTreeHead:
    """Sign, timestamp and keep a tree head of the log as it is now."""
    return await make_tree_head(hub.db, hub.compute.setup, at=at)


async def make_tree_head(
    db: Database, setup: SigningSetup, *, at: datetime
) -> SignedTreeHead:
    """Make and keep a tree head with the keys and TSAs of ``setup``.

    Steps: 1. size and root in one snapshot; 2. sign with the audit key;
    3. timestamp the signed bytes; 4. keep the head.
    """
    assert_no_write_transaction("a tree head's signature and timestamp")
    if at.tzinfo is None:
        raise ValueError("a tree head's time must be timezone-aware")

    # 1. The tree as one reader sees it.
    async with db.read() as reader:
        size = await log.tree_size(reader)
        root = await log.root_at(reader, size)
    made_at = at.astimezone(UTC).isoformat()

    # 2. Signature (the key is read from files once, off the event loop).
    key = await asyncio.to_thread(audit_key, setup.pki_dir, setup.passphrase)
    data = signed_bytes(LOG_NAME, size, b64(root), made_at)
    signature = key.sign(data)

    # 3. Timestamp, with no transaction open.
    token = await _timestamp(setup.tsa_urls, data)

    # 4. Keep.
    sth = SignedTreeHead(
        tree_size=size, root_hash=b64(root), made_at=made_at, signature=b64(signature),
        key_id=key_id(key.chain[0]), timestamp_token=b64(token),
        certificates=[b64(_der(c)) for c in key.chain],
    )  # fmt: skip
    async with db.write() as tx:
        await tx.execute(
            "INSERT INTO audit_checkpoints (tree_size, made_at, head_json)"
            " VALUES (?,?,?)",
            (size, made_at, sth.model_dump_json()),
        )
        completed(tx, sth)
    logger.info("audit tree head made: %d entries, root %s", size, root.hex()[:16])
    return sth


def _der(cert: object) -> bytes:
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    assert isinstance(cert, x509.Certificate)
    return cert.public_bytes(Encoding.DER)


async def _timestamp(urls: tuple[str, ...], data: bytes) -> bytes:
    if not urls:
        raise TimestampError(
            "no TSA is configured for the audit log's tree heads",
            hint="set signing.tsa_urls",
        )
    stamper = FallbackTimestamper(urls)
    token = await stamper.async_timestamp(hashlib.sha256(data).digest(), "sha256")
    der: bytes = token.dump()
    return der


async def latest(db: Reader) -> SignedTreeHead | None:
    """Return the head of the largest tree (made last among those), or None.

    The largest, not the last row: a row inserted behind the hub's back (an
    older head put back) must not become the head it serves and offers.
    """
    row = await db.fetch_one(
        "SELECT head_json FROM audit_checkpoints"
        " ORDER BY tree_size DESC, id DESC LIMIT 1"
    )
    return None if row is None else SignedTreeHead.model_validate_json(row[0])


async def checkpoint_at(db: Reader, size: int) -> SignedTreeHead | None:
    """Return the last tree head made of ``size`` entries, if any."""
    row = await db.fetch_one(
        "SELECT head_json FROM audit_checkpoints WHERE tree_size = ?"
        " ORDER BY id DESC LIMIT 1",
        (size,),
    )
    return None if row is None else SignedTreeHead.model_validate_json(row[0])


class CheckpointScheduler:
    """Makes tree heads while the hub runs, as ``[audit]`` says.

    A head is due when the log grew since the last one and either
    ``checkpoint_every_s`` passed or ``checkpoint_every_entries`` entries
    were appended. A round that fails (no TSA answer) is retried at the next.
    """

    def __init__(self, db: Database, setup: SigningSetup, settings: AuditSettings):
        self._db = db
        self._setup = setup
        self._settings = settings
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="edocx-audit-checkpoints")

    async def stop(self) -> None:
        if self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    async def _run(self) -> None:
        settings = self._settings
        poll_s = min(settings.checkpoint_every_s, settings.checkpoint_poll_s)
        failure = ""
        while True:
            # The first round waits too: a hub that starts answers first.
            await asyncio.sleep(poll_s)
            try:
                await self.run_once(at=datetime.now(UTC))
                failure = ""
            except Exception as e:
                # A failed round must not end the schedule; the next retries.
                # The same failure again (no key, a TSA down) is said once.
                if str(e) != failure:
                    logger.exception("audit tree head round failed")
                failure = str(e)

    async def run_once(self, *, at: datetime) -> SignedTreeHead | None:
        """Make a tree head if one is due at ``at``; return it."""
        async with self._db.read() as reader:
            size = await log.tree_size(reader)
            last = await latest(reader)
        if not self.due(size, last, at=at):
            return None
        return await make_tree_head(self._db, self._setup, at=at)

    def due(self, size: int, last: SignedTreeHead | None, *, at: datetime) -> bool:
        """Whether a log of ``size`` entries needs a new head at ``at``."""
        if last is None:
            return size > 0
        grown = size - last.tree_size
        if grown <= 0:
            return False
        every = self._settings.checkpoint_every_entries
        if every and grown >= every:
            return True
        elapsed = (at - datetime.fromisoformat(last.made_at)).total_seconds()
        return elapsed >= self._settings.checkpoint_every_s


@asynccontextmanager
async def audit_running(
    db: Database, setup: SigningSetup, settings: AuditSettings
) -> AsyncIterator[CheckpointScheduler]:
    """Run the audit log with the hub: leaves, a check, then the schedule.

    Events written before the log existed get their leaves before the hub
    answers anyone; the log is then checked against the hub's own newest
    head (:mod:`edocx.audit.startcheck`, warnings only); the scheduler runs
    when ``checkpoints_enabled``.
    """
    # Imported here: the check reads heads through this module.
    from edocx.audit.startcheck import check_at_start

    async with db.write() as tx:
        await log.catch_up(tx)
    await check_at_start(db)
    scheduler = CheckpointScheduler(db, setup, settings)
    if settings.checkpoints_enabled:
        scheduler.start()
    try:
        yield scheduler
    finally:
        await scheduler.stop()
