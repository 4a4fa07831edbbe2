"""``Idempotency-Key`` on the POSTs that create something.

The same key with the same request replays the first response; the same key
with a different request is refused (409 ``idempotency-key-conflict``). The
request is identified by method, path and the digests of its parsed body: a
JSON body, or each JSON part, is hashed in a canonical form (keys sorted, no
whitespace), the other parts as they are. A client that retries with its
JSON laid out differently, or a multipart upload with a new boundary, is
still sending the same request.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from aiohttp import web

from edocx.store import idempotency
from edocx.store.db import Database
from edocx.web.problems import (
    IdempotencyKeyConflictError,
    IdempotencyKeyInUseError,
    RequestInvalidError,
)

HEADER = "Idempotency-Key"
_MAX_KEY = 255


@dataclass(frozen=True)
class Claim:
    user_id: int
    key: str
    fingerprint: str


def request_key(request: web.Request) -> str | None:
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not key or len(key) > _MAX_KEY or not key.isprintable():
        raise RequestInvalidError(
            f"{HEADER} must be 1 to {_MAX_KEY} printable characters"
        )
    return key


def fingerprint(
    method: str,
    path: str,
    body: dict[str, bytes],
    json_parts: frozenset[str] = frozenset(),
) -> str:
    """Digest a request; the parts named in ``json_parts`` as parsed JSON."""
    described = {
        name: hashlib.sha256(
            canonical_json(data) if name in json_parts else data
        ).hexdigest()
        for name, data in body.items()
    }
    text = json.dumps([method, path, described], sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def canonical_json(raw: bytes) -> bytes:
    """Return ``raw`` parsed and written back canonically; as is if not JSON."""
    try:
        data = json.loads(raw)
        text = json.dumps(data, sort_keys=True, separators=(",", ":"))
    except (ValueError, UnicodeDecodeError, RecursionError):
        # The request is refused further on; its bytes identify it.
        return raw
    return text.encode("ascii")


async def claim(db: Database, claim: Claim, *, at: datetime) -> web.Response | None:
    """Claim the key; return the stored response when it was used already."""
    async with db.write() as tx:
        record = await idempotency.claim_key(
            tx, user_id=claim.user_id, key=claim.key,
            fingerprint=claim.fingerprint, at=at,
        )  # fmt: skip
    if record is None:
        return None
    if record.fingerprint != claim.fingerprint:
        raise IdempotencyKeyConflictError(
            f"{HEADER} {claim.key!r} was used with a different request",
            hint="use a new key for a new request",
        )
    if record.state != "done" or record.status is None:
        raise IdempotencyKeyInUseError(
            f"the request with {HEADER} {claim.key!r} is still running",
            hint="retry in a moment",
            retry_after_s=1,
        )
    response = web.Response(
        status=record.status, body=record.body, content_type=record.content_type
    )
    response.headers["Idempotent-Replayed"] = "true"
    return response


async def complete(db: Database, claim: Claim, response: web.Response) -> None:
    """Keep a response for replay (successful responses only)."""
    body = response.body
    assert isinstance(body, bytes)
    async with db.write() as tx:
        await idempotency.complete_key(
            tx, user_id=claim.user_id, key=claim.key, status=response.status,
            content_type=response.content_type, body=body,
        )  # fmt: skip


async def release(db: Database, claim: Claim) -> None:
    """Forget a key whose request failed, so that the client may retry it."""
    async with db.write() as tx:
        await idempotency.release_key(tx, user_id=claim.user_id, key=claim.key)
