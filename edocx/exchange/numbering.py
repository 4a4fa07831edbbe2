"""Numbers and notations of issued documents (Decree 30/2020 Art. 15).

Numbers run per agency and calendar year from 01 on 1 January, Vietnam time
(UTC+07:00). Issuing takes a number in one short transaction (reserved),
signs outside any transaction, then settles the number in a second one:
issued, or voided with the reason when the issue failed after the number
was taken. A number is never handed out twice, so every number of the
year stays accounted for in the register.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from edocx.audit.events import record_event
from edocx.store import register
from edocx.store.db import Database, Tx
from edocx.store.documents import get_document_by_id
from edocx.store.models import NumberState
from edocx.vntime import vietnam_time

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReservedNumber:
    agency_id: int
    year: int
    number: int
    document_id: int


def numbering_year(at: datetime) -> int:
    """Return the calendar year of the register ``at`` falls in."""
    return vietnam_time(at).year


def format_number(number: int) -> str:
    """Write a number with at least two digits (01, 02, ... 10, 11)."""
    return f"{number:02d}"


def code_notation(
    *,
    type_abbreviation: str | None,
    agency_abbreviation: str,
    drafting_unit: str | None,
) -> str:
    """Return the part after the slash: ``QĐ-UBND``, or ``VPCP-TTĐT``."""
    if type_abbreviation is not None:
        return f"{type_abbreviation}-{agency_abbreviation}"
    # A Công văn has no type abbreviation: the body, then the drafting unit.
    if drafting_unit:
        return f"{agency_abbreviation}-{drafting_unit}"
    return agency_abbreviation


def full_notation(number: int, code: str) -> str:
    return f"{format_number(number)}/{code}"


def edxml_document_id(
    *, organ_id: str, issued_at: datetime, number: int, code: str
) -> str:
    """Return the edXML DocumentId ``{OrganId},{yyyy/MM/dd},{number}/{notation}``."""
    day = vietnam_time(issued_at).strftime("%Y/%m/%d")
    return f"{organ_id},{day},{full_notation(number, code)}"


async def reserve_number(
    tx: Tx, *, agency_id: int, document_id: int, document_uuid: str,
    actor_id: int, at: datetime,
) -> ReservedNumber:  # fmt: skip
    """Reserve the next number of the year (commit this transaction quickly)."""
    year = numbering_year(at)
    number = await register.reserve_next(
        tx, agency_id=agency_id, year=year, document_id=document_id, at=at
    )
    await record_event(
        tx, at=at, actor=actor_id, agency=agency_id, action="number.reserve",
        object_type="document", object_id=document_uuid,
        details={"year": year, "number": number},
    )  # fmt: skip
    logger.info(
        "reserved number %s/%d for document %s (agency %d)",
        format_number(number), year, document_uuid, agency_id,
    )  # fmt: skip
    return ReservedNumber(agency_id, year, number, document_id)


async def confirm_number(
    tx: Tx, reserved: ReservedNumber, *, document_uuid: str, actor_id: int,
    at: datetime,
) -> None:  # fmt: skip
    """Mark the number issued, inside the transaction that issues the document."""
    await register.settle(
        tx, agency_id=reserved.agency_id, year=reserved.year, number=reserved.number,
        state=NumberState.ISSUED, reason=None, at=at,
    )  # fmt: skip
    await record_event(
        tx, at=at, actor=actor_id, agency=reserved.agency_id, action="number.issue",
        object_type="document", object_id=document_uuid,
        details={"year": reserved.year, "number": reserved.number},
    )  # fmt: skip


async def void_number(
    tx: Tx, reserved: ReservedNumber, *, reason: str, document_uuid: str,
    actor_id: int | None, at: datetime,
) -> None:  # fmt: skip
    """Void a reserved number with the reason the issue failed."""
    await register.settle(
        tx, agency_id=reserved.agency_id, year=reserved.year,
        number=reserved.number, state=NumberState.VOIDED, reason=reason, at=at,
    )  # fmt: skip
    await record_event(
        tx, at=at, actor=actor_id, agency=reserved.agency_id,
        action="number.void", object_type="document", object_id=document_uuid,
        details={"year": reserved.year, "number": reserved.number,
                 "reason": reason},
    )  # fmt: skip
    logger.warning(
        "voided number %s/%d of document %s (agency %d): %s",
        format_number(reserved.number), reserved.year, document_uuid,
        reserved.agency_id, reason,
    )  # fmt: skip


async def void_stale_reservations(db: Database, *, at: datetime) -> int:
    """Void numbers a stopped process left reserved; return how many."""
    async with db.write() as tx:
        stale = await register.stale_reservations(tx)
        for entry in stale:
            document = await get_document_by_id(tx, entry.document_id)
            reserved = ReservedNumber(
                entry.agency_id, entry.year, entry.number, entry.document_id
            )
            await void_number(
                tx, reserved, reason="the service stopped during the issue",
                document_uuid="" if document is None else document.uuid,
                actor_id=None, at=at,
            )  # fmt: skip
    return len(stale)
