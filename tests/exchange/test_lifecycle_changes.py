"""Recall, update and replacement over HTTP; secret drafts refused; the 01
the hub records for a recipient's system (pull or push acknowledgement).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from edocx.exchange.delivery import record_arrival_in
from edocx.exchange.hub import Hub as RunningHub
from edocx.web.keys import HUB

from ..web.hubkit import B, C, Hub, header, problem
from .lifekit import fetch, history, issue, ok, read_pdf, rows, status

pytestmark = pytest.mark.asyncio(loop_scope="module")

CLERK_A, CLERK_B, CLERK_C = ("a", "clerk"), ("b", "clerk"), ("c", "clerk")
REASON = {"description": "Văn bản ban hành sai thẩm quyền"}


async def _accepted_by_both(hub: Hub, pdfs: Path) -> str:
    doc_id: str = (await issue(hub, read_pdf(pdfs)))["id"]
    for system, clerk in ((("b", "system"), CLERK_B), (("c", "system"), CLERK_C)):
        await fetch(hub, system, doc_id)
        await ok(await status(hub, clerk, doc_id, "03"), 201)
    return doc_id


async def test_an_agreed_recall_cancels_the_copy_and_keeps_it(
    hub: Hub, pdfs: Path
) -> None:
    doc_id = await _accepted_by_both(hub, pdfs)
    asked = await ok(await status(hub, CLERK_A, doc_id, "13", **REASON), 201)
    assert asked["outcomes"] == {B: "applied", C: "applied"}
    sent = await history(hub, CLERK_A, doc_id)
    assert {o: d["delivery"]["change_kind"] for o, d in sent.items()} == {
        B: "revoke", C: "revoke",
    }  # fmt: skip

    # B agrees: its copy is cancelled; C refuses: it stays where it was.
    await ok(await status(hub, CLERK_B, doc_id, "15"), 201)
    await ok(await status(hub, CLERK_C, doc_id, "16"), 201)

    sent = await history(hub, CLERK_A, doc_id)
    answers = {o: d["delivery"]["change_answer"] for o, d in sent.items()}
    assert answers == {B: "agreed", C: "refused"}
    assert sent[B]["delivery"]["cancelled_at"] is not None
    assert sent[C]["delivery"]["cancelled_at"] is None
    assert sent[C]["delivery"]["progress"] == "03"

    # The sender's outbox says the same.
    outbox = await ok(await hub.get(CLERK_A, "/outbox"))
    (item,) = [i for i in outbox["items"] if i["document"]["id"] == doc_id]
    got = {d["recipient"]: (d["change_answer"], d["cancelled_at"] is not None)
           for d in item["deliveries"]}  # fmt: skip
    assert got == {B: ("agreed", True), C: ("refused", False)}

    # B still sees the cancelled copy, its incoming number kept, and may read it.
    inbox = await ok(await hub.get(CLERK_B, "/inbox"))
    (mine,) = [i for i in inbox["items"] if i["document"]["id"] == doc_id]
    assert mine["delivery"]["cancelled_at"] is not None
    assert mine["incoming_number"] is not None
    await fetch(hub, CLERK_B, doc_id)
    await problem(await status(hub, CLERK_B, doc_id, "04"), 409, "delivery-cancelled")
    assert await _actions(hub, doc_id) >= {"delivery.cancel", "delivery.status"}

    # C carries on with its copy.
    await ok(await status(hub, CLERK_C, doc_id, "04"), 201)


async def test_an_agreed_update_is_recorded_for_that_recipient(
    hub: Hub, pdfs: Path
) -> None:
    doc_id = await _accepted_by_both(hub, pdfs)
    asked = await status(hub, CLERK_A, doc_id, "13", change="update", recipient=B,
                         description="Cập nhật phụ lục")  # fmt: skip
    assert asked.status == 201, await asked.text()
    await ok(await status(hub, CLERK_B, doc_id, "15"), 201)

    sent = await history(hub, CLERK_A, doc_id)
    assert sent[B]["delivery"]["change_kind"] == "update"
    assert sent[B]["delivery"]["update_applied_at"] is not None
    assert sent[B]["delivery"]["cancelled_at"] is None
    assert sent[C]["delivery"]["change"] is None
    (asked_entry,) = [s for s in sent[B]["statuses"] if s["code"] == "13"]
    assert asked_entry["change_kind"] == "update"
    assert "delivery.update" in await _actions(hub, doc_id)
    # The log alone tells an update request from a recall, and its reason.
    (logged,) = [d for d in await _status_details(hub, doc_id) if d["code"] == "13"]
    assert logged["change"] == "update"
    assert logged["description"] == "Cập nhật phụ lục"
    assert logged["recipient"] == B

    # An update does not end the delivery.
    await ok(await status(hub, CLERK_B, doc_id, "05"), 201)


async def test_a_replacement_is_linked_for_the_recipients_named(
    hub: Hub, pdfs: Path
) -> None:
    old = (await issue(hub, read_pdf(pdfs)))["id"]
    replaces = {"document": old.upper(), "recipients": [B, B]}
    new = await issue(hub, read_pdf(pdfs, "sample.pdf"), replaces=replaces)

    sent = await history(hub, CLERK_A, old)
    assert sent[B]["delivery"]["replaced_by"] == new["id"]
    assert sent[B]["delivery"]["replaced_at"] is not None
    assert sent[C]["delivery"]["replaced_by"] is None
    inbox = await ok(await hub.get(CLERK_B, "/inbox"))
    (mine,) = [i for i in inbox["items"] if i["document"]["id"] == old]
    assert mine["delivery"]["replaced_by"] == new["id"]
    assert "delivery.replace" in await _actions(hub, old)

    # Naming no recipient replaces the copy of each recipient of both.
    other = (await issue(hub, read_pdf(pdfs)))["id"]
    await issue(hub, read_pdf(pdfs, "sample.pdf"), replaces={"document": other})
    linked = await history(hub, CLERK_A, other)
    assert {d["delivery"]["replaced_by"] is not None for d in linked.values()} == {True}


@pytest.mark.parametrize(
    "replaces",
    [
        {"document": "00000000-0000-4000-8000-000000000000"},
        {"document": "OLD", "recipients": ["000.00.00.Z99"]},
        {"document": "OLD", "recipients": [B], "extra": 1},
        {"document": "DRAFT"},
        {"document": "FOREIGN"},
    ],
    ids=["unknown", "not-sent-to", "unknown-field", "a-draft", "another-agency"],
)
async def test_a_replacement_that_cannot_be_made_is_refused(
    hub: Hub, pdfs: Path, replaces: dict[str, object]
) -> None:
    pdf = read_pdf(pdfs)
    old = (await issue(hub, pdf))["id"]
    draft = await ok(await hub.upload(("a", "clerk"), pdf, header()), 201)
    foreign = await hub.upload(("b", "clerk"), pdf, header(recipients=[C]))
    ids = {"OLD": old, "DRAFT": draft["document"]["id"],
           "FOREIGN": (await ok(foreign, 201))["document"]["id"]}  # fmt: skip
    asked = {**replaces, "document": ids.get(str(replaces["document"]),
                                             replaces["document"])}  # fmt: skip
    before = (await hub.count("documents"), await hub.count("planned_replacements"))

    response = await hub.upload(("a", "clerk"), pdf, header(replaces=asked))
    code = "header-invalid" if "extra" in replaces else "replacement-invalid"
    await problem(response, 422, code)
    after = (await hub.count("documents"), await hub.count("planned_replacements"))
    assert after == before


@pytest.mark.parametrize("mark", ["Mật", "Tối mật", "TUYỆT MẬT", "toi mat"])
async def test_a_secret_draft_is_refused(hub: Hub, pdfs: Path, mark: str) -> None:
    before = (await hub.count("documents"), hub.blob_count())
    response = await hub.upload(
        ("a", "clerk"), read_pdf(pdfs), header(confidentiality=mark)
    )
    body = await problem(response, 422, "document-secret")
    assert mark in body["detail"]
    assert (await hub.count("documents"), hub.blob_count()) == before


async def test_an_ordinary_mark_is_accepted_and_others_refused(
    hub: Hub, pdfs: Path
) -> None:
    pdf = read_pdf(pdfs)
    plain = await hub.upload(("a", "clerk"), pdf, header(confidentiality="Thường"))
    assert plain.status == 201, await plain.text()
    odd = await hub.upload(("a", "clerk"), pdf, header(confidentiality="Bí mật X"))
    await problem(odd, 422, "header-invalid")
    # Unknown fields are refused as before, named in the errors.
    extra = await hub.upload(("a", "clerk"), pdf, json.dumps({**header(), "x": 1}))
    body = await problem(extra, 422, "header-invalid")
    assert any(e.startswith("x:") for e in body["errors"]), body


async def test_the_hub_records_arrival_for_a_system(hub: Hub, pdfs: Path) -> None:
    doc_id = (await issue(hub, read_pdf(pdfs)))["id"]
    (delivery_id,) = await _delivery_ids(hub, doc_id, B)
    app = hub.client.app
    assert app is not None
    running = app[HUB]
    at = datetime.now(UTC)

    assert await _arrival(running, delivery_id, at) is True
    assert await _arrival(running, delivery_id, at) is False
    mine = (await history(hub, CLERK_B, doc_id))[B]
    assert [(s["code"], s["by_hub"]) for s in mine["statuses"]] == [("01", True)]
    assert mine["delivery"]["progress"] == "01"

    # Past 01, the hub records nothing more.
    await ok(await status(hub, CLERK_B, doc_id, "03"), 201)
    assert await _arrival(running, delivery_id, at) is False
    assert len((await history(hub, CLERK_B, doc_id))[B]["statuses"]) == 2


async def _delivery_ids(hub: Hub, doc_id: str, organ: str) -> list[int]:
    found = await rows(
        hub,
        "SELECT v.id FROM deliveries v JOIN documents d ON d.id = v.document_id"
        " JOIN agencies a ON a.id = v.recipient_agency_id"
        " WHERE d.uuid = ? AND a.organ_id = ?",
        (doc_id, organ),
    )
    return [row[0] for row in found]


async def _actions(hub: Hub, doc_id: str) -> set[str]:
    found = await rows(
        hub,
        "SELECT action FROM audit_events WHERE details_json LIKE ?",
        (f'%"document": "{doc_id}"%',),
    )
    return {row[0] for row in found}


async def _status_details(hub: Hub, doc_id: str) -> list[dict[str, str]]:
    found = await rows(
        hub,
        "SELECT details_json FROM audit_events WHERE action = 'delivery.status'"
        " AND details_json LIKE ? ORDER BY seq",
        (f'%"document": "{doc_id}"%',),
    )
    return [json.loads(row[0]) for row in found]


async def test_a_copy_recalled_before_it_arrived_never_arrives(
    hub: Hub, pdfs: Path
) -> None:
    doc_id = (await issue(hub, read_pdf(pdfs)))["id"]
    (delivery_id,) = await _delivery_ids(hub, doc_id, C)
    await ok(await status(hub, CLERK_A, doc_id, "13", recipient=C, **REASON), 201)
    await ok(await status(hub, CLERK_C, doc_id, "15"), 201)

    app = hub.client.app
    assert app is not None
    at = datetime.now(UTC)
    assert await _arrival(app[HUB], delivery_id, at) is False
    response = await hub.get(("c", "system"), f"/documents/{doc_id}/pdf")
    assert response.headers["X-Edocx-Arrival-Recorded"] == "false"
    mine = (await history(hub, CLERK_C, doc_id))[C]
    assert [s["code"] for s in mine["statuses"]] == ["13", "15"]
    assert mine["delivery"]["progress"] is None


async def _arrival(running: RunningHub, delivery_id: int, at: datetime) -> bool:
    async with running.db.write() as tx:
        return await record_arrival_in(tx, delivery_id=delivery_id, at=at)
