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
from edocx.store.idempotency import find_key, recover_keys
from edocx.store.models import Role
from edocx.store.results import completed
from edocx.store.seed import create_agency, create_user
from edocx.web import idempotency
from edocx.web.problems import (
    IdempotencyAnswerLostError,
    IdempotencyKeyConflictError,
    IdempotencyKeyInUseError,
)

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
    # A handler as the hub's are: it says how its answer is made, and its
    # change hands the result over in its transaction.
    async def respond() -> web.StreamResponse:
        answer = idempotency.answering(
            lambda done: web.json_response({"done": done}, status=201)
        )
        async with db.write() as tx:
            await tx.execute(
                "INSERT INTO audit_events (at, action, object_type, object_id)"
                " VALUES (?, 'test.change', 'test', '1')",
                (AT.isoformat(),),
            )
            completed(tx, True)
        if fail:
            raise RuntimeError("failed after its change")
        return answer(True)

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


async def _left_by_a_stop(db: Database, claim: idempotency.Claim, state: str) -> None:
    async with db.write() as tx:
        await tx.execute(
            "INSERT INTO idempotency_keys (user_id, key, fingerprint, state,"
            " created_at) VALUES (?,?,?,?,?)",
            (claim.user_id, claim.key, claim.fingerprint, state, AT.isoformat()),
        )


async def test_a_pending_key_left_by_a_stop_is_lost_and_blocks_a_rerun(
    db: Database,
) -> None:
    claim = idempotency.Claim(await _user(db), "k-2", "f" * 64)
    # What a stop after the change and before its answer leaves.
    await _left_by_a_stop(db, claim, "pending")
    with pytest.raises(IdempotencyKeyInUseError):
        await idempotency.run_once(db, claim, _changing(db), at=AT)

    async with db.write() as tx:
        recovered = await recover_keys(tx)

    assert (recovered.released, recovered.lost) == (0, 1)
    with pytest.raises(IdempotencyAnswerLostError) as refused:
        await idempotency.run_once(db, claim, _changing(db), at=AT)
    assert refused.value.status == 409 and "look the result up" in str(
        refused.value.hint
    )
    assert await _changes(db) == 0


async def test_a_running_key_left_by_a_stop_is_released(db: Database) -> None:
    claim = idempotency.Claim(await _user(db), "k-5", "f" * 64)
    # What a stop between two transactions of an answered request leaves:
    # the recovery undid the first one's work (a reserved number voided).
    await _left_by_a_stop(db, claim, "running")

    async with db.write() as tx:
        recovered = await recover_keys(tx)
    answer = await idempotency.run_once(db, claim, _changing(db), at=AT)

    assert (recovered.released, recovered.lost) == (1, 0)
    assert answer.status == 201 and await _changes(db) == 1


def _answered(db: Database, *, steps: int) -> idempotency.Respond:
    # A handler that says how its answer is made; its change takes ``steps``
    # transactions, the last of which hands its result over.
    async def respond() -> web.StreamResponse:
        answer = idempotency.answering(
            lambda n: web.json_response({"changes": n}, status=201)
        )
        for step in range(steps):
            async with db.write() as tx:
                await tx.execute(
                    "INSERT INTO audit_events (at, action, object_type, object_id)"
                    " VALUES (?, 'test.change', 'test', ?)",
                    (AT.isoformat(), str(step)),
                )
                if step == steps - 1:
                    result = int(await tx.fetch_value(
                        "SELECT COUNT(*) FROM audit_events"
                        " WHERE action = 'test.change'"
                    ))  # fmt: skip
                    completed(tx, result)
        return answer(result)

    return respond


@pytest.mark.parametrize("steps", [1, 2])
async def test_an_answer_is_kept_in_the_transaction_that_completes_the_change(
    db: Database, steps: int
) -> None:
    claim = idempotency.Claim(await _user(db), f"k-6-{steps}", "f" * 64)
    states: list[str] = []

    async def watched() -> web.StreamResponse:
        response = await _answered(db, steps=steps)()
        # Before run_once settles: the answer is kept already, with the change.
        async with db.read() as reader:
            record = await find_key(reader, user_id=claim.user_id, key=claim.key)
        assert record is not None
        states.append(record.state)
        return response

    first = await idempotency.run_once(db, claim, watched, at=AT)
    again = await idempotency.run_once(db, claim, _answered(db, steps=steps), at=AT)

    assert states == ["done"]
    assert isinstance(first, web.Response) and isinstance(again, web.Response)
    assert first.status == again.status == 201 and again.body == first.body
    assert again.headers["Idempotent-Replayed"] == "true"
    assert await _changes(db) == steps


async def _first_of_two_steps(db: Database) -> None:
    # A handler that says how its answer is made, and whose change's first
    # transaction (a number reserved, say) is not the one that completes it.
    idempotency.answering(lambda n: web.json_response({"changes": n}))
    async with db.write() as tx:
        await tx.execute(
            "INSERT INTO audit_events (at, action, object_type, object_id)"
            " VALUES (?, 'test.change', 'test', 'reserve')",
            (AT.isoformat(),),
        )


async def test_a_cut_between_the_steps_leaves_the_key_running(db: Database) -> None:
    claim = idempotency.Claim(await _user(db), "k-7", "f" * 64)
    seen: list[str] = []

    async def cut() -> web.StreamResponse:
        await _first_of_two_steps(db)
        async with db.read() as reader:
            record = await find_key(reader, user_id=claim.user_id, key=claim.key)
        assert record is not None
        seen.append(record.state)
        raise asyncio.CancelledError  # the process stops here

    with pytest.raises(asyncio.CancelledError):
        await idempotency.run_once(db, claim, cut, at=AT)

    assert seen == ["running"]


async def test_a_request_failing_after_its_change_keeps_its_answer(
    db: Database,
) -> None:
    claim = idempotency.Claim(await _user(db), "k-3", "f" * 64)

    with pytest.raises(RuntimeError):
        await idempotency.run_once(db, claim, _changing(db, fail=True), at=AT)
    again = await idempotency.run_once(db, claim, _changing(db), at=AT)

    # The change and its answer committed together: the retry replays it.
    assert again.status == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert await _changes(db) == 1


async def test_a_request_failing_between_the_steps_frees_its_key(
    db: Database,
) -> None:
    claim = idempotency.Claim(await _user(db), "k-8", "f" * 64)

    async def failing() -> web.StreamResponse:
        await _first_of_two_steps(db)
        raise RuntimeError("failed before its change completed")

    with pytest.raises(RuntimeError):
        await idempotency.run_once(db, claim, failing, at=AT)

    async with db.read() as reader:
        assert await find_key(reader, user_id=claim.user_id, key="k-8") is None
    answer = await idempotency.run_once(db, claim, _answered(db, steps=1), at=AT)
    assert answer.status == 201 and await _changes(db) == 2


async def test_a_request_without_a_write_keeps_its_answer(db: Database) -> None:
    claim = idempotency.Claim(await _user(db), "k-4", "f" * 64)
    runs = []

    async def reading() -> web.StreamResponse:
        runs.append(1)
        return web.json_response({"read": len(runs)})

    first = await idempotency.run_once(db, claim, reading, at=AT)
    again = await idempotency.run_once(db, claim, reading, at=AT)

    # The retry reads again (reading changes nothing) but answers as the first.
    assert isinstance(again, web.Response) and isinstance(first, web.Response)
    assert len(runs) == 2 and again.body == first.body == b'{"read": 1}'
    assert again.headers["Idempotent-Replayed"] == "true"


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
