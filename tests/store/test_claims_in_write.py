"""A key claimed in the transaction of its change, and staged blobs.

Real database files and blob directories; the web layer's
:func:`edocx.web.idempotency.run_once` drives the claim.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiohttp import web

from edocx.edxml.errors import DocumentDuplicateError
from edocx.store.blobs import BlobStore
from edocx.store.db import Database
from edocx.store.idempotency import find_key, release_all_pending
from edocx.store.models import Role
from edocx.store.seed import create_agency, create_user
from edocx.web import idempotency
from edocx.web.problems import IdempotencyKeyConflictError, IdempotencyKeyInUseError

AT = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


async def _user(db: Database) -> int:
    await create_agency(
        db, organ_id="000.00.00.T01", name="Cơ quan thử", abbreviation="CQT",
        place="Hà Nội", seal_credential=None, at=AT,
    )  # fmt: skip
    user = await create_user(
        db, organ_id="000.00.00.T01", display_name="Hệ thống", role=Role.SYSTEM,
        token="t" * 32, at=AT,
    )  # fmt: skip
    return user.id


async def _changes(db: Database) -> int:
    async with db.read() as reader:
        return int(await reader.fetch_value(
            "SELECT COUNT(*) FROM audit_events WHERE action = 'test.change'"
        ))  # fmt: skip


def _changing(db: Database, *, fail: bool = False) -> idempotency.Respond:
    async def respond() -> web.StreamResponse:
        async with db.write() as tx:
            await tx.execute(
                "INSERT INTO audit_events (at, action, object_type, object_id)"
                " VALUES (?, 'test.change', 'test', '1')",
                (AT.isoformat(),),
            )
        if fail:
            raise RuntimeError("failed after its change")
        return web.json_response({"done": True}, status=201)

    return respond


async def test_the_key_commits_with_the_change(db: Database) -> None:
    claim = idempotency.Claim(await _user(db), "k-1", "f" * 64)

    first = await idempotency.run_once(db, claim, _changing(db), at=AT)
    again = await idempotency.run_once(db, claim, _changing(db), at=AT)

    assert first.status == again.status == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert await _changes(db) == 1
    with pytest.raises(IdempotencyKeyConflictError):
        other = idempotency.Claim(claim.user_id, "k-1", "e" * 64)
        await idempotency.run_once(db, other, _changing(db), at=AT)
    assert await _changes(db) == 1


async def test_a_pending_key_survives_recovery_and_blocks_a_rerun(
    db: Database,
) -> None:
    user_id = await _user(db)
    claim = idempotency.Claim(user_id, "k-2", "f" * 64)
    async with db.write() as tx:
        # What a stop after the change and before its answer leaves.
        await tx.execute(
            "INSERT INTO idempotency_keys (user_id, key, fingerprint, state,"
            " created_at) VALUES (?,?,?,'pending',?)",
            (user_id, "k-2", claim.fingerprint, AT.isoformat()),
        )
    async with db.write() as tx:
        assert await release_all_pending(tx) == 0

    with pytest.raises(IdempotencyKeyInUseError):
        await idempotency.run_once(db, claim, _changing(db), at=AT)
    assert await _changes(db) == 0


async def test_a_request_failing_after_its_change_frees_its_key(
    db: Database,
) -> None:
    claim = idempotency.Claim(await _user(db), "k-3", "f" * 64)

    with pytest.raises(RuntimeError):
        await idempotency.run_once(db, claim, _changing(db, fail=True), at=AT)

    async with db.read() as reader:
        assert await find_key(reader, user_id=claim.user_id, key="k-3") is None
    answer = await idempotency.run_once(db, claim, _changing(db), at=AT)
    assert answer.status == 201 and await _changes(db) == 2


async def test_a_request_without_a_write_keeps_its_answer(db: Database) -> None:
    claim = idempotency.Claim(await _user(db), "k-4", "f" * 64)
    runs = []

    async def reading() -> web.StreamResponse:
        runs.append(1)
        return web.json_response({"read": len(runs)})

    first = await idempotency.run_once(db, claim, reading, at=AT)
    again = await idempotency.run_once(db, claim, reading, at=AT)

    assert isinstance(again, web.Response) and isinstance(first, web.Response)
    assert again.body == first.body and len(runs) == 1


def test_a_staged_blob_is_no_blob_until_published(tmp_path: Path) -> None:
    blobs = BlobStore(tmp_path / "blobs")
    kept, dropped = blobs.stage_sync(b"kept bytes"), blobs.stage_sync(b"dropped")

    assert blobs.count() == 0 and not blobs.exists(kept.digest)
    assert blobs.publish_sync(kept) == kept.digest
    blobs.discard_sync(dropped)

    assert blobs.count() == 1 and blobs.get_sync(kept.digest) == b"kept bytes"
    assert not blobs.exists(dropped.digest)
    assert list((tmp_path / "blobs").rglob(".tmp-*")) == []
    # Staging bytes stored already writes nothing.
    assert blobs.stage_sync(b"kept bytes").temp is None


async def test_a_refusal_behind_a_winning_duplicate_gets_its_answer(
    db: Database,
) -> None:
    user_id = await _user(db)
    claim = idempotency.Claim(user_id, "k-race", "f" * 64)

    # Past its own key lookup, the request sees the same request with the
    # same key store its change first, and refuses its own as a duplicate.
    async def refused() -> web.StreamResponse:
        won = await asyncio.create_task(
            idempotency.run_once(db, claim, _changing(db), at=AT)
        )
        assert won.status == 201
        raise DocumentDuplicateError("the document was sent already")

    answer = await idempotency.run_once(db, claim, refused, at=AT)

    assert answer.status == 201 and answer.headers["Idempotent-Replayed"] == "true"
    assert await _changes(db) == 1
