"""Pull: an agency's system lists its new documents and acknowledges each.

The receive loop of the national exchange (domain §2.1: list, get each,
store, then ``done``): :func:`pull_new` lists the documents delivered to the
caller's agency that its system has not acknowledged, most urgent first;
the system fetches each (PDF, edXML), stores it, then calls
:func:`acknowledge`. The acknowledgement is the transport ack (its time is
kept) and records status 01 when nothing was recorded yet.

A listed document is hidden from the next lists for
``delivery.pull_visibility_s`` seconds, so that two workers of one system
do not take the same document; if no ack comes in that time it is offered
again, as often as it takes. Acknowledging twice answers the first ack.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from edocx.audit.events import record_event
from edocx.config import DeliverySettings
from edocx.delivery.arrival import record_arrival_in
from edocx.exchange.access import Party, open_document
from edocx.exchange.errors import ActionNotAllowedError
from edocx.exchange.hub import Hub
from edocx.store import pull
from edocx.store.documents import get_document_by_id
from edocx.store.models import Document, User
from edocx.store.results import completed

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PullItem:
    document: Document
    offers: int  # how often it was listed, this time included


@dataclass(frozen=True)
class AckOutcome:
    document: Document
    acked_at: str
    first: bool  # this call acknowledged it
    arrival_recorded: bool  # this call recorded status 01


async def pull_new(
    hub: Hub, user: User, settings: DeliverySettings, *, limit: int | None,
    at: datetime,
) -> list[PullItem]:  # fmt: skip
    """Offer the caller's agency its unacknowledged documents."""
    if user.agency_id is None:
        return []
    size = min(limit or settings.pull_page_size, settings.pull_page_size)
    async with hub.db.write() as tx:
        offers = await pull.offer_new(
            tx, user.agency_id, visibility_s=settings.pull_visibility_s,
            limit=size, at=at,
        )  # fmt: skip
        items = []
        for offer in offers:
            document = await get_document_by_id(tx, offer.document_id)
            assert document is not None
            items.append(PullItem(document, offer.offers))
    for item in items:
        logger.info(
            "document %s offered to agency %s by pull (offer %d)",
            item.document.uuid, user.organ_id, item.offers,
        )  # fmt: skip
    return items


async def acknowledge(hub: Hub, user: User, uuid: str, *, at: datetime) -> AckOutcome:
    """Record that the caller's system stored the document; 01 if not yet."""
    async with hub.db.read() as reader:
        access = await open_document(reader, user, uuid)
    if access.party is not Party.RECIPIENT or access.delivery is None:
        raise ActionNotAllowedError(
            f"only a recipient acknowledges document {uuid}",
            hint="acknowledge documents your agency pulled",
        )

    async with hub.db.write() as tx:
        ack = await pull.record_ack(tx, access.delivery.id, by="pull", at=at)
        if ack.first:
            await record_event(
                tx, at=at, actor=user.id, agency=user.agency_id,
                action="delivery.ack", object_type="delivery",
                object_id=str(access.delivery.id),
                details={"by": "pull", "document": uuid},
            )  # fmt: skip
        # Asked on every ack; the acknowledgement and its 01 commit together.
        arrived = await record_arrival_in(tx, delivery_id=access.delivery.id, at=at)
        outcome = AckOutcome(access.document, ack.acked_at, ack.first, arrived)
        completed(tx, outcome)
    if ack.first:
        logger.info(
            "document %s acknowledged by agency %s (pull)%s",
            uuid, user.organ_id, ", status 01 recorded" if arrived else "",
        )  # fmt: skip
    return outcome
