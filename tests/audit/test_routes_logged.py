"""What goes in: each change played through the API has its audit entry.

The issue's list (agencies, users and their tokens, drafts, signatures,
issue, routing, fetches, acknowledgements, statuses, recalls and their
answers, verifications asked through the API) is played on a running hub;
each step's entries are found by the indices its answer names
(``Audit-Index``) or, for a read that records something, by the entries
appended meanwhile.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientResponse, FormData

from tests.web.hubkit import Hub, header

pytestmark = pytest.mark.asyncio(loop_scope="module")

AUDITOR = ("hub", "auditor")


async def _entries(
    hub: Hub, start: int, end: int | None = None
) -> list[dict[str, Any]]:
    query = f"/audit/entries?start={start}" + ("" if end is None else f"&end={end}")
    response = await hub.get(AUDITOR, query)
    assert response.status == 200, await response.text()
    page = await response.json()
    return [json.loads(item["entry"]) for item in page["items"]]


async def _size(hub: Hub) -> int:
    response = await hub.get(AUDITOR, "/audit/entries?start=0&end=0")
    size: int = (await response.json())["tree_size"]
    return size


async def _logged(hub: Hub, response: ClientResponse, status: int) -> list[str]:
    """The actions of the entries the answer names in Audit-Index."""
    assert response.status == status, await response.text()
    indices = [int(i) for i in response.headers["Audit-Index"].split(",")]
    assert indices == list(range(indices[0], indices[0] + len(indices)))
    entries = await _entries(hub, indices[0], indices[-1] + 1)
    return [entry["action"] for entry in entries]


async def test_every_change_of_the_main_job_is_logged(hub: Hub, pdfs: Path) -> None:
    # Agencies and users with their tokens: written when the hub was seeded.
    seeded = {entry["action"] for entry in await _entries(hub, 0)}
    assert {"agency.create", "user.create"} <= seeded

    # Draft, signature, issue and routing to both recipients.
    pdf = (pdfs / "EmptyPage.pdf").read_bytes()
    response = await hub.upload(("a", "signer"), pdf, header())
    assert await _logged(hub, response, 201) == ["document.draft"]
    doc_id = (await response.json())["document"]["id"]
    doc = f"/documents/{doc_id}"
    signed = await hub.post(("a", "signer"), doc + "/sign")
    assert await _logged(hub, signed, 200) == ["document.sign"]
    issued = await _logged(hub, await hub.post(("a", "clerk"), doc + "/issue"), 200)
    assert {"number.reserve", "number.issue", "document.issue"} <= set(issued)
    assert issued.count("delivery.create") == 2

    # A fetch records the arrival (a read: found among the entries it added).
    before = await _size(hub)
    fetched = await hub.get(("b", "system"), doc + "/pdf")
    assert fetched.status == 200
    arrival = await _entries(hub, before)
    assert [(e["action"], e["details"]["code"]) for e in arrival] == [
        ("delivery.status", "01")
    ]

    # A pull acknowledgement by the other recipient's system.
    await hub.get(("c", "system"), "/pull")
    acked = await hub.post(("c", "system"), f"/pull/{doc_id}/ack")
    assert "delivery.ack" in await _logged(hub, acked, 200)

    # Statuses, a recall (13) and its answer (15).
    accepted = await hub.post(("b", "clerk"), doc + "/statuses", json={"code": "03"})
    assert await _logged(hub, accepted, 201) == ["incoming.register", "delivery.status"]
    recall = {"code": "13", "change": "revoke", "description": "Ban hành nhầm"}
    recalled = await hub.post(("a", "clerk"), doc + "/statuses", json=recall)
    assert (await _logged(hub, recalled, 201)).count("delivery.status") == 2
    agreed = {"code": "15", "description": "Đồng ý thu hồi"}
    answer = await hub.post(("b", "clerk"), doc + "/statuses", json=agreed)
    assert "delivery.status" in await _logged(hub, answer, 201)

    # A verification asked with a token; one asked without is not logged.
    verified = await hub.verify(("b", "system"), pdf)
    assert await _logged(hub, verified, 200) == ["document.verify"]
    before = await _size(hub)
    form = FormData()
    form.add_field("file", io.BytesIO(pdf), filename="x.pdf")
    anonymous = await hub.client.post("/api/v1/verify", data=form)
    assert anonymous.status == 200
    assert "Audit-Index" not in anonymous.headers
    assert await _size(hub) == before

    # The document's own entries name no token, key or body.
    mine = [e for e in await _entries(hub, 0) if e["object_id"] == doc_id]
    assert {e["action"] for e in mine} >= {"document.draft", "document.issue"}
    for entry in mine:
        assert "token" not in json.dumps(entry).lower()


async def test_a_repeated_status_is_kept_and_logged(hub: Hub, pdfs: Path) -> None:
    # A repeat changes no progress but is kept in the status history: a
    # row appended is a change, and has its entry.
    pdf = (pdfs / "EmptyPage.pdf").read_bytes()
    doc_id = (await (await hub.upload(("a", "signer"), pdf, header())).json())[
        "document"
    ]["id"]
    doc = f"/documents/{doc_id}"
    assert (await hub.post(("a", "signer"), doc + "/sign")).status == 200
    assert (await hub.post(("a", "clerk"), doc + "/issue")).status == 200
    assert (await hub.get(("b", "clerk"), doc + "/pdf")).status == 200
    first = await hub.post(("b", "clerk"), doc + "/statuses", json={"code": "03"})
    assert first.status == 201

    again = await hub.post(("b", "clerk"), doc + "/statuses", json={"code": "03"})

    assert (await again.json())["outcome"] == "repeat"
    assert await _logged(hub, again, 200) == ["delivery.status"]
    assert again.headers["Audit-Index"] != first.headers["Audit-Index"]
