"""Numbers and notations: format, year boundary, concurrency, no reuse."""

from __future__ import annotations

import asyncio
import random
import sqlite3
from datetime import UTC, datetime

import pytest

from edocx.exchange import numbering
from edocx.store.register import list_register

from .conftest import AT, Registry


def test_notation_and_document_id() -> None:
    code = numbering.code_notation(
        type_abbreviation="QĐ", agency_abbreviation="UBND", drafting_unit=None
    )
    assert code == "QĐ-UBND"
    assert numbering.full_notation(7, code) == "07/QĐ-UBND"
    assert numbering.full_notation(123, code) == "123/QĐ-UBND"

    issued = datetime(2026, 3, 1, 18, 30, tzinfo=UTC)  # 01:30 on 2 March in Hanoi
    assert (
        numbering.edxml_document_id(
            organ_id="000.00.00.H41", issued_at=issued, number=7, code=code
        )
        == "000.00.00.H41,2026/03/02,07/QĐ-UBND"
    )


def test_cong_van_notation() -> None:
    assert (
        numbering.code_notation(
            type_abbreviation=None, agency_abbreviation="VPCP", drafting_unit="TTĐT"
        )
        == "VPCP-TTĐT"
    )
    assert (
        numbering.code_notation(
            type_abbreviation=None, agency_abbreviation="VPCP", drafting_unit=None
        )
        == "VPCP"
    )


def test_year_rolls_at_midnight_vietnam_time() -> None:
    last_second = datetime(2026, 12, 31, 16, 59, 59, tzinfo=UTC)
    assert numbering.numbering_year(last_second) == 2026
    assert numbering.numbering_year(datetime(2026, 12, 31, 17, tzinfo=UTC)) == 2027
    with pytest.raises(ValueError):
        numbering.numbering_year(datetime(2026, 12, 31, 17, 0))


async def _issue_or_void(reg: Registry, index: int) -> tuple[int, bool]:
    doc_id, doc_uuid = await reg.new_document()
    async with reg.db.write() as tx:
        reserved = await numbering.reserve_number(
            tx, agency_id=reg.agency.id, document_id=doc_id, document_uuid=doc_uuid,
            actor_id=reg.clerk.id, at=AT,
        )  # fmt: skip

    # The signing happens here, outside any transaction, and takes a while.
    await asyncio.sleep(random.uniform(0, 0.01))

    voided = index % 4 == 3
    async with reg.db.write() as tx:
        if voided:
            await numbering.void_number(
                tx, reserved, reason="timestamp-unavailable: TSA down",
                document_uuid=doc_uuid, actor_id=reg.clerk.id, at=AT,
            )  # fmt: skip
        else:
            await numbering.confirm_number(
                tx, reserved, document_uuid=doc_uuid, actor_id=reg.clerk.id, at=AT
            )
    return reserved.number, voided


async def test_concurrent_issues_account_for_every_number(registry: Registry) -> None:
    outcomes = await asyncio.gather(*(_issue_or_void(registry, i) for i in range(40)))

    numbers = sorted(number for number, _ in outcomes)
    assert numbers == list(range(1, 41))
    async with registry.db.read() as reader:
        entries = await list_register(reader, agency_id=registry.agency.id, year=2026)
    assert [e.number for e in entries] == list(range(1, 41))

    expected = {number: voided for number, voided in outcomes}
    for entry in entries:
        assert entry.state.value == ("voided" if expected[entry.number] else "issued")
        assert (entry.reason is not None) == expected[entry.number]
    assert len({e.document_id for e in entries}) == 40


async def test_numbers_restart_each_year_and_are_never_reused(
    registry: Registry,
) -> None:
    new_year = datetime(2026, 12, 31, 17, 0, tzinfo=UTC)
    doc_id, doc_uuid = await registry.new_document()
    async with registry.db.write() as tx:
        first = await numbering.reserve_number(
            tx, agency_id=registry.agency.id, document_id=doc_id,
            document_uuid=doc_uuid, actor_id=registry.clerk.id, at=AT,
        )  # fmt: skip
        next_year = await numbering.reserve_number(
            tx, agency_id=registry.agency.id, document_id=doc_id,
            document_uuid=doc_uuid, actor_id=registry.clerk.id, at=new_year,
        )  # fmt: skip
    assert (first.year, first.number) == (2026, 1)
    assert (next_year.year, next_year.number) == (2027, 1)

    async with registry.db.write() as tx:
        await numbering.void_number(
            tx, first, reason="test", document_uuid=doc_uuid, actor_id=None, at=AT
        )
    with pytest.raises(sqlite3.IntegrityError, match="settled"):
        async with registry.db.write() as tx:
            await tx.execute("UPDATE number_register SET state = 'reserved'")
    with pytest.raises(sqlite3.IntegrityError, match="keeps every number"):
        async with registry.db.write() as tx:
            await tx.execute("DELETE FROM number_register WHERE state = 'voided'")

    async with registry.db.write() as tx:
        again = await numbering.reserve_number(
            tx, agency_id=registry.agency.id, document_id=doc_id,
            document_uuid=doc_uuid, actor_id=registry.clerk.id, at=AT,
        )  # fmt: skip
    assert again.number == 2


async def test_stale_reservations_are_voided(registry: Registry) -> None:
    doc_id, doc_uuid = await registry.new_document()
    async with registry.db.write() as tx:
        await numbering.reserve_number(
            tx, agency_id=registry.agency.id, document_id=doc_id,
            document_uuid=doc_uuid, actor_id=registry.clerk.id, at=AT,
        )  # fmt: skip
    assert await numbering.void_stale_reservations(registry.db, at=AT) == 1
    async with registry.db.read() as reader:
        (entry,) = await list_register(reader, agency_id=registry.agency.id, year=2026)
        events = await reader.fetch_all(
            "SELECT action FROM audit_events WHERE object_id = ? ORDER BY seq",
            (doc_uuid,),
        )
    assert entry.state.value == "voided" and "stopped" in (entry.reason or "")
    assert [row[0] for row in events] == ["number.reserve", "number.void"]
