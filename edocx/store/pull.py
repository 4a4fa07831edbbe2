"""The transport layer of deliveries: offers to a pulling system, and acks.

A transport acknowledgement says the recipient's system has the document
(it stored what it pulled, or answered a push with 2xx); it is not a
business status (domain §2: the two layers are never mixed). The hub
records status 01 beside it through the exchange.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from edocx.store.db import Reader, Tx


@dataclass(frozen=True)
class Offer:
    """A delivery offered to the recipient's system by a pull."""

    delivery_id: int
    document_id: int
    offers: int  # this offer included


@dataclass(frozen=True)
class Ack:
    acked_at: str
    acked_by: str
    first: bool  # this call recorded it


async def offer_new(
    tx: Tx, agency_id: int, *, visibility_s: float, limit: int, at: datetime
) -> list[Offer]:
    """Offer the agency's unacknowledged deliveries, most urgent first.

    A delivery offered less than ``visibility_s`` ago is left out, so that
    two pulls in a row do not hand the same document to two workers; once
    that time has passed without an ack it is offered again. A delivery the
    recipient's clerk already answered (02 to 06) is in the agency's hands,
    and a copy cancelled by a recall must not be imported: neither is
    offered.
    """
    stamp = at.isoformat()
    hidden_after = (at - timedelta(seconds=visibility_s)).isoformat()
    rows = await tx.fetch_all(
        "SELECT v.id, v.document_id, COALESCE(t.offers, 0) AS offers"
        " FROM deliveries v JOIN documents d ON d.id = v.document_id"
        " LEFT JOIN delivery_transport t ON t.delivery_id = v.id"
        " WHERE v.recipient_agency_id = ? AND t.acked_at IS NULL"
        " AND v.cancelled_at IS NULL"
        " AND (v.progress_status IS NULL OR v.progress_status = '01')"
        " AND (t.offered_at IS NULL OR t.offered_at <= ?)"
        " ORDER BY d.priority DESC, v.id LIMIT ?",
        (agency_id, hidden_after, limit),
    )
    await tx.execute_many(
        "INSERT INTO delivery_transport (delivery_id, offered_at, offers)"
        " VALUES (?, ?, 1) ON CONFLICT (delivery_id) DO UPDATE"
        " SET offered_at = excluded.offered_at, offers = offers + 1",
        [(row["id"], stamp) for row in rows],
    )
    return [Offer(row["id"], row["document_id"], row["offers"] + 1) for row in rows]


async def record_ack(tx: Tx, delivery_id: int, *, by: str, at: datetime) -> Ack:
    """Record the transport ack once; return the first one."""
    await tx.execute(
        "INSERT INTO delivery_transport (delivery_id, acked_at, acked_by)"
        " VALUES (?, ?, ?) ON CONFLICT (delivery_id) DO UPDATE"
        " SET acked_at = excluded.acked_at, acked_by = excluded.acked_by"
        " WHERE acked_at IS NULL",
        (delivery_id, at.isoformat(), by),
    )
    first = await tx.changes() == 1
    found = await get_ack(tx, delivery_id)
    assert found is not None
    return Ack(found.acked_at, found.acked_by, first)


async def get_ack(db: Reader, delivery_id: int) -> Ack | None:
    row = await db.fetch_one(
        "SELECT acked_at, acked_by FROM delivery_transport"
        " WHERE delivery_id = ? AND acked_at IS NOT NULL",
        (delivery_id,),
    )
    return None if row is None else Ack(row["acked_at"], row["acked_by"], False)
