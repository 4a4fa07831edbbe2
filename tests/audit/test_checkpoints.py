"""Signed tree heads: the audit key, the TSA over HTTP, offline checks, schedule.

The heads are made against the run's development PKI (its audit-log
certificate) and its RFC 3161 service on loopback; the checks use only the
root certificate, as an agency holding a copy of a head would.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509

from edocx.audit import checkpoints, log, merkle
from edocx.audit.checkpoints import (
    CheckpointScheduler,
    SignedTreeHead,
    audit_running,
    make_tree_head,
    verify_tree_head,
)
from edocx.audit.events import record_event
from edocx.config import AuditSettings, Settings
from edocx.exchange.compute import SigningSetup
from edocx.pki.devpki import PKILayout
from edocx.pki.server import PKIServerThread
from edocx.pki.trust import load_certs
from edocx.store.db import Database, TransactionMisuseError

AT = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
def setup(
    test_settings: Settings,
    passphrase: bytes,
    dev_pki: PKILayout,
    pki_server: PKIServerThread,
) -> SigningSetup:
    return SigningSetup.from_settings(test_settings, passphrase)


@pytest.fixture
def roots(dev_pki: PKILayout) -> list[x509.Certificate]:
    return load_certs([dev_pki.root_cert_path])


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(tmp_path / "hub.sqlite3")
    await database.open()
    yield database
    await database.close()


async def _grow(db: Database, count: int) -> None:
    async with db.write() as tx:
        for i in range(count):
            await record_event(
                tx, at=AT, actor=None, agency=None, action="document.created",
                object_type="document", object_id=f"doc-{i}",
            )  # fmt: skip


def _now() -> datetime:
    # The TSA's time is the real one; the head's must be near it.
    return datetime.now(UTC)


async def test_a_tree_head_is_signed_timestamped_and_kept(
    db: Database, setup: SigningSetup, roots: list[x509.Certificate]
) -> None:
    await _grow(db, 11)
    sth = await make_tree_head(db, setup, at=_now())

    assert sth.tree_size == 11
    async with db.read() as reader:
        assert base64.b64decode(sth.root_hash) == await log.root_at(reader, 11)
        assert await checkpoints.latest(reader) == sth
        assert await checkpoints.checkpoint_at(reader, 11) == sth
        assert await checkpoints.checkpoint_at(reader, 10) is None
        assert await log.tree_heads(reader) == [sth]
    assert verify_tree_head(sth, roots) == []
    subject = x509.load_der_x509_certificate(base64.b64decode(sth.certificates[0]))
    assert "audit log" in subject.subject.rfc4514_string()
    assert sth.made_at_vietnam.endswith("+07:00")

    # A head survives its JSON, as agencies keep it.
    again = SignedTreeHead.model_validate_json(sth.model_dump_json())
    assert verify_tree_head(again, roots) == []


async def test_a_changed_head_fails_its_checks(
    db: Database, setup: SigningSetup, roots: list[x509.Certificate]
) -> None:
    await _grow(db, 3)
    sth = await make_tree_head(db, setup, at=_now())
    other_root = base64.b64encode(merkle.leaf_hash(b"x")).decode()

    bigger = sth.model_copy(update={"tree_size": 4})
    assert "signature does not match" in " ".join(verify_tree_head(bigger, roots))
    moved = sth.model_copy(update={"root_hash": other_root})
    assert "signature does not match" in " ".join(verify_tree_head(moved, roots))
    assert "does not chain" in " ".join(verify_tree_head(sth, []))

    # A genuine token of another head does not date this one.
    await _grow(db, 1)
    later = await make_tree_head(db, setup, at=_now())
    swapped = sth.model_copy(update={"timestamp_token": later.timestamp_token})
    assert "over other bytes" in " ".join(verify_tree_head(swapped, roots))

    token = bytearray(base64.b64decode(sth.timestamp_token))
    token[-40] ^= 0x01
    broken = sth.model_copy(
        update={"timestamp_token": base64.b64encode(token).decode()}
    )
    assert verify_tree_head(broken, roots) != []

    late = sth.model_copy(update={"made_at": (_now() + timedelta(hours=2)).isoformat()})
    assert verify_tree_head(late, roots) != []
    garbled = sth.model_copy(update={"signature": "not base64!"})
    assert "does not decode" in " ".join(verify_tree_head(garbled, roots))


async def test_no_tree_head_inside_a_write_transaction(
    db: Database, setup: SigningSetup
) -> None:
    async with db.write():
        with pytest.raises(TransactionMisuseError):
            await make_tree_head(db, setup, at=_now())


async def test_the_schedule(
    db: Database, setup: SigningSetup, roots: list[x509.Certificate]
) -> None:
    settings = AuditSettings(checkpoint_every_s=60, checkpoint_every_entries=5)
    scheduler = CheckpointScheduler(db, setup, settings)
    start = _now()

    # An empty log needs no head; the first entries do.
    assert await scheduler.run_once(at=start) is None
    await _grow(db, 2)
    first = await scheduler.run_once(at=start)
    assert first is not None and first.tree_size == 2

    # Not grown: none, however late. Grown a little: after the period.
    assert await scheduler.run_once(at=start + timedelta(hours=1)) is None
    await _grow(db, 1)
    assert await scheduler.run_once(at=start + timedelta(seconds=30)) is None
    assert scheduler.due(3, first, at=start + timedelta(seconds=61))

    # Grown by the count: at once.
    await _grow(db, 4)
    second = await scheduler.run_once(at=_now())
    assert second is not None and second.tree_size == 7
    assert verify_tree_head(second, roots) == []


async def test_the_background_task_makes_heads(
    db: Database, setup: SigningSetup
) -> None:
    await _grow(db, 2)
    settings = AuditSettings(checkpoint_every_s=0.05, checkpoint_poll_s=0.05)
    scheduler = CheckpointScheduler(db, setup, settings)
    scheduler.start()
    try:
        for _ in range(200):
            async with db.read() as reader:
                if await checkpoints.latest(reader) is not None:
                    break
            await _pause()
    finally:
        await scheduler.stop()
    async with db.read() as reader:
        sth = await checkpoints.latest(reader)
    assert sth is not None and sth.tree_size == 2


async def _pause() -> None:
    import asyncio

    await asyncio.sleep(0.05)


async def test_with_the_hub_earlier_events_get_leaves_first(
    db: Database, setup: SigningSetup
) -> None:
    async with db.write() as tx:
        await tx.execute_many(
            "INSERT INTO audit_events (at, action, object_type, object_id)"
            " VALUES (?, 'old.action', 'document', ?)",
            [(AT.isoformat(), f"old-{i}") for i in range(6)],
        )
    settings = AuditSettings(checkpoints_enabled=False)
    async with audit_running(db, setup, settings):
        async with db.read() as reader:
            assert await log.tree_size(reader) == 6
        await _pause()
        async with db.read() as reader:
            assert await checkpoints.latest(reader) is None
