"""Idempotency keys: the first response to a creating request, replayed.

A key belongs to one user. It is claimed in the first transaction of the
change it guards, so that the two commit together; a request that fails
drops its key so that the client may try again. A request whose answer is
kept in the transaction that completes its change claims it ``running``
and that transaction makes it ``done``; one whose answer is kept after its
change claims it ``pending``, made ``done`` by a transaction of its own.

At a start (:func:`recover_keys`) no request runs: a ``running`` key was
cut before its change completed, and the recovery undid what it had begun
(a reserved number voided), so it is dropped and a retry runs again; a
``pending`` key names a change that is stored without its answer, so it
becomes ``lost`` and a retry is told so instead of being run twice.

TODO(#2): keys never expire; drop them after a day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from edocx.store.db import Reader, Tx


@dataclass(frozen=True)
class KeyRecord:
    fingerprint: str
    state: str
    status: int | None
    content_type: str | None
    body: bytes | None


async def find_key(db: Reader, *, user_id: int, key: str) -> KeyRecord | None:
    row = await db.fetch_one(
        "SELECT fingerprint, state, status, content_type, body FROM idempotency_keys"
        " WHERE user_id = ? AND key = ?",
        (user_id, key),
    )
    return None if row is None else KeyRecord(*row)


def claim_key(
    tx: Tx, *, user_id: int, key: str, fingerprint: str, at: datetime,
    answered_in_change: bool = False,
) -> None:  # fmt: skip
    """Record a key as claimed, with the transaction's next statement.

    A key taken already makes that statement fail with
    :class:`sqlite3.IntegrityError` and the transaction roll back; the
    caller then looks the key up. A retry is rare: the usual claim costs no
    trip of its own.
    """
    state = "running" if answered_in_change else "pending"
    tx.defer(
        "INSERT INTO idempotency_keys (user_id, key, fingerprint, state, created_at)"
        " VALUES (?,?,?,?,?)",
        (user_id, key, fingerprint, state, at.isoformat()),
    )


async def keep_answer(
    tx: Tx, *, user_id: int, key: str, fingerprint: str, status: int,
    content_type: str, body: bytes, at: datetime,
) -> None:  # fmt: skip
    """Keep the answer of a request that changed nothing, unless one is kept.

    This and the two below are deferred (:meth:`Tx.defer`): alone in their
    transaction, they go with its ``COMMIT``.
    """
    tx.defer(
        "INSERT INTO idempotency_keys (user_id, key, fingerprint, state, status,"
        " content_type, body, created_at) VALUES (?,?,?,'done',?,?,?,?)"
        " ON CONFLICT DO NOTHING",
        (user_id, key, fingerprint, status, content_type, body, at.isoformat()),
    )  # fmt: skip


def complete_key(
    tx: Tx, *, user_id: int, key: str, status: int, content_type: str, body: bytes
) -> None:
    """Keep the answer of a claimed key (deferred, as the two around it)."""
    tx.defer(
        "UPDATE idempotency_keys SET state = 'done', status = ?, content_type = ?,"
        " body = ? WHERE user_id = ? AND key = ?",
        (status, content_type, body, user_id, key),
    )


async def release_key(tx: Tx, *, user_id: int, key: str) -> None:
    tx.defer(
        "DELETE FROM idempotency_keys"
        " WHERE user_id = ? AND key = ? AND state IN ('pending', 'running')",
        (user_id, key),
    )


@dataclass(frozen=True)
class Recovered:
    released: int
    lost: int


async def recover_keys(tx: Tx) -> Recovered:
    """Settle the keys a stopped process left (see the module's doc)."""
    released = await tx.fetch_value(
        "SELECT count(*) FROM idempotency_keys WHERE state = 'running'"
    )
    tx.defer("DELETE FROM idempotency_keys WHERE state = 'running'")
    lost = await tx.fetch_value(
        "SELECT count(*) FROM idempotency_keys WHERE state = 'pending'"
    )
    tx.defer("UPDATE idempotency_keys SET state = 'lost' WHERE state = 'pending'")
    return Recovered(int(released), int(lost))
