"""Pull: list the new documents, acknowledge each; unacknowledged ones return."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.web.hubkit import B, Hub, problem

from .conftest import issue, ok

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def _pulled(hub: Hub, who: tuple[str, str]) -> dict[str, Any]:
    body = await ok(await hub.get(who, "/pull"))
    return {item["id"]: item for item in body["items"]}


async def _progress(hub: Hub, doc_id: str, recipient: str) -> list[str]:
    body = await ok(await hub.get(("a", "clerk"), f"/documents/{doc_id}/statuses"))
    text = str(body)
    assert recipient in text
    for entry in body["deliveries"]:
        if entry["delivery"]["recipient"] == recipient:
            return [s["code"] for s in entry["statuses"]]
    raise AssertionError(f"no delivery to {recipient}")


async def test_pull_lists_hides_reoffers_and_acks(hub: Hub, sample_pdf: bytes) -> None:
    doc = await issue(hub, sample_pdf)
    doc_id = doc["id"]

    # 1. B's system lists it, with where to fetch and acknowledge it.
    first = await _pulled(hub, ("b", "system"))
    item = first[doc_id]
    assert (item["sender"], item["notation"], item["offers"]) == (
        doc["agency"], doc["notation"], 1,
    )  # fmt: skip
    assert item["sha256"] == doc["sha256"]
    assert item["edxml_document_id"] == doc["edxml_document_id"]
    assert item["pdf"] == f"/api/v1/documents/{doc_id}/pdf"
    assert item["ack"] == f"/api/v1/pull/{doc_id}/ack"

    # 2. Listed again at once: hidden for the visibility time (1 s here).
    assert doc_id not in await _pulled(hub, ("b", "system"))

    # 3. Not acknowledged: offered again once that time has passed.
    await asyncio.sleep(1.1)
    again = await _pulled(hub, ("b", "system"))
    assert again[doc_id]["offers"] == 2

    # 4. The acknowledgement records the transport ack and 01, once.
    ack = await ok(await hub.post(("b", "system"), f"/pull/{doc_id}/ack"))
    assert (ack["id"], ack["first"], ack["arrival_recorded"]) == (doc_id, True, True)
    assert ack["acknowledged_at"].endswith("+07:00")
    assert await _progress(hub, doc_id, B) == ["01"]

    # 5. A repeated ack answers the first one and records nothing more.
    repeat = await ok(await hub.post(("b", "system"), f"/pull/{doc_id}/ack"))
    assert repeat["acknowledged_at"] == ack["acknowledged_at"]
    assert (repeat["first"], repeat["arrival_recorded"]) == (False, False)
    assert await _progress(hub, doc_id, B) == ["01"]

    # 6. Acknowledged: never listed again.
    await asyncio.sleep(1.1)
    assert doc_id not in await _pulled(hub, ("b", "system"))


async def test_ack_after_download_keeps_the_first_01(
    hub: Hub, sample_pdf: bytes
) -> None:
    doc_id = (await issue(hub, sample_pdf))["id"]
    assert doc_id in await _pulled(hub, ("c", "clerk"))

    # The download recorded 01 already; the ack is still the transport ack.
    download = await hub.get(("c", "clerk"), f"/documents/{doc_id}/pdf")
    assert download.status == 200
    ack = await ok(await hub.post(("c", "system"), f"/pull/{doc_id}/ack"))
    assert (ack["first"], ack["arrival_recorded"]) == (True, False)


async def test_answered_or_recalled_documents_are_not_offered(
    hub: Hub, sample_pdf: bytes
) -> None:
    answered = (await issue(hub, sample_pdf))["id"]
    recalled = (await issue(hub, sample_pdf))["id"]
    clerk_b = ("b", "clerk")

    # B's clerk accepts one at the desk; A recalls the other and B agrees.
    assert (await hub.get(clerk_b, f"/documents/{answered}/pdf")).status == 200
    await ok(await hub.post(clerk_b, f"/documents/{answered}/statuses",
                            json={"code": "03"}), 201)  # fmt: skip
    await ok(await hub.post(("a", "clerk"), f"/documents/{recalled}/statuses",
                            json={"code": "13", "recipient": B,
                                  "description": "Sai thể thức"}), 201)  # fmt: skip
    await ok(await hub.post(clerk_b, f"/documents/{recalled}/statuses",
                            json={"code": "15"}), 201)  # fmt: skip

    offered = await _pulled(hub, ("b", "system"))
    assert answered not in offered and recalled not in offered


async def test_only_recipients_acknowledge(hub: Hub, sample_pdf: bytes) -> None:
    doc_id = (await issue(hub, sample_pdf, recipients=[B]))["id"]

    sender = await hub.post(("a", "system"), f"/pull/{doc_id}/ack")
    await problem(sender, 403, "action-not-allowed")
    # C was not sent it: the document does not exist for C.
    stranger = await hub.post(("c", "system"), f"/pull/{doc_id}/ack")
    await problem(stranger, 404, "document-not-found")
    assert doc_id not in await _pulled(hub, ("c", "system"))
    # A signer does not pull.
    await problem(await hub.get(("b", "signer"), "/pull"), 403, "role-not-allowed")
