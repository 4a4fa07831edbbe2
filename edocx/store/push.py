"""Push endpoints, the messages posted to them, their attempts and cursors.

A message is one document or one status for one agency, with a message id
that stays the same on every attempt and resend, so that the receiver can
drop a message it already has. It is pending until the endpoint answers
2xx (delivered) or its time to live runs out (dead, a dead letter a clerk
may resend).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from edocx.store.db import Reader, Row, Tx


class MessageState(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    DEAD = "dead"


class MessageKind(StrEnum):
    DOCUMENT = "document"
    STATUS = "status"


@dataclass(frozen=True)
class Endpoint:
    agency_id: int
    url: str
    secret: str  # never logged, never answered after registration
    created_at: str


@dataclass(frozen=True)
class Message:
    id: int
    message_id: str
    agency_id: int
    organ_id: str
    kind: MessageKind
    delivery_id: int
    status_id: int | None
    state: MessageState
    attempts: int
    next_attempt_at: str
    expires_at: str
    last_error: str | None
    created_at: str
    delivered_at: str | None


@dataclass(frozen=True)
class Attempt:
    at: str
    outcome: str


_MESSAGES = (
    "SELECT m.*, a.organ_id FROM push_messages m JOIN agencies a ON a.id = m.agency_id"
)


def _message(row: Row) -> Message:
    return Message(
        id=row["id"], message_id=row["message_id"], agency_id=row["agency_id"],
        organ_id=row["organ_id"], kind=MessageKind(row["kind"]),
        delivery_id=row["delivery_id"], status_id=row["status_id"],
        state=MessageState(row["state"]), attempts=row["attempts"],
        next_attempt_at=row["next_attempt_at"], expires_at=row["expires_at"],
        last_error=row["last_error"], created_at=row["created_at"],
        delivered_at=row["delivered_at"],
    )  # fmt: skip


async def put_endpoint(
    tx: Tx, agency_id: int, *, url: str, secret: str, user_id: int, at: datetime
) -> None:
    """Register (or replace) the agency's endpoint."""
    await tx.execute(
        "INSERT INTO push_endpoints (agency_id, url, secret, created_by, created_at)"
        " VALUES (?,?,?,?,?) ON CONFLICT (agency_id) DO UPDATE SET url = excluded.url,"
        " secret = excluded.secret, created_by = excluded.created_by,"
        " created_at = excluded.created_at",
        (agency_id, url, secret, user_id, at.isoformat()),
    )


async def get_endpoint(db: Reader, agency_id: int) -> Endpoint | None:
    row = await db.fetch_one(
        "SELECT agency_id, url, secret, created_at FROM push_endpoints"
        " WHERE agency_id = ?",
        (agency_id,),
    )
    return None if row is None else Endpoint(*row)


async def delete_endpoint(tx: Tx, agency_id: int) -> bool:
    await tx.execute("DELETE FROM push_endpoints WHERE agency_id = ?", (agency_id,))
    return await tx.changes() == 1


async def enqueue(
    tx: Tx, *, agency_id: int, kind: MessageKind, delivery_id: int,
    status_id: int | None, at: datetime, expires_at: datetime,
) -> str:  # fmt: skip
    """Add a pending message, due at once; return its message id."""
    message_id = str(uuid.uuid4())
    await tx.execute(
        "INSERT INTO push_messages (message_id, agency_id, kind, delivery_id,"
        " status_id, state, next_attempt_at, expires_at, created_at)"
        " VALUES (?,?,?,?,?,'pending',?,?,?)",
        (
            message_id, agency_id, kind.value, delivery_id, status_id,
            at.isoformat(), expires_at.isoformat(), at.isoformat(),
        ),
    )  # fmt: skip
    return message_id


async def due_messages(db: Reader, *, at: datetime, limit: int) -> list[Message]:
    rows = await db.fetch_all(
        _MESSAGES + " WHERE m.state = 'pending' AND m.next_attempt_at <= ?"
        " ORDER BY m.next_attempt_at, m.id LIMIT ?",
        (at.isoformat(), limit),
    )
    return [_message(row) for row in rows]


async def next_due(db: Reader) -> str | None:
    """Return when the earliest pending message is due."""
    value = await db.fetch_value(
        "SELECT MIN(next_attempt_at) FROM push_messages WHERE state = 'pending'"
    )
    return None if value is None else str(value)


async def get_message(db: Reader, message_id: str) -> Message | None:
    row = await db.fetch_one(_MESSAGES + " WHERE m.message_id = ?", (message_id,))
    return None if row is None else _message(row)


async def list_messages(
    db: Reader, *, state: MessageState, agency_id: int | None, limit: int = 200
) -> list[Message]:
    """Return messages in ``state``, of one agency or (None) of all."""
    rows = await db.fetch_all(
        _MESSAGES + " WHERE m.state = ? AND (? IS NULL OR m.agency_id = ?)"
        " ORDER BY m.id DESC LIMIT ?",
        (state.value, agency_id, agency_id, limit),
    )
    return [_message(row) for row in rows]


async def record_attempt(
    tx: Tx, message: Message, *, outcome: str, at: datetime,
    state: MessageState, next_attempt_at: datetime | None,
) -> None:  # fmt: skip
    """Record an attempt and where it leaves the message."""
    await tx.execute(
        "INSERT INTO push_attempts (message_id, at, outcome) VALUES (?,?,?)",
        (message.id, at.isoformat(), outcome),
    )
    delivered = at.isoformat() if state is MessageState.DELIVERED else None
    error = None if state is MessageState.DELIVERED else outcome
    due = None if next_attempt_at is None else next_attempt_at.isoformat()
    await tx.execute(
        "UPDATE push_messages SET attempts = attempts + 1, state = ?,"
        " next_attempt_at = COALESCE(?, next_attempt_at), last_error = ?,"
        " delivered_at = ? WHERE id = ?",
        (
            state.value, due, error, delivered, message.id,
        ),
    )  # fmt: skip


async def revive(
    tx: Tx, message: Message, *, at: datetime, expires_at: datetime
) -> None:
    """Make a dead letter pending again, due at once, with a new time to live.

    Its attempts count from zero again, so that the back-off starts short;
    the attempts before stay in its history.
    """
    await tx.execute(
        "UPDATE push_messages SET state = 'pending', next_attempt_at = ?,"
        " expires_at = ?, attempts = 0 WHERE id = ? AND state = 'dead'",
        (at.isoformat(), expires_at.isoformat(), message.id),
    )


async def attempts(db: Reader, message: Message) -> list[Attempt]:
    rows = await db.fetch_all(
        "SELECT at, outcome FROM push_attempts WHERE message_id = ? ORDER BY id",
        (message.id,),
    )
    return [Attempt(row["at"], row["outcome"]) for row in rows]


async def cursor(db: Reader, name: str) -> int:
    return int(
        await db.fetch_value("SELECT last_id FROM push_cursors WHERE name = ?", (name,))
        or 0
    )


async def move_cursor(tx: Tx, name: str, last_id: int) -> None:
    await tx.execute(
        "UPDATE push_cursors SET last_id = ? WHERE name = ?", (last_id, name)
    )


async def anything_new(db: Reader) -> bool:
    """Whether a delivery or a status was recorded after the cursors."""
    return bool(
        await db.fetch_value(
            "SELECT EXISTS (SELECT 1 FROM deliveries WHERE id > (SELECT last_id"
            " FROM push_cursors WHERE name = 'deliveries')) OR EXISTS (SELECT 1"
            " FROM delivery_statuses WHERE id > (SELECT last_id FROM push_cursors"
            " WHERE name = 'statuses'))"
        )
    )


async def new_deliveries(db: Reader, after: int, limit: int) -> list[Row]:
    """Deliveries after the cursor, with their recipient's mode."""
    return await db.fetch_all(
        "SELECT v.id, v.recipient_agency_id AS agency_id, a.delivery_mode"
        " FROM deliveries v JOIN agencies a ON a.id = v.recipient_agency_id"
        " WHERE v.id > ? ORDER BY v.id LIMIT ?",
        (after, limit),
    )


async def new_statuses(db: Reader, after: int, limit: int) -> list[Row]:
    """Statuses after the cursor, with the agency each is addressed to.

    A status the recipient's side recorded is addressed to the sender; one
    the sender recorded (13) to the recipient. ``applied`` says whether it
    moved the delivery: a repeat or a late status is kept in the history but
    tells the other party nothing new, so it is not pushed.
    """
    return await db.fetch_all(
        "SELECT s.id, s.delivery_id, s.outcome = 'applied' AS applied,"
        " CASE WHEN s.agency_id = v.recipient_agency_id"
        " THEN d.agency_id ELSE v.recipient_agency_id END AS agency_id,"
        " a.delivery_mode FROM delivery_statuses s"
        " JOIN deliveries v ON v.id = s.delivery_id"
        " JOIN documents d ON d.id = v.document_id"
        " JOIN agencies a ON a.id = CASE WHEN s.agency_id = v.recipient_agency_id"
        " THEN d.agency_id ELSE v.recipient_agency_id END"
        " WHERE s.id > ? ORDER BY s.id LIMIT ?",
        (after, limit),
    )


async def delivery_document(db: Reader, delivery_id: int) -> tuple[int, str] | None:
    """Return the delivery's document (row id, uuid)."""
    row = await db.fetch_one(
        "SELECT d.id, d.uuid FROM deliveries v JOIN documents d ON d.id = v.document_id"
        " WHERE v.id = ?",
        (delivery_id,),
    )
    return None if row is None else (row["id"], row["uuid"])
