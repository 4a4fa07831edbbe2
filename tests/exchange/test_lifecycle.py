"""The status life-cycle over HTTP: 01 on fetch, repeats and late statuses
answered 200 and kept, each forbidden move a 409 of its own with nothing
stored, the incoming book numbering each accepted document.

Real PDFs signed and sealed by the hub, the real PKI on loopback.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from edocx.vntime import vietnam_time

from ..web.hubkit import B, C, Hub, problem
from .lifekit import fetch, history, issue, ok, read_pdf, rows, status

pytestmark = pytest.mark.asyncio(loop_scope="module")

CLERK_B, CLERK_C, CLERK_A = ("b", "clerk"), ("c", "clerk"), ("a", "clerk")


async def _issued(hub: Hub, pdfs: Path) -> str:
    doc_id: str = (await issue(hub, read_pdf(pdfs)))["id"]
    return doc_id


async def test_a_repeat_and_a_late_status_change_nothing(hub: Hub, pdfs: Path) -> None:
    doc_id = await _issued(hub, pdfs)
    await fetch(hub, ("b", "system"), doc_id)

    # A 01 posted at 01 is a repeat: 200, kept, nothing moves.
    again = await ok(await status(hub, CLERK_B, doc_id, "01"))
    assert (again["outcome"], again["outcomes"]) == ("repeat", {B: "repeat"})

    # The 01 carries the hub's clock only: a 03 given 10 s before it by the
    # recipient's slower clock is no less a move forward.
    fetched = (await history(hub, CLERK_B, doc_id))[B]["statuses"][0]["reported_at"]
    reported = datetime.fromisoformat(fetched) - timedelta(seconds=10)
    accepted = await status(
        hub, CLERK_B, doc_id, "03", reported_at=reported.isoformat()
    )
    assert accepted.status == 201
    assert (await accepted.json())["outcome"] == "applied"

    # A 04 given before the 03 (by its own time) arrives late: kept, ignored.
    older = (reported - timedelta(minutes=1)).isoformat()
    late = await ok(await status(hub, CLERK_B, doc_id, "04", reported_at=older))
    assert late["outcome"] == "late"
    # A code behind the current one is late too.
    assert (await ok(await status(hub, CLERK_B, doc_id, "01")))["outcome"] == "late"

    mine = (await history(hub, CLERK_B, doc_id))[B]
    assert mine["delivery"]["progress"] == "03"
    assert [(s["code"], s["outcome"]) for s in mine["statuses"]] == [
        ("01", "applied"), ("01", "repeat"), ("03", "applied"), ("04", "late"),
        ("01", "late"),
    ]  # fmt: skip
    assert mine["statuses"][0]["by_hub"] is False  # B's own system fetched it
    assert (
        mine["statuses"][3]["reported_at"] == datetime.fromisoformat(older).isoformat()
    )

    # A later 04 moves on.
    moved = await status(hub, CLERK_B, doc_id, "04")
    assert moved.status == 201
    assert (await history(hub, CLERK_B, doc_id))[B]["delivery"]["progress"] == "04"


async def test_a_status_time_in_the_future_is_refused(hub: Hub, pdfs: Path) -> None:
    doc_id = await _issued(hub, pdfs)
    await fetch(hub, ("b", "system"), doc_id)
    before = await hub.count("delivery_statuses")

    ahead = (datetime.now().astimezone() + timedelta(hours=1)).isoformat()
    response = await status(hub, CLERK_B, doc_id, "03", reported_at=ahead)
    await problem(response, 422, "status-time-invalid")
    naive = await status(hub, CLERK_B, doc_id, "03", reported_at="2026-03-01T08:00:00")
    assert naive.status in (400, 422)
    # Near datetime's limits a time cannot even be shown in Vietnam time.
    for ancient in ("0001-01-01T00:00:00+14:00", "1999-12-31T23:59:59+00:00"):
        response = await status(hub, CLERK_B, doc_id, "05", reported_at=ancient)
        await problem(response, 422, "status-time-invalid")
    assert (await hub.client.get(
        f"/api/v1/documents/{doc_id}/statuses", headers=hub.auth(*CLERK_B)
    )).status == 200  # fmt: skip
    wrong_kind = await status(hub, CLERK_B, doc_id, "03", change="revoke")
    await problem(wrong_kind, 422, "status-change-kind-invalid")
    assert await hub.count("delivery_statuses") == before


async def test_forbidden_moves_are_refused_and_not_stored(hub: Hub, pdfs: Path) -> None:
    first, second = await _issued(hub, pdfs), await _issued(hub, pdfs)
    reason = {"description": "Sai số liệu"}
    await fetch(hub, ("b", "system"), first)
    await ok(await status(hub, CLERK_B, first, "03"), 201)

    refused: list[tuple[tuple[str, str], str, str, dict[str, Any], str]] = [
        (CLERK_B, first, "13", reason, "status-sender-only"),
        (CLERK_A, first, "03", {}, "status-recipient-only"),
        (CLERK_C, first, "03", {}, "status-before-arrival"),
        (CLERK_B, first, "02", reason, "status-reject-after-accept"),
        (CLERK_B, first, "15", {}, "change-not-requested"),
        (CLERK_B, first, "16", {}, "change-not-requested"),
    ]
    await _refused(hub, refused)

    await fetch(hub, ("c", "system"), first)
    await ok(await status(hub, CLERK_A, first, "13", recipient=C, **reason), 201)
    await fetch(hub, ("b", "system"), second)
    await ok(await status(hub, CLERK_B, second, "02", **reason), 201)
    refused = [
        (CLERK_C, first, "05", {}, "status-before-acceptance"),
        (CLERK_A, first, "13", {**reason, "change": "update", "recipient": C},
         "change-already-pending"),
        (CLERK_B, second, "03", {}, "delivery-rejected"),
        (CLERK_A, second, "13", {**reason, "recipient": B}, "delivery-rejected"),
    ]  # fmt: skip
    await _refused(hub, refused)

    # C agrees to the recall: its copy is cancelled, nothing more moves it.
    await ok(await status(hub, CLERK_C, first, "15"), 201)
    await _refused(hub, [(CLERK_C, first, "03", {}, "delivery-cancelled")])


async def _refused(
    hub: Hub, cases: list[tuple[tuple[str, str], str, str, dict[str, Any], str]]
) -> None:
    for who, doc_id, code, fields, problem_type in cases:
        before = (await hub.count("delivery_statuses"), await _state(hub, doc_id))
        response = await status(hub, who, doc_id, code, **fields)
        body = await problem(response, 409, problem_type)
        assert "progress" in body, body
        after = (await hub.count("delivery_statuses"), await _state(hub, doc_id))
        assert after == before, (code, problem_type)


async def _state(hub: Hub, doc_id: str) -> list[tuple[Any, ...]]:
    return await rows(
        hub,
        "SELECT v.progress_status, v.change_status, v.cancelled_at"
        " FROM deliveries v JOIN documents d ON d.id = v.document_id"
        " WHERE d.uuid = ? ORDER BY v.id",
        (doc_id,),
    )


async def test_the_incoming_book_numbers_each_acceptance_once(
    hub: Hub, pdfs: Path
) -> None:
    names = ["EmptyPage.pdf", "empty-two-pages.pdf", "pdf-2.0.pdf", "sample.pdf"]
    docs = await asyncio.gather(*(issue(hub, read_pdf(pdfs, n)) for n in names * 2))
    ids = [doc["id"] for doc in docs]
    for who in (("b", "system"), ("c", "system")):
        await asyncio.gather(*(fetch(hub, who, doc_id) for doc_id in ids))
    before = await _book(hub)

    # Every 03 is posted twice at once, by B's and C's clerks together.
    posts = [
        status(hub, who, doc_id, "03")
        for doc_id in ids
        for who in (CLERK_B, CLERK_C, CLERK_B, CLERK_C)
    ]
    answers = await asyncio.gather(*posts)
    assert sorted(r.status for r in answers) == [200] * 16 + [201] * 16

    book = await _book(hub)
    for organ in (B, C):
        new = sorted(set(book[organ]) - set(before.get(organ, [])))
        assert len(new) == len(ids)
        # Consecutive, after the numbers the book held already.
        start = max(before.get(organ, [0]), default=0) + 1
        assert new == list(range(start, start + len(ids)))

    # The inbox and the status answers show each document's number.
    inbox = await ok(await hub.get(CLERK_B, "/inbox"))
    shown = {i["document"]["id"]: i["incoming_number"] for i in inbox["items"]}
    numbers = {shown[doc_id] for doc_id in ids}
    assert len(numbers) == len(ids) and all(n and len(n) >= 2 for n in numbers)
    mine = (await history(hub, CLERK_B, ids[0]))[B]["delivery"]
    assert mine["incoming_number"] == shown[ids[0]]
    assert mine["incoming_year"] == vietnam_time(datetime.now(UTC)).year


async def _book(hub: Hub) -> dict[str, list[int]]:
    found = await rows(
        hub,
        "SELECT a.organ_id, r.number FROM incoming_register r"
        " JOIN agencies a ON a.id = r.agency_id ORDER BY r.number",
    )
    book: dict[str, list[int]] = {}
    for organ, number in found:
        book.setdefault(organ, []).append(number)
    return book
