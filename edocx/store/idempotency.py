"""Idempotency keys: the first response to a creating request, replayed.

A key belongs to one user. It is recorded as ``pending`` while the request
runs, then ``done`` with the response; a request that fails drops its key so
that the client may try again.

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
    existing = await find_key(tx, user_id=user_id, key=key)
    if existing is not None:
        return existing
    await tx.execute(
        "INSERT INTO idempotency_keys (user_id, key, fingerprint, state, created_at)"
        " VALUES (?,?,?,'pending',?)",
        (user_id, key, fingerprint, at.isoformat()),
    )
    return None


async def complete_key(
    tx: Tx, *, user_id: int, key: str, status: int, content_type: str, body: bytes
) -> None:
    await tx.execute(
        "UPDATE idempotency_keys SET state = 'done', status = ?, content_type = ?,"
        " body = ? WHERE user_id = ? AND key = ?",
        (status, content_type, body, user_id, key),
    )


async def release_key(tx: Tx, *, user_id: int, key: str) -> None:
    await tx.execute(
        "DELETE FROM idempotency_keys"
        " WHERE user_id = ? AND key = ? AND state = 'pending'",
        (user_id, key),
    )


async def release_all_pending(tx: Tx) -> int:
    """Drop keys left pending by a stopped process; return how many."""
    await tx.execute("DELETE FROM idempotency_keys WHERE state = 'pending'")
    return await tx.changes()
