"""``Idempotency-Key`` on the POSTs that create something.

The same key with the same request replays the first response; the same key
with a different request is refused (409 ``idempotency-key-conflict``). The
request is identified by method, path and the digests of its parsed body: a
JSON body, or each JSON part, is hashed in a canonical form (keys sorted, no
whitespace), the other parts as they are. A client that retries with its
JSON laid out differently, or a multipart upload with a new boundary, is
still sending the same request.

:func:`run_once` claims the key in the request's first write transaction,
with the change it guards (:func:`edocx.store.db.first_write_runs`), and
keeps the answer in the transaction that completes the change when the
handler says how the answer is made (:func:`answering`).
"""

from __future__ import annotations

import asyncio
import contextvars
import hashlib
import json
import logging
import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiohttp import web

from edocx.errors import EdocxError
from edocx.store import idempotency
from edocx.store.db import Database, Tx, first_write_runs
from edocx.store.results import results_to
from edocx.web.problems import (
    IdempotencyAnswerLostError,
    IdempotencyKeyConflictError,
    IdempotencyKeyInUseError,
    RequestInvalidError,
)

logger = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
_MAX_KEY = 255


@dataclass(frozen=True)
class Claim:
    user_id: int
    key: str
    fingerprint: str


def request_key(request: web.Request) -> str | None:
    given = request.headers.getall(HEADER, [])
    if len(given) > 1:
        # Which one a proxy or the hub would take differs; two keys would
        # let one request run twice under two names.
        raise RequestInvalidError(
            f"the request has {len(given)} {HEADER} fields",
            hint=f"send one {HEADER} field",
        )
    if not given:
        return None
    key = given[0]
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

    The request runs and its first write transaction claims the key with
    its first statement, so that the key and the change commit together: a
    retry or a concurrent duplicate meets the key there (the transaction
    fails and rolls back) and changes nothing. The key is not looked up
    before: a replay is found by that claim, or after a refusal or an
    answer that wrote nothing. The handler says how its answer is made
    (:func:`answering`), and the answer is kept in the transaction that
    completes its change; one that does not is kept just after (logged as
    a defect: a stop in between would keep the change without it).
    """
    in_write = _ClaimInWrite(claim, at)
    token = _current.set(in_write)
    try:
        with first_write_runs(in_write), results_to(in_write):
            response = await respond()
    except (EdocxError, sqlite3.IntegrityError):
        if in_write.committed:
            await asyncio.shield(release(db, claim))
            raise
        # Refused before it wrote, or its claim met the key: a retry of a
        # request that ran, or a duplicate that ran at the same time (refused
        # as such, a document already sent, say) gets the first answer.
        record = await _find(db, claim)
        if record is not None:
            return answer_of(record, claim)
        raise
    except BaseException:
        if in_write.committed:
            await asyncio.shield(release(db, claim))
        raise
    finally:
        _current.reset(token)
    if not in_write.committed:
        # It wrote nothing, so no claim met an earlier run's key: a retry
        # of such a request answers as the first time.
        record = await _find(db, claim)
        if record is not None:
            return answer_of(record, claim)
    await _settle(db, in_write, response)
    return response


async def _find(db: Database, claim: Claim) -> idempotency.KeyRecord | None:
    async with db.read(snapshot=False) as reader:
        return await idempotency.find_key(reader, user_id=claim.user_id, key=claim.key)


Respond = Callable[[], Awaitable[web.StreamResponse]]


def answering(render: Callable[[Any], web.Response]) -> Callable[[Any], web.Response]:
    """Have the answer ``render`` makes of a result kept with the change.

    Call it before the change begins, and answer with what the returned
    function makes of the result the change returns. The code of the change
    hands that result over (:func:`edocx.store.results.completed`) in the
    transaction that completes it, where the answer is rendered and kept
    with the key; the returned function then gives that very answer.
    """
    claim = _current.get()
    if claim is None:
        return render
    claim.render = render
    return claim.answer


async def _settle(
    db: Database, in_write: _ClaimInWrite, response: web.StreamResponse
) -> None:
    claim = in_write.claim
    if not isinstance(response, web.Response) or not 200 <= response.status < 300:
        if in_write.committed:
            # As for a request that failed: the client may try again.
            await release(db, claim)
        return
    if in_write.kept is not None:
        return
    if in_write.committed:
        # Every creating handler says how its answer is made, and its change
        # hands the result over: this is a defect, and a stop right now would
        # keep the change without its answer.
        logger.error(
            "the answer for %s of user %d was not kept with its change (%s)",
            HEADER, claim.user_id,
            "no result handed over" if in_write.render else "no answering()",
        )  # fmt: skip
        await complete(db, claim, response)
        return

    # Nothing was written: the answer alone is kept, for a retry.
    body = response.body
    assert isinstance(body, bytes)
    async with db.write() as tx:
        await idempotency.keep_answer(
            tx, user_id=claim.user_id, key=claim.key,
            fingerprint=claim.fingerprint, status=response.status,
            content_type=response.content_type, body=body, at=in_write.at,
        )  # fmt: skip


class _ClaimInWrite:
    """Claims the key in the first write transaction of the request.

    When the handler said how its answer is made, it also keeps that answer
    in the transaction that completes the change (as a result taker).
    """

    def __init__(self, claim: Claim, at: datetime) -> None:
        self.claim, self.at = claim, at
        self._state = "waiting"  # then "claimed", then "committed"
        self.render: Callable[[Any], web.Response] | None = None
        # The answer made of a result, and the result it was made of.
        self._made: tuple[object, web.Response] | None = None
        self.kept: web.Response | None = None

    @property
    def wanted(self) -> bool:
        return self._state == "waiting"

    @property
    def committed(self) -> bool:
        return self._state == "committed"

    async def begin(self, tx: Tx) -> None:
        claim = self.claim
        idempotency.claim_key(
            tx, user_id=claim.user_id, key=claim.key,
            fingerprint=claim.fingerprint, at=self.at,
            answered_in_change=self.render is not None,
        )  # fmt: skip
        self._state = "claimed"

    def end(self, *, committed: bool) -> None:
        if self._state == "claimed":
            self._state = "committed" if committed else "waiting"

    def take(self, tx: Tx, result: object) -> None:
        if self.render is None or self._state == "waiting":
            return
        response = self.answer(result)
        body = response.body
        assert isinstance(body, bytes) and 200 <= response.status < 300
        claim = self.claim
        idempotency.complete_key(
            tx, user_id=claim.user_id, key=claim.key, status=response.status,
            content_type=response.content_type, body=body,
        )  # fmt: skip
        tx.after_commit(lambda: setattr(self, "kept", response))

    def answer(self, result: object) -> web.Response:
        # The handler answers with what was kept for the same result.
        if self._made is not None and (
            self._made[0] is result or self._made[0] == result
        ):
            return self._made[1]
        assert self.render is not None
        response = self.render(result)
        self._made = (result, response)
        return response


_current: contextvars.ContextVar[_ClaimInWrite | None] = contextvars.ContextVar(
    "edocx_idempotency_claim", default=None
)


def answer_of(record: idempotency.KeyRecord, claim: Claim) -> web.Response:
    """The stored answer of a taken key; raise when it cannot be replayed."""
    if record.fingerprint != claim.fingerprint:
        raise IdempotencyKeyConflictError(
            f"{HEADER} {claim.key!r} was used with a different request",
            hint="use a new key for a new request",
        )
    if record.state == "lost":
        raise IdempotencyAnswerLostError(
            f"the request with {HEADER} {claim.key!r} was carried out, but the hub"
            " stopped before it kept its answer",
            hint="look the result up (the document, its statuses) instead of"
            " sending the request again",
        )
    if record.state != "done" or record.status is None:
        raise IdempotencyKeyInUseError(
            f"the request with {HEADER} {claim.key!r} is running; its answer is"
            " not kept yet",
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
        idempotency.complete_key(
            tx, user_id=claim.user_id, key=claim.key, status=response.status,
            content_type=response.content_type, body=body,
        )  # fmt: skip


async def release(db: Database, claim: Claim) -> None:
    """Forget a key whose request failed, so that the client may retry it."""
    async with db.write() as tx:
        await idempotency.release_key(tx, user_id=claim.user_id, key=claim.key)
