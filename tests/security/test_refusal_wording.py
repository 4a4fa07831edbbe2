"""Refusals say what was refused in words that fit the call.

A title is fixed per problem type, so it must read true on every route that
answers with it; the detail names the case at hand.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.exchange.lifekit import issue, read_pdf, status
from tests.web.hubkit import B, C, Hub, problem

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def test_a_13_naming_an_agency_not_sent_the_document_says_so(
    hub: Hub, pdfs: Path
) -> None:
    doc_id = (await issue(hub, read_pdf(pdfs), recipients=[B]))["id"]
    before = await hub.count("delivery_statuses")
    fields = {"recipient": C, "description": "Sai số liệu"}

    response = await status(hub, ("a", "clerk"), doc_id, "13", **fields)

    body = await problem(response, 422, "recipient-unknown")
    assert body["detail"] == f"{C} is not a recipient of document {doc_id}"
    title = "A recipient named is unknown to the hub or to the document"
    assert body["title"] == title
    assert body["recipients"] == [C]
    assert await hub.count("delivery_statuses") == before


async def test_action_not_allowed_reads_true_on_a_push_endpoint(hub: Hub) -> None:
    # Agency A's system may not set B's endpoint: no document is involved.
    path = f"/agencies/{B}/push-endpoint"

    response = await hub.post(("a", "system"), path, json={"url": "https://x"})

    body = await problem(response, 403, "action-not-allowed")
    assert body["title"] == "The caller may not take this action"
