"""What signing refuses: another signer's draft, a result the hub would not
issue; and what a status description may say."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .hubkit import Hub, header, problem

pytestmark = pytest.mark.asyncio(loop_scope="module")

REVISIONS = ("documents", "document_revisions", "number_register")


async def _draft(hub: Hub, pdf: bytes, **head: Any) -> str:
    response = await hub.upload(("a", "clerk"), pdf, header(**head))
    assert response.status == 201, await response.text()
    doc_id: str = (await response.json())["document"]["id"]
    return doc_id


async def _state(hub: Hub, doc_id: str) -> str:
    response = await hub.get(("a", "clerk"), f"/documents/{doc_id}")
    assert response.status == 200, await response.text()
    state: str = (await response.json())["state"]
    return state


async def _footprint(hub: Hub) -> tuple[int, ...]:
    return (*[await hub.count(t) for t in REVISIONS], hub.blob_count())


async def test_signer_must_be_the_one_the_header_names(hub: Hub, pdfs: Path) -> None:
    pdf = (pdfs / "EmptyPage.pdf").read_bytes()
    impostor = {"name": "Lê Văn Giả", "position": "Chủ tịch"}
    doc_id = await _draft(hub, pdf, signer=impostor)

    response = await hub.post(("a", "signer"), f"/documents/{doc_id}/sign")
    body = await problem(response, 409, "signer-mismatch")
    assert "Lê Văn Giả" in body["detail"]
    assert await _state(hub, doc_id) == "draft"


async def test_signer_name_matches_across_case_spacing_and_form(
    hub: Hub, pdfs: Path
) -> None:
    pdf = (pdfs / "EmptyPage.pdf").read_bytes()
    # Decomposed (NFD) letters, other case, doubled spaces: the same person.
    name = "  NGUYỄN   văn   Thành ".replace("Ễ", "E\u0302\u0303")
    doc_id = await _draft(hub, pdf, signer={"name": name, "position": "Chủ tịch"})

    response = await hub.post(("a", "signer"), f"/documents/{doc_id}/sign")
    assert response.status == 200, await response.text()
    assert await _state(hub, doc_id) == "signed"


async def test_a_valid_foreign_signature_survives_the_hub_signature(
    hub: Hub, test_data_dir: Path
) -> None:
    # The hub's update only adds a signature, which DSS and edocx class as
    # harmless to the earlier one.
    pdf = (test_data_dir / "dss-pdf" / "adbe_ocsp_signed.pdf").read_bytes()
    doc_id = await _draft(hub, pdf)

    response = await hub.post(("a", "signer"), f"/documents/{doc_id}/sign")
    assert response.status == 200, await response.text()
    assert await _state(hub, doc_id) == "signed"


async def test_signing_a_draft_that_could_not_be_issued_is_refused(
    hub: Hub, test_data_dir: Path
) -> None:
    # The hub's signature widget lands on an annotation of the last page;
    # a new widget over an annotation after a signature is suspicious (as
    # DSS's overlap check has it), so the foreign signature would fail.
    name = "DSS-3298.pdf"
    pdf = (test_data_dir / "dss-pdf" / name).read_bytes()
    doc_id = await _draft(hub, pdf)
    before = await _footprint(hub)

    response = await hub.post(("a", "signer"), f"/documents/{doc_id}/sign")
    body = await problem(response, 422, "signing-would-break-document")
    assert body["verdict"] in ("FAILED", "UNUSABLE", "INDETERMINATE")
    assert await _state(hub, doc_id) == "draft"
    assert await _footprint(hub) == before, "a refused signature stored something"


async def test_rejection_and_take_back_need_a_visible_reason(
    hub: Hub, pdfs: Path
) -> None:
    """Rejections and take-backs say why, in visible plain text."""
    doc_id = await _draft(hub, (pdfs / "EmptyPage.pdf").read_bytes())
    signed = await hub.post(("a", "signer"), f"/documents/{doc_id}/sign")
    assert signed.status == 200, await signed.text()
    issued = await hub.post(("a", "clerk"), f"/documents/{doc_id}/issue")
    assert issued.status == 200, await issued.text()
    path = f"/documents/{doc_id}/statuses"
    arrived = await hub.post(("b", "clerk"), path, json={"code": "01"})
    assert arrived.status == 201, await arrived.text()

    for blank in ("   ", "\u200b", "\x00", "\n\t", None):
        for who, code in ((("b", "clerk"), "02"), (("a", "clerk"), "13")):
            response = await hub.post(
                who, path, json={"code": code, "description": blank}
            )
            assert response.status == 422, (code, blank)
            assert (await response.json())["type"].endswith(
                ("status-reason-required", "status-description-invalid")
            )

    for bad in ("Sai\x00số", "Sai\u202esố", "Sai\u200bsố", "Sai\rsố", "a\u2028b"):
        response = await hub.post(
            ("b", "clerk"), path, json={"code": "02", "description": bad}
        )
        await problem(response, 422, "status-description-invalid")

    reason = "Sai thẩm quyền ban hành.\n\tĐề nghị kiểm tra lại."
    rejected = await hub.post(
        ("b", "clerk"), path, json={"code": "02", "description": reason}
    )
    assert rejected.status == 201, await rejected.text()
    history = await (await hub.get(("b", "clerk"), path)).json()
    (delivery,) = history["deliveries"]
    assert [s["description"] for s in delivery["statuses"]] == [None, reason]


async def test_duplicate_json_keys_are_refused(hub: Hub) -> None:
    body = b'{"code": "03", "code": "02"}'
    response = await hub.post(
        ("b", "clerk"), "/documents/00000000-0000-4000-8000-000000000000/statuses",
        data=body, headers={"Content-Type": "application/json"},
    )  # fmt: skip
    problem_body = await problem(response, 400, "request-invalid")
    assert "'code'" in problem_body["detail"]
