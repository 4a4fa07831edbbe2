"""The main job over HTTP: draft, sign, issue, receive, verify, answer.

Real PDFs, the real worker pool, the real PKI services on loopback.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp.multipart import content_disposition_filename, parse_content_disposition

from .hubkit import A, B, C, Hub, header, problem

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def _draft(hub: Hub, pdf: bytes, **head: Any) -> dict[str, Any]:
    response = await hub.upload(("a", "signer"), pdf, header(**head))
    assert response.status == 201, await response.text()
    body: dict[str, Any] = await response.json()
    return body


async def _ok(response: Any, status: int = 200) -> Any:
    assert response.status == status, await response.text()
    return await response.json()


async def _issued(hub: Hub, pdf: bytes) -> dict[str, Any]:
    doc_id = (await _draft(hub, pdf))["document"]["id"]
    await _ok(await hub.post(("a", "signer"), f"/documents/{doc_id}/sign"))
    issued: dict[str, Any] = await _ok(
        await hub.post(("a", "clerk"), f"/documents/{doc_id}/issue")
    )
    return issued


async def test_draft_sign_issue_receive_answer(hub: Hub, pdfs: Path) -> None:
    # 1. A drafts, A's competent person signs.
    draft = await _draft(hub, (pdfs / "sample.pdf").read_bytes())
    doc = draft["document"]
    doc_id = doc["id"]
    assert (doc["state"], doc["agency"], doc["recipients"]) == ("draft", A, [B, C])
    assert (doc["type_abbreviation"], doc["number"]) == ("QĐ", None)
    assert draft["existing_signatures"] is None

    signed = await _ok(await hub.post(("a", "signer"), f"/documents/{doc_id}/sign"))
    assert signed["state"] == "signed" and signed["sha256"] != doc["sha256"]

    # 2. A's clerk issues: number, notation, edXML DocumentId.
    issued = await _ok(await hub.post(("a", "clerk"), f"/documents/{doc_id}/issue"))
    assert issued["state"] == "issued"
    assert re.fullmatch(r"\d{2,}", issued["number"])
    assert issued["notation"] == f"{issued['number']}/QĐ-UBND"
    day = datetime.fromisoformat(issued["issued_at"])
    assert day.utcoffset() is not None and day.utcoffset().total_seconds() == 7 * 3600
    assert issued["edxml_document_id"] == (f"{A},{day:%Y/%m/%d},{issued['notation']}")

    # 3. B's system and C's clerk find it in their inboxes, not yet arrived.
    for who in (("b", "system"), ("c", "clerk")):
        inbox = await _ok(await hub.get(who, "/inbox"))
        (item,) = [i for i in inbox["items"] if i["document"]["id"] == doc_id]
        assert (item["sender"], item["status"]) == (A, None)

    # 4. Downloading records 01 once; the bytes are the issued document.
    pdf_b = await _download(hub, ("b", "system"), doc_id, recorded=True)
    assert hashlib.sha256(pdf_b).hexdigest() == issued["sha256"]
    await _download(hub, ("b", "system"), doc_id, recorded=False)
    await _download(hub, ("c", "clerk"), doc_id, recorded=True)

    # 5. The recipients verify it with the hub's verifier.
    report = await _ok(await hub.verify(("b", "system"), pdf_b))
    assert report["verdict"] == "PASSED", report

    # 6. Both accept (03); A's outbox shows it per recipient.
    for who in (("b", "clerk"), ("c", "system")):
        answer = await _ok(
            await hub.post(who, f"/documents/{doc_id}/statuses", json={"code": "03"}),
            201,
        )
        (mine,) = answer["deliveries"]
        assert [s["code"] for s in mine["statuses"]] == ["01", "03"]

    outbox = await _ok(await hub.get(("a", "clerk"), "/outbox"))
    (sent,) = [i for i in outbox["items"] if i["document"]["id"] == doc_id]
    assert {(d["recipient"], d["status"]) for d in sent["deliveries"]} == {
        (B, "03"),
        (C, "03"),
    }

    # 7. Statuses only move forward: a late 01 and a repeated 03 change
    # nothing (200), a 02 after the 03 is refused.
    path = f"/documents/{doc_id}/statuses"
    for code, outcome in (("01", "late"), ("03", "repeat")):
        answer = await _ok(await hub.post(("b", "clerk"), path, json={"code": code}))
        assert answer["outcome"] == outcome
        (mine,) = answer["deliveries"]
        assert mine["delivery"]["progress"] == "03"
    status = {"code": "02", "description": "Không đúng thẩm quyền"}
    response = await hub.post(("b", "clerk"), path, json=status)
    await problem(response, 409, "status-reject-after-accept")

    # 8. Every step is in the audit log.
    actions = await _audit_actions(hub, doc_id)
    for expected in ("document.draft", "document.sign", "number.reserve",
                     "number.issue", "document.issue"):  # fmt: skip
        assert expected in actions


async def _download(
    hub: Hub, who: tuple[str, str], doc_id: str, *, recorded: bool
) -> bytes:
    response = await hub.get(who, f"/documents/{doc_id}/pdf")
    assert response.status == 200, await response.text()
    assert response.content_type == "application/pdf"
    flag = response.headers["X-Edocx-Arrival-Recorded"]
    assert flag == ("true" if recorded else "false")
    return await response.read()


async def _audit_actions(hub: Hub, object_id: str) -> list[str]:
    response = await hub.get(("hub", "auditor"), f"/audit/events?object_id={object_id}")
    events = await _ok(response)
    return [event["action"] for event in events["items"]]


async def test_auditor_reading_content_is_recorded(hub: Hub, pdfs: Path) -> None:
    doc_id = (await _draft(hub, (pdfs / "EmptyPage.pdf").read_bytes()))["document"][
        "id"
    ]
    meta = await _ok(await hub.get(("hub", "auditor"), f"/documents/{doc_id}"))
    assert meta["id"] == doc_id
    assert "document.read" not in await _audit_actions(hub, doc_id)

    response = await hub.get(("hub", "auditor"), f"/documents/{doc_id}/pdf")
    assert response.status == 200
    assert "document.read" in await _audit_actions(hub, doc_id)


async def test_concurrent_issues_take_consecutive_numbers(hub: Hub, pdfs: Path) -> None:
    files = ["EmptyPage.pdf", "empty-two-pages.pdf", "pdf-2.0.pdf"]
    issued = await asyncio.gather(
        *(_issued(hub, (pdfs / name).read_bytes()) for name in files)
    )
    numbers = sorted(int(doc["number"]) for doc in issued)
    assert numbers == list(range(numbers[0], numbers[0] + len(files)))
    assert len({doc["notation"] for doc in issued}) == len(files)


async def test_idempotent_draft_upload(hub: Hub, pdfs: Path) -> None:
    pdf = (pdfs / "EmptyPage.pdf").read_bytes()
    before = await hub.count("documents")

    first = await hub.upload(("a", "clerk"), pdf, header(), key="draft-key-1")
    again = await hub.upload(("a", "clerk"), pdf, header(), key="draft-key-1")
    assert (first.status, again.status) == (201, 201)
    assert (await first.json()) == (await again.json())
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert await hub.count("documents") == before + 1

    other = await hub.upload(
        ("a", "clerk"), pdf, header(subject="Khác"), key="draft-key-1"
    )
    await problem(other, 409, "idempotency-key-conflict")
    assert await hub.count("documents") == before + 1

    # The key belongs to its user: another user may use the same string.
    mine = await hub.upload(("a", "system"), pdf, header(), key="draft-key-1")
    assert mine.status == 201


async def test_foreign_signature_is_reported_not_trusted(hub: Hub, pdfs: Path) -> None:
    draft = await _draft(hub, (pdfs / "pdfa2u-gray.pdf").read_bytes())
    report = draft["existing_signatures"]
    assert report is not None
    assert report["verdict"] == "INDETERMINATE", report


async def test_encrypted_draft_with_its_password(hub: Hub, pdfs: Path) -> None:
    pdf = (pdfs / "protected_open_protected.pdf").read_bytes()
    response = await hub.upload(("a", "signer"), pdf, header(), password=" ")
    draft = await _ok(response, 201)
    assert draft["warnings"], "the uploader is told the file was decrypted"


async def test_tampered_signed_upload_is_refused(hub: Hub, pdfs: Path) -> None:
    # A draft carrying a foreign signature (ETSI.CAdES.detached, 2021).
    pdf = (pdfs / "pdfa2u-gray.pdf").read_bytes()

    # Change one byte of a content stream of the first revision: the file
    # still parses, but the signature no longer covers what was signed.
    start = pdf.index(b"stream", pdf.index(b"/Length")) + 40
    tampered = pdf[:start] + bytes([pdf[start] ^ 0x01]) + pdf[start + 1 :]
    before = (await hub.count("documents"), hub.blob_count())

    response = await hub.upload(("a", "signer"), tampered, header())
    await problem(response, 422, "signature-invalid")
    assert (await hub.count("documents"), hub.blob_count()) == before

    report = await _ok(await hub.verify(("c", "system"), tampered))
    assert report["verdict"] == "FAILED"


async def test_issued_document_cannot_be_issued_again(hub: Hub, pdfs: Path) -> None:
    issued = await _issued(hub, (pdfs / "sample.pdf").read_bytes())
    pdf = await _download(hub, ("b", "clerk"), issued["id"], recorded=True)
    before = (await hub.count("documents"), hub.blob_count())

    response = await hub.upload(
        ("b", "signer"), pdf, header(recipients=["000.00.00.H41"])
    )

    await problem(response, 422, "pdf-already-issued")
    assert (await hub.count("documents"), hub.blob_count()) == before


async def test_take_back_request_and_answers(hub: Hub, pdfs: Path) -> None:
    doc_id = (await _issued(hub, (pdfs / "EmptyPage.pdf").read_bytes()))["id"]
    path = f"/documents/{doc_id}/statuses"
    for who in (("b", "system"), ("c", "system")):
        await _download(hub, who, doc_id, recorded=True)

    # Only the sender asks to take back, and says why.
    silent = await hub.post(("a", "clerk"), path, json={"code": "13"})
    await problem(silent, 422, "status-reason-required")
    by_recipient = await hub.post(
        ("b", "clerk"), path, json={"code": "13", "description": "không"}
    )
    await problem(by_recipient, 409, "status-sender-only")
    asked = await _ok(
        await hub.post(
            ("a", "clerk"), path, json={"code": "13", "description": "Sai số liệu"}
        ),
        201,
    )
    assert {d["delivery"]["change"] for d in asked["deliveries"]} == {"13"}

    # B refuses and carries on; C agrees, which ends its delivery.
    await _ok(await hub.post(("b", "clerk"), path, json={"code": "16"}), 201)
    await _ok(await hub.post(("b", "clerk"), path, json={"code": "03"}), 201)
    await _ok(await hub.post(("c", "clerk"), path, json={"code": "15"}), 201)
    ended = await hub.post(("c", "clerk"), path, json={"code": "03"})
    await problem(ended, 409, "delivery-cancelled")

    history = await _ok(await hub.get(("a", "clerk"), path))
    codes = {
        d["delivery"]["recipient"]: [s["code"] for s in d["statuses"]]
        for d in history["deliveries"]
    }
    assert codes == {B: ["01", "13", "16", "03"], C: ["01", "13", "15"]}


async def test_download_is_named_after_the_notation(hub: Hub, pdfs: Path) -> None:
    issued = await _issued(hub, (pdfs / "EmptyPage.pdf").read_bytes())
    response = await hub.get(("b", "system"), f"/documents/{issued['id']}/pdf")
    assert response.status == 200, await response.text()

    # 05/QĐ-UBND: an ASCII fallback, and the UTF-8 name that keeps the Đ.
    stem = issued["notation"].replace("/", "-")
    kind, params = parse_content_disposition(response.headers["Content-Disposition"])
    assert kind == "attachment"
    assert params["filename"] == stem.replace("Đ", "D") + ".pdf"
    assert content_disposition_filename(params) == stem + ".pdf"
    assert "Q%C4%90-UBND" in response.headers["Content-Disposition"]


async def test_download_of_a_notation_stored_before_checks(
    hub: Hub, pdfs: Path
) -> None:
    issued = await _issued(hub, (pdfs / "EmptyPage.pdf").read_bytes())
    # A row written when drafting units were not yet checked.
    bad = f'{issued["number"]}/UBND-VP\r\nX-Evil: 1"; x="y\x00'
    await hub.execute(
        "UPDATE documents SET notation = ? WHERE uuid = ?", (bad, issued["id"])
    )

    await _download(hub, ("b", "system"), issued["id"], recorded=True)
    response = await hub.get(("b", "system"), f"/documents/{issued['id']}/pdf")
    assert "X-Evil" not in response.headers
    disposition = response.headers["Content-Disposition"]
    assert disposition.isascii() and disposition.isprintable(), disposition
    _, params = parse_content_disposition(disposition)
    assert set(params) == {"filename", "filename*"}
    assert "/" not in content_disposition_filename(params)

    history = await _ok(
        await hub.get(("b", "system"), f"/documents/{issued['id']}/statuses")
    )
    (mine,) = history["deliveries"]
    assert [s["code"] for s in mine["statuses"]] == ["01"]


async def test_issuing_twice_says_it_is_issued(hub: Hub, pdfs: Path) -> None:
    issued = await _issued(hub, (pdfs / "EmptyPage.pdf").read_bytes())
    numbers = await hub.count("number_register")

    again = await hub.post(("a", "clerk"), f"/documents/{issued['id']}/issue")
    body = await problem(again, 409, "document-state-conflict")
    assert "already issued" in body["detail"], body
    assert issued["notation"] in body["detail"]
    assert "sign it first" not in body["detail"]
    assert await hub.count("number_register") == numbers


async def test_recipient_answers_for_itself_only(hub: Hub, pdfs: Path) -> None:
    doc_id = (await _issued(hub, (pdfs / "EmptyPage.pdf").read_bytes()))["id"]
    path = f"/documents/{doc_id}/statuses"
    for who in (("b", "system"), ("c", "system")):
        await _download(hub, who, doc_id, recorded=True)
    await _ok(
        await hub.post(
            ("a", "clerk"), path, json={"code": "13", "description": "Sai số liệu"}
        ),
        201,
    )
    before = await hub.count("delivery_statuses")

    for other in (C, "000.00.00.Z99"):
        naming = await hub.post(
            ("b", "clerk"), path, json={"code": "16", "recipient": other}
        )
        await problem(naming, 403, "action-not-allowed")
    assert await hub.count("delivery_statuses") == before

    # Naming itself is what leaving the field out means.
    own = await _ok(
        await hub.post(("b", "clerk"), path, json={"code": "16", "recipient": B}), 201
    )
    (mine,) = own["deliveries"]
    assert [s["code"] for s in mine["statuses"]] == ["01", "13", "16"]
    history = await _ok(await hub.get(("a", "clerk"), path))
    changes = {d["delivery"]["recipient"]: d["delivery"]["change"]
               for d in history["deliveries"]}  # fmt: skip
    assert changes == {B: "16", C: "13"}


async def test_idempotency_key_sees_json_not_its_layout(hub: Hub, pdfs: Path) -> None:
    doc_id = (await _issued(hub, (pdfs / "EmptyPage.pdf").read_bytes()))["id"]
    await _download(hub, ("b", "system"), doc_id, recorded=True)
    path = f"/documents/{doc_id}/statuses"
    headers = {"Content-Type": "application/json", "Idempotency-Key": "accept-1"}

    first = await hub.post(
        ("b", "clerk"), path, data=b'{"code": "03" }', headers=headers
    )
    assert first.status == 201, await first.text()
    again = await hub.post(("b", "clerk"), path, data=b'{"code":"03"}', headers=headers)
    assert again.status == 201, await again.text()
    assert again.headers.get("Idempotent-Replayed") == "true"
    other = await hub.post(("b", "clerk"), path, data=b'{"code":"04"}', headers=headers)
    await problem(other, 409, "idempotency-key-conflict")

    # The header part of an upload likewise.
    pdf = (pdfs / "EmptyPage.pdf").read_bytes()
    head = header()
    spaced = json.dumps(dict(reversed(list(head.items()))), indent=2)
    before = await hub.count("documents")
    one = await hub.upload(("a", "clerk"), pdf, json.dumps(head), key="layout-1")
    two = await hub.upload(("a", "clerk"), pdf, spaced, key="layout-1")
    assert (one.status, two.status) == (201, 201), await two.text()
    assert two.headers.get("Idempotent-Replayed") == "true"
    assert await hub.count("documents") == before + 1
