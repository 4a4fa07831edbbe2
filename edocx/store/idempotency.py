"""Idempotency keys: the first response to a creating request, replayed.

A key belongs to one user. It is claimed (``pending``) in the transaction
of the change it guards, so that the two commit together, then ``done``
with the response; a request that fails drops its key so that the client
may try again. A ``pending`` key therefore always names a change that is
stored: a stop of the process between the change and keeping the answer
leaves it pending, and a retry is never run a second time.

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


async def claim_key(
    tx: Tx, *, user_id: int, key: str, fingerprint: str, at: datetime
) -> KeyRecord | None:
    """Record a pending key; return the existing record when already taken."""
    # One statement when the key is new, the usual case.
    claimed = await tx.fetch_value(
        "INSERT INTO idempotency_keys (user_id, key, fingerprint, state, created_at)"
        " VALUES (?,?,?,'pending',?) ON CONFLICT DO NOTHING RETURNING 1",
        (user_id, key, fingerprint, at.isoformat()),
    )
    if claimed is not None:
        return None
    existing = await find_key(tx, user_id=user_id, key=key)
    assert existing is not None
    return existing


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


async def complete_key(
    tx: Tx, *, user_id: int, key: str, status: int, content_type: str, body: bytes
) -> None:
    tx.defer(
        "UPDATE idempotency_keys SET state = 'done', status = ?, content_type = ?,"
        " body = ? WHERE user_id = ? AND key = ?",
        (status, content_type, body, user_id, key),
    )


async def release_key(tx: Tx, *, user_id: int, key: str) -> None:
    tx.defer(
        "DELETE FROM idempotency_keys"
        " WHERE user_id = ? AND key = ? AND state = 'pending'",
        (user_id, key),
    )


async def release_all_pending(tx: Tx) -> int:
    """Release the keys a stopped process left; return how many (none).

    A pending key was committed with its change: releasing it would let a
    retry run the change again. It stays; a retry is told the request ran.
    """
    del tx
    return 0
