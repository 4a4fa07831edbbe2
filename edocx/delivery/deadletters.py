"""Dead letters: push messages whose time to live ran out, and their resend.

A clerk (or the agency's system) sees its own agency's dead letters; the
hub's admin and auditors see all. A resend makes the message pending again
with the same message id, due at once and with a fresh time to live.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from edocx.audit.events import record_event
from edocx.delivery.errors import PushMessageNotFoundError
from edocx.exchange.hub import Hub
from edocx.store import push
from edocx.store.models import User
from edocx.store.push import Attempt, Message, MessageState
from edocx.store.results import completed

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeadLetter:
    message: Message
    attempts: tuple[Attempt, ...]


async def list_dead(hub: Hub, user: User) -> list[DeadLetter]:
    async with hub.db.read() as reader:
        found = await push.list_messages(
            reader, state=MessageState.DEAD, agency_id=user.agency_id
        )
        return [DeadLetter(m, tuple(await push.attempts(reader, m))) for m in found]


async def resend(
    hub: Hub, user: User, message_id: str, *, ttl_s: float, at: datetime
) -> Message:
    """Make a dead letter pending again; a message not dead is left as it is."""
    async with hub.db.write() as tx:
        message = await push.get_message(tx, message_id)
        if message is None or (
            user.agency_id is not None and message.agency_id != user.agency_id
        ):
            raise PushMessageNotFoundError(f"no push message {message_id}")
        if message.state is MessageState.DEAD:
            expires = at + timedelta(seconds=ttl_s)
            await push.revive(tx, message, at=at, expires_at=expires)
            await record_event(
                tx, at=at, actor=user.id, agency=message.agency_id,
                action="push.resend", object_type="push_message",
                object_id=message_id,
            )  # fmt: skip
            logger.info(
                "push %s to agency %s resent by user %d",
                message_id, message.organ_id, user.id,
            )  # fmt: skip
        fresh = await push.get_message(tx, message_id)
        assert fresh is not None
        completed(tx, fresh)
    return fresh
