"""``Idempotency-Key`` on the POSTs that create something.

The same key with the same request replays the first response; the same key
with a different request is refused (409 ``idempotency-key-conflict``). The
request is identified by method, path and the digests of its parsed body: a
JSON body, or each JSON part, is hashed in a canonical form (keys sorted, no
whitespace), the other parts as they are. A client that retries with its
JSON laid out differently, or a multipart upload with a new boundary, is
still sending the same request.

:func:`run_once` claims the key in the request's first write transaction,
with the change it guards (:func:`edocx.store.db.first_write_runs`).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from aiohttp import web

from edocx.errors import EdocxError
from edocx.store import idempotency
from edocx.store.db import Database, Tx, first_write_runs
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


async def run_once(
    db: Database, claim: Claim, respond: Respond, *, at: datetime
) -> web.StreamResponse:
    """Answer a request with ``claim`` once: run it, or replay its answer.

    The key is looked up first (a replay costs a read); then the request
    runs and its first write transaction claims the key before anything
    else, so that the key and the change commit together: a concurrent
    duplicate finds the key there and changes nothing, and a stop between
    the change and keeping the answer leaves the key taken.
    """
    record = await _find(db, claim)
    if record is not None:
        return answer_of(record, claim)

    in_write = _ClaimInWrite(claim, at)
    try:
        with first_write_runs(in_write):
            response = await respond()
    except _FoundError as found:
        return found.answer
    except EdocxError:
        if in_write.committed:
            await asyncio.shield(release(db, claim))
            raise
        # Refused before it wrote: a duplicate that ran at the same time may
        # have taken the key meanwhile (and made this one a duplicate, say):
        # the client then gets that request's answer, as a retry would.
        record = await _find(db, claim)
        if record is not None:
            return answer_of(record, claim)
        raise
    except BaseException:
        if in_write.committed:
            await asyncio.shield(release(db, claim))
        raise
    await _settle(db, claim, response, committed=in_write.committed, at=at)
    return response


async def _find(db: Database, claim: Claim) -> idempotency.KeyRecord | None:
    async with db.read(snapshot=False) as reader:
        return await idempotency.find_key(reader, user_id=claim.user_id, key=claim.key)


Respond = Callable[[], Awaitable[web.StreamResponse]]


async def _settle(
    db: Database, claim: Claim, response: web.StreamResponse, *, committed: bool,
    at: datetime,
) -> None:  # fmt: skip
    if not isinstance(response, web.Response) or not 200 <= response.status < 300:
        if committed:
            # As for a request that failed: the client may try again.
            await release(db, claim)
        return
    if committed:
        await complete(db, claim, response)
        return

    # Nothing was written: the answer alone is kept, for a retry.
    body = response.body
    assert isinstance(body, bytes)
    async with db.write() as tx:
        await idempotency.keep_answer(
            tx, user_id=claim.user_id, key=claim.key,
            fingerprint=claim.fingerprint, status=response.status,
            content_type=response.content_type, body=body, at=at,
        )  # fmt: skip


class _FoundError(Exception):
    """The key was taken by then: its answer replaces the request's own."""

    def __init__(self, answer: web.Response) -> None:
        super().__init__("idempotency key already used")
        self.answer = answer


class _ClaimInWrite:
    """Claims the key in the first write transaction of the request."""

    def __init__(self, claim: Claim, at: datetime) -> None:
        self._claim, self._at = claim, at
        self._state = "waiting"  # then "claimed", then "committed"

    @property
    def wanted(self) -> bool:
        return self._state == "waiting"

    @property
    def committed(self) -> bool:
        return self._state == "committed"

    async def begin(self, tx: Tx) -> None:
        claim = self._claim
        record = await idempotency.claim_key(
            tx, user_id=claim.user_id, key=claim.key,
            fingerprint=claim.fingerprint, at=self._at,
        )  # fmt: skip
        if record is not None:
            # Raised inside the transaction: it rolls back, nothing changes.
            raise _FoundError(answer_of(record, claim))
        self._state = "claimed"

    def end(self, *, committed: bool) -> None:
        if self._state == "claimed":
            self._state = "committed" if committed else "waiting"


def answer_of(record: idempotency.KeyRecord, claim: Claim) -> web.Response:
    """The stored answer of a taken key; raise when it cannot be replayed."""
    if record.fingerprint != claim.fingerprint:
        raise IdempotencyKeyConflictError(
            f"{HEADER} {claim.key!r} was used with a different request",
            hint="use a new key for a new request",
        )
    if record.state != "done" or record.status is None:
        raise IdempotencyKeyInUseError(
            f"the request with {HEADER} {claim.key!r} ran; its answer is not kept yet",
            hint="retry in a moment; if the hub stopped meanwhile, its answer"
            " is lost: look the result up instead of sending the request again",
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
