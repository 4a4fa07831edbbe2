"""The incoming book of a recipient agency (Decree 30/2020 Art. 21).

A document gets its incoming ("đến") number when its recipient accepts it
(status 03): numbers run per recipient agency and calendar year, from 01
on 1 January Vietnam time, consecutive, shared by paper and electronic
documents, never reused. The number is written in the transaction that
records the 03, under the write lock and with no network call in it, so
concurrent acceptances take consecutive numbers and none is left open.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from edocx.audit.events import record_event
from edocx.exchange.numbering import format_number, numbering_year
from edocx.store import register
from edocx.store.db import Tx
from edocx.store.models import Delivery

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class IncomingNumber:
    agency_id: int
    year: int
    number: int

    @property
    def text(self) -> str:
        return format_number(self.number)


async def register_incoming(
    tx: Tx, delivery: Delivery, *, document_uuid: str, actor_id: int | None,
    at: datetime,
) -> IncomingNumber:  # fmt: skip
    """Give ``delivery`` the next number of its recipient's incoming book.

    A delivery is numbered once: a second call returns its number (the
    delivery, read in this transaction, carries it).
    """
    if delivery.incoming_number is not None and delivery.incoming_year is not None:
        return IncomingNumber(
            delivery.recipient_agency_id, delivery.incoming_year,
            delivery.incoming_number,
        )  # fmt: skip

    agency_id, year = delivery.recipient_agency_id, numbering_year(at)
    number = await register.take_incoming_number(
        tx, agency_id=agency_id, year=year, delivery_id=delivery.id, at=at
    )
    await record_event(
        tx, at=at, actor=actor_id, agency=agency_id, action="incoming.register",
        object_type="document", object_id=document_uuid,
        details={"year": year, "number": number, "delivery": delivery.id,
                 "recipient": delivery.recipient_organ_id},
    )  # fmt: skip
    logger.info(
        "document %s: incoming number %s/%d in the book of agency %s",
        document_uuid, format_number(number), year, delivery.recipient_organ_id,
    )  # fmt: skip
    return IncomingNumber(agency_id, year, number)
