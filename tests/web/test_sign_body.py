"""Sign and issue take no input: a body with any field is refused, not ignored."""

from __future__ import annotations

from pathlib import Path

import pytest

from .hubkit import Hub, header, problem

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def _state(hub: Hub, doc_id: str) -> str:
    response = await hub.get(("a", "clerk"), f"/documents/{doc_id}")
    assert response.status == 200, await response.text()
    state: str = (await response.json())["state"]
    return state


async def test_fields_on_sign_and_issue_are_refused_by_name(
    hub: Hub, pdfs: Path
) -> None:
    uploaded = await hub.upload(
        ("a", "signer"), (pdfs / "EmptyPage.pdf").read_bytes(), header()
    )
    assert uploaded.status == 201, await uploaded.text()
    doc_id = (await uploaded.json())["document"]["id"]
    sign, issue = f"/documents/{doc_id}/sign", f"/documents/{doc_id}/issue"
    signer, clerk = ("a", "signer"), ("a", "clerk")

    asked = await hub.post(signer, sign, json={"level": "B-B", "foo": 1})
    body = await problem(asked, 422, "body-field-unknown")
    assert body["fields"] == ["foo", "level"]
    assert "level" in body["detail"]
    as_form = await hub.post(signer, sign, data={"level": "B-B"})
    await problem(as_form, 415, "media-type-unsupported")
    a_list = await hub.post(signer, sign, json=["B-B"])
    await problem(a_list, 400, "request-invalid")
    assert await _state(hub, doc_id) == "draft"

    signed = await hub.post(signer, sign, json={})
    assert signed.status == 200, await signed.text()
    await problem(await hub.post(clerk, issue, json={"number": 7}), 422,
                  "body-field-unknown")  # fmt: skip
    assert await _state(hub, doc_id) == "signed"
    issued = await hub.post(clerk, issue)
    assert issued.status == 200, await issued.text()
    assert await _state(hub, doc_id) == "issued"
