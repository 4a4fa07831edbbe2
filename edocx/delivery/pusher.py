"""The pusher: posts documents and statuses to agencies' endpoints.

A background task of the hub. Each round, in order:

1. Scan the deliveries and statuses recorded since the last round (two
   cursors kept in the database) and add a pending message for each one
   addressed to an agency that receives by push. The cursors move in the
   same transaction, so a message is made once, and one made before a stop
   is sent after the restart.
2. Take the messages due, at most ``push_concurrency`` at once, and post
   each (:mod:`edocx.delivery.transport`) outside any write transaction.
3. Record each attempt: a 2xx delivers the message (for a document, the
   transport ack and status 01); anything else schedules the next attempt
   after an exponential back-off with jitter, or, when that would fall
   after the message's time to live, makes it a dead letter.

Delivery is at least once: a stop between a post and its record sends the
message again, with the same message id, which the receiver uses to drop
the copy.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from datetime import UTC, datetime, timedelta

from edocx.audit.events import record_event
from edocx.audit.offer import HEADER as TREE_HEAD
from edocx.audit.offer import latest_offer
from edocx.config import DeliverySettings
from edocx.delivery import signature, transport
from edocx.delivery.arrival import record_arrival_in
from edocx.delivery.messages import MessageGoneError, build_body
from edocx.errors import EdocxError
from edocx.exchange.hub import Hub
from edocx.store import pull, push
from edocx.store.agencies import DeliveryMode
from edocx.store.db import Tx
from edocx.store.push import Message, MessageKind, MessageState

logger = logging.getLogger(__name__)

_SCAN_BATCH = 500


def backoff_s(settings: DeliverySettings, attempt: int, rng: random.Random) -> float:
    """Return the wait after the ``attempt``-th failed attempt (1-based)."""
    base = settings.push_backoff_initial_s * 2.0 ** min(attempt - 1, 30)
    delay = min(settings.push_backoff_max_s, base)
    return delay * (1 + rng.uniform(-settings.push_jitter, settings.push_jitter))


class Pusher:
    """Runs the rounds; :meth:`run_once` is one round, for tests and tools."""

    def __init__(self, hub: Hub, settings: DeliverySettings) -> None:
        self._hub = hub
        self._settings = settings
        self._tls = transport.tls_context(settings.push_ca_bundle)
        self._allowed = list(settings.push_allowed_networks)
        self._rng = random.Random()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="edocx-pusher")

    async def stop(self) -> None:
        """Stop the rounds; a message being posted is sent again later."""
        if self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    def wake(self) -> None:
        """Start the next round now (a resend, a new endpoint)."""
        self._wake.set()

    async def _run(self) -> None:
        while True:
            try:
                busy = await self.run_once()
            except Exception:
                # A round that fails must not end the pusher; the next retries.
                logger.exception("push round failed")
                busy = False
            if not busy:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        self._wake.wait(), self._settings.push_poll_s
                    )
                self._wake.clear()

    async def run_once(self) -> bool:
        """Scan, then post what is due; True when more may be due at once."""
        await self.scan(at=datetime.now(UTC))
        async with self._hub.db.read() as reader:
            due = await push.due_messages(
                reader, at=datetime.now(UTC), limit=self._settings.push_concurrency
            )
        results = await asyncio.gather(
            *(self._deliver(message) for message in due), return_exceptions=True
        )
        for message, result in zip(due, results, strict=True):
            if isinstance(result, Exception):
                logger.error(
                    "push %s to agency %s failed unexpectedly",
                    message.message_id, message.organ_id, exc_info=result,
                )  # fmt: skip
        return len(due) == self._settings.push_concurrency

    async def scan(self, *, at: datetime) -> int:
        """Add the messages for what was recorded since the last scan."""
        # Most rounds find nothing new: they take no write lock.
        async with self._hub.db.read() as reader:
            if not await push.anything_new(reader):
                return 0
        expires = at + timedelta(seconds=self._settings.push_ttl_s)
        async with self._hub.db.write() as tx:
            made = await _scan_deliveries(tx, at=at, expires=expires)
            made += await _scan_statuses(tx, at=at, expires=expires)
        return made

    async def _deliver(self, message: Message) -> None:
        # 1. What to post and where, read outside any write transaction.
        async with self._hub.db.read() as reader:
            endpoint = await push.get_endpoint(reader, message.agency_id)
            tree_head = await latest_offer(reader)
        if endpoint is None:
            await self._settle(message, transport.PostResult(False, "no endpoint"))
            return
        try:
            body = await build_body(self._hub, message)
        except MessageGoneError:
            await self._settle(message, transport.PostResult(False, "gone"), dead=True)
            return
        except EdocxError as e:
            # The packet could not be made (the hub's key, a document in a
            # state the writer refuses): an attempt that failed, retried.
            failed = transport.PostResult(False, f"error: message not built: {e.code}")
            await self._settle(message, failed)
            return

        # 2. Sign this attempt and post it.
        stamp = int(datetime.now(UTC).timestamp())
        headers = {
            "Content-Type": body.content_type,
            signature.MESSAGE_ID: message.message_id,
            signature.TIMESTAMP: str(stamp),
            signature.SIGNATURE: signature.sign(endpoint.secret, stamp, body.content),
            signature.KIND: message.kind.value,
            signature.DOCUMENT: body.document_uuid,
        }
        if tree_head is not None:
            # The audit log's latest head, so that a push-only agency keeps
            # copies of it too (docs/audit-log.md).
            headers[TREE_HEAD] = tree_head
        result = await transport.post(
            endpoint.url, body.content, headers, allowed=self._allowed,
            tls=self._tls, timeout_s=self._settings.push_timeout_s,
        )  # fmt: skip
        await self._settle(message, result, document=body.document_uuid)

    async def _settle(
        self, message: Message, result: transport.PostResult, *,
        document: str | None = None, dead: bool = False,
    ) -> None:  # fmt: skip
        at = datetime.now(UTC)
        state, next_at = self._next_state(message, result, at, dead=dead)
        async with self._hub.db.write() as tx:
            await push.record_attempt(
                tx, message, outcome=result.outcome, at=at, state=state,
                next_attempt_at=next_at,
            )  # fmt: skip
            if state is MessageState.DELIVERED and message.kind is MessageKind.DOCUMENT:
                ack = await pull.record_ack(tx, message.delivery_id, by="push", at=at)
                if ack.first:
                    await record_event(
                        tx, at=at, actor=None, agency=message.agency_id,
                        action="delivery.ack", object_type="delivery",
                        object_id=str(message.delivery_id),
                        details={"by": "push", "document": document},
                    )  # fmt: skip
                # The 2xx is the ack: its 01 commits with it.
                await record_arrival_in(tx, delivery_id=message.delivery_id, at=at)
            if state is MessageState.DEAD:
                # Out of time to live: the agency never got it by push.
                await record_event(
                    tx, at=at, actor=None, agency=message.agency_id,
                    action="push.dead", object_type="push_message",
                    object_id=message.message_id,
                    details={"document": document, "kind": message.kind.value},
                )  # fmt: skip
        _log(message, document, state, result)

    def _next_state(
        self, message: Message, result: transport.PostResult, at: datetime, *,
        dead: bool,
    ) -> tuple[MessageState, datetime | None]:  # fmt: skip
        if result.ok:
            return MessageState.DELIVERED, None
        wait = backoff_s(self._settings, message.attempts + 1, self._rng)
        next_at = at + timedelta(seconds=wait)
        if dead or next_at > datetime.fromisoformat(message.expires_at):
            return MessageState.DEAD, None
        return MessageState.PENDING, next_at


def _log(
    message: Message, document: str | None, state: MessageState,
    result: transport.PostResult,
) -> None:  # fmt: skip
    what = (message.message_id, message.kind.value, document, message.organ_id)
    if state is MessageState.DELIVERED:
        logger.info("push %s (%s, document %s) delivered to agency %s", *what)
    elif state is MessageState.DEAD:
        logger.warning(
            "push %s (%s, document %s) to agency %s is a dead letter after %d"
            " attempt(s): %s", *what, message.attempts + 1, result.outcome,
        )  # fmt: skip
    else:
        logger.info(
            "push %s (%s, document %s) to agency %s failed (attempt %d): %s",
            *what, message.attempts + 1, result.outcome,
        )  # fmt: skip


async def _scan_deliveries(tx: Tx, *, at: datetime, expires: datetime) -> int:
    after = await push.cursor(tx, "deliveries")
    rows = await push.new_deliveries(tx, after, _SCAN_BATCH)
    made = 0
    for row in rows:
        if row["delivery_mode"] == DeliveryMode.PUSH:
            await push.enqueue(
                tx, agency_id=row["agency_id"], kind=MessageKind.DOCUMENT,
                delivery_id=row["id"], status_id=None, at=at, expires_at=expires,
            )  # fmt: skip
            made += 1
    if rows:
        await push.move_cursor(tx, "deliveries", rows[-1]["id"])
    return made


async def _scan_statuses(tx: Tx, *, at: datetime, expires: datetime) -> int:
    after = await push.cursor(tx, "statuses")
    rows = await push.new_statuses(tx, after, _SCAN_BATCH)
    made = 0
    for row in rows:
        if row["delivery_mode"] == DeliveryMode.PUSH and row["applied"]:
            await push.enqueue(
                tx, agency_id=row["agency_id"], kind=MessageKind.STATUS,
                delivery_id=row["delivery_id"], status_id=row["id"], at=at,
                expires_at=expires,
            )  # fmt: skip
            made += 1
    if rows:
        await push.move_cursor(tx, "statuses", rows[-1]["id"])
    return made
