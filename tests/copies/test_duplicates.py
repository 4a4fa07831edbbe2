"""E-duplicates from master registers, through the hub's API.

A clerk of agency A issues the duplicate of a birth registration; the test
reads the Vietnamese text back from the PDF, checks its seal with the hub's
verifier, decodes the QR code from a rendered page with a real decoder and
verifies its payload with the body's certificate; then it edits the file,
revokes the duplicate, and sends records that must be refused.
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import io
import json
import unicodedata
from typing import Any

import pypdf
import pypdfium2
import pytest
import zxingcpp
from cryptography import x509

from edocx.config import Settings
from edocx.copies import cose, qr
from edocx.copies.duplicatepdf import MARK, field_text, load_template
from edocx.copies.duplicaterecord import BirthRecord, record_json
from edocx.pki.devpki import PKILayout, tsa_url
from tests.verification import attacks
from tests.verification.pdfs import add_document_timestamp
from tests.web.hubkit import PROBLEM, A, B, C, Hub, problem

pytestmark = pytest.mark.asyncio(loop_scope="module")

CLERK_A = ("a", "clerk")
CLERK_B = ("b", "clerk")
CLERK_C = ("c", "clerk")

RECORD: dict[str, Any] = {
    "kind": "birth",
    "registration": {
        "body": "Ủy ban nhân dân phường Bến Thủy",
        "book": "01/2024",
        "entry": "125",
        "registered_on": "2024-03-15",
    },
    "child": {
        "full_name": "Nguyễn Thị Ánh Tuyết",
        "date_of_birth": "2024-03-01",
        "sex": "Nữ",
        "ethnicity": "Kinh",
        "nationality": "Việt Nam",
        "place_of_birth": "Bệnh viện Sản Nhi Nghệ An, tỉnh Nghệ An",
        "hometown": "xã Nghi Lộc, tỉnh Nghệ An",
        "personal_id": "040324001234",
    },
    "mother": {
        "full_name": "Trần Thị Huyền",
        "year_of_birth": 1995,
        "ethnicity": "Kinh",
        "nationality": "Việt Nam",
        "residence": "số 12 đường Lê Lợi, phường Bến Thủy, tỉnh Nghệ An",
    },
    "father": {
        "full_name": "Nguyễn Đức Mạnh",
        "year_of_birth": 1993,
        "ethnicity": "Thái",
        "nationality": "Việt Nam",
        "residence": "số 12 đường Lê Lợi, phường Bến Thủy, tỉnh Nghệ An",
    },
    "declarant": {"full_name": "Nguyễn Đức Mạnh", "relationship": "Cha"},
}
REQUEST = {"requester": "Trần Thị Huyền", "record": RECORD}


async def issue(hub: Hub, body: Any, who: tuple[str, str] = CLERK_A) -> Any:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode("utf-8")
    return await hub.post(
        who, "/duplicates", data=raw, headers={"Content-Type": "application/json"}
    )


async def issued(hub: Hub) -> tuple[dict[str, Any], bytes]:
    response = await issue(hub, REQUEST)
    assert response.status == 201, await response.text()
    out: dict[str, Any] = (await response.json())["duplicate"]
    got = await hub.get(CLERK_A, f"/duplicates/{out['code']}/pdf")
    assert got.status == 200
    return out, await got.read()


async def check(hub: Hub, code: str, pdf: bytes) -> Any:
    return await hub.client.post(
        f"/api/v1/duplicates/{code}/check",
        data=pdf,
        headers={"Content-Type": "application/pdf"},
    )


def page_text(pdf: bytes) -> str:
    """The text of every page, NFC, its line breaks and runs of spaces as one."""
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    text = " ".join(page.extract_text() for page in reader.pages)
    return " ".join(unicodedata.normalize("NFC", text).split())


def qr_texts(pdf: bytes) -> list[str]:
    """Render every page and return what a real decoder reads in it."""
    found: list[str] = []
    document = pypdfium2.PdfDocument(pdf)
    for page in document:
        image = page.render(scale=3).to_pil()
        found += [hit.text for hit in zxingcpp.read_barcodes(image)]
    return found


async def test_the_duplicate_reads_back_letter_for_letter(hub: Hub) -> None:
    out, pdf = await issued(hub)
    text = page_text(pdf)

    record = BirthRecord.model_validate(RECORD).model_dump(mode="json")
    for _, path, form in load_template("birth").rows:
        value = field_text(record, path, form)
        assert value and " ".join(value.split()) in text, path
    assert MARK in text
    assert "Ngày một, tháng ba, năm hai nghìn không trăm hai mươi tư" in text
    assert "cấp cho Trần Thị Huyền" in text
    assert "như Sổ đăng ký khai sinh, quyển số 01/2024, số 125." in text
    assert "GIẤY KHAI SINH" in text
    assert f"Số: {out['number']}" in text
    assert out["check_url"] in text
    assert "Ủy ban nhân dân tỉnh Nghệ An".upper() in text


async def test_the_seal_is_valid_and_long_term(hub: Hub) -> None:
    out, pdf = await issued(hub)
    assert out["level"] in ("B-LT", "B-LTA")
    assert hashlib.sha256(pdf).hexdigest() == out["pdf_sha256"]

    response = await check(hub, out["code"], pdf)
    answer = await response.json()
    assert response.status == 200, answer
    assert answer["matches"] is True and answer["revoked"] is False
    report = answer["report"]
    assert report["verdict"] == "PASSED"
    [seal] = report["signatures"]
    assert seal["indication"] == "TOTAL-PASSED"
    assert seal["signer"]["organization"] or seal["signer"]["common_name"]


async def test_the_qr_code_decodes_to_a_payload_the_body_signed(
    hub: Hub, dev_pki: PKILayout
) -> None:
    out, pdf = await issued(hub)
    [text] = qr_texts(pdf)
    content = qr.parse_qr_text(text)
    assert content.address == out["check_url"]
    assert content.code == out["code"]

    pem = dev_pki.cert_path("seal-a").read_bytes()
    payload = cose.verify_payload(content.message, x509.load_pem_x509_certificate(pem))
    record = BirthRecord.model_validate(RECORD)
    assert payload["k"] == "d"
    assert payload["c"] == out["code"]
    assert payload["r"] == hashlib.sha256(record_json(record).encode()).digest()
    assert payload["r"].hex() == out["record_sha256"]
    assert f"{payload['n']}/ĐT" == out["number"]
    assert (payload["b"], payload["a"]) == (out["book"], A)
    assert payload["t"] == "Giấy khai sinh"
    assert payload["d"] == out["issued_at"][:10]


async def test_another_bodys_key_does_not_verify_the_payload(
    hub: Hub, dev_pki: PKILayout
) -> None:
    _, pdf = await issued(hub)
    content = qr.parse_qr_text(qr_texts(pdf)[0])
    other = x509.load_pem_x509_certificate(dev_pki.cert_path("seal-b").read_bytes())
    with pytest.raises(cose.CopyPayloadError):
        cose.verify_payload(content.message, other)


async def test_numbers_follow_each_other_in_the_book(hub: Hub) -> None:
    first, _ = await issued(hub)
    second, _ = await issued(hub)
    number = int(first["number"].split("/")[0])
    assert second["number"] == f"{number + 1}/ĐT"
    assert first["book"] == second["book"]
    assert first["code"] != second["code"]

    other = await issue(hub, REQUEST, who=CLERK_B)
    assert other.status == 201
    assert (await other.json())["duplicate"]["body"]["code"] == B


async def test_concurrent_issues_share_no_number_and_skip_none(hub: Hub) -> None:
    responses = await asyncio.gather(*(issue(hub, REQUEST) for _ in range(3)))
    assert [r.status for r in responses] == [201, 201, 201]
    answers = [await r.json() for r in responses]
    numbers = sorted(int(a["duplicate"]["number"].split("/")[0]) for a in answers)
    assert numbers == list(range(numbers[0], numbers[0] + 3))


async def _with_seal_key(hub: Hub, label: str) -> Any:
    """Issue as agency C's clerk with ``label`` as C's seal key, then restore."""
    sql = "UPDATE agencies SET seal_credential = ? WHERE organ_id = ?"
    await hub.execute(sql, (label, C))
    try:
        return await issue(hub, REQUEST, who=CLERK_C)
    finally:
        await hub.execute(sql, ("seal-c", C))


async def test_a_body_without_a_seal_key_takes_no_number(hub: Hub) -> None:
    before = await hub.count("duplicates")
    refused = await _with_seal_key(hub, "no-such-key")
    await problem(refused, 409, "credential-unavailable")
    assert await hub.count("duplicates") == before


async def test_a_refused_seal_voids_its_number_and_the_next_takes_another(
    hub: Hub,
) -> None:
    # A revoked key is refused in the worker, after the number was taken.
    refused = await _with_seal_key(hub, "person-a-revoked")
    await problem(refused, 409, "signer-certificate-revoked")
    blobs = hub.blob_count()

    ok = await issue(hub, REQUEST, who=CLERK_C)
    assert ok.status == 201, await ok.text()
    assert (await ok.json())["duplicate"]["number"] == "2/ĐT"
    assert hub.blob_count() == blobs + 1
    voided = (
        "duplicates WHERE state = 'voided' AND number = 1"
        " AND reason LIKE 'signer-certificate-revoked:%'"
    )
    assert await hub.count(voided) == 1


EDITS = {
    "page content replaced": attacks.replace_page_content,
    "annotation added": attacks.add_annotation,
    "page added": attacks.add_page,
    "bytes after the end": attacks.append_after_eof,
}


@pytest.mark.parametrize("edit", sorted(EDITS))
async def test_an_edited_duplicate_fails_the_check(hub: Hub, edit: str) -> None:
    out, pdf = await issued(hub)
    response = await check(hub, out["code"], EDITS[edit](pdf))
    answer = await response.json()
    assert response.status == 200, answer
    assert answer["matches"] is False
    assert "không phải" in answer["summary_vi"]


async def test_a_holders_document_timestamp_still_matches(
    hub: Hub, dev_pki: PKILayout, test_settings: Settings
) -> None:
    out, pdf = await issued(hub)
    extended = await asyncio.to_thread(
        add_document_timestamp, pdf, dev_pki, tsa_url(test_settings)
    )
    assert len(extended) > len(pdf) and extended.startswith(pdf)

    answer = await (await check(hub, out["code"], extended)).json()
    assert answer["report"]["verdict"] == "PASSED", answer["report"]
    assert answer["matches"] is True


async def test_another_duplicates_file_does_not_match(hub: Hub) -> None:
    _, pdf = await issued(hub)
    second, _ = await issued(hub)
    answer = await (await check(hub, second["code"], pdf)).json()
    assert answer["matches"] is False
    assert answer["report"]["verdict"] == "PASSED"


async def test_a_revoked_duplicate_reads_as_revoked(hub: Hub) -> None:
    out, pdf = await issued(hub)
    path = f"/duplicates/{out['code']}/revoke"
    refused = await hub.post(CLERK_B, path, json={"reason": "nhầm"})
    await problem(refused, 403, "action-not-allowed")

    response = await hub.post(CLERK_A, path, json={"reason": "Cấp nhầm người"})
    assert response.status == 200, await response.text()

    shown = await (await hub.client.get(f"/api/v1/duplicates/{out['code']}")).json()
    assert shown["status"] == "revoked"
    assert shown["revocation_reason"] == "Cấp nhầm người"
    assert shown["revoked_at"].endswith("+07:00")
    answer = await (await check(hub, out["code"], pdf)).json()
    assert (answer["matches"], answer["revoked"]) == (True, True)
    assert "thu hồi" in answer["summary_vi"]

    again = await hub.post(CLERK_A, path, json={"reason": "lần nữa"})
    await problem(again, 409, "duplicate-already-revoked")


async def test_the_public_entry_names_no_personal_data(hub: Hub) -> None:
    out, _ = await issued(hub)
    response = await hub.client.get(f"/api/v1/duplicates/{out['code']}")
    assert response.status == 200
    raw = await response.text()
    assert "Nguyễn Thị Ánh Tuyết" not in raw
    assert "040324001234" not in raw
    assert json.loads(raw)["status"] == "valid"


async def test_an_unknown_code_is_not_found(hub: Hub) -> None:
    response = await hub.client.get("/api/v1/duplicates/aaaaaaaaaaaaaaaa")
    await problem(response, 404, "duplicate-not-found")


async def test_only_the_issuing_body_downloads(hub: Hub) -> None:
    out, _ = await issued(hub)
    response = await hub.get(CLERK_B, f"/duplicates/{out['code']}/pdf")
    await problem(response, 403, "action-not-allowed")


def _without(path: str) -> dict[str, Any]:
    body = copy.deepcopy(REQUEST)
    *parents, last = path.split(".")
    target = body
    for name in parents:
        target = target[name]
    del target[last]
    return body


def _with(path: str, value: Any) -> dict[str, Any]:
    body = copy.deepcopy(REQUEST)
    *parents, last = path.split(".")
    target = body
    for name in parents:
        target = target[name]
    target[last] = value
    return body


REFUSED = {
    "missing child name": (_without("record.child.full_name"), "full_name"),
    "missing registration": (_without("record.registration"), "registration"),
    "short personal id": (_with("record.child.personal_id", "0403"), "personal_id"),
    "unknown sex": (_with("record.child.sex", "X"), "sex"),
    "born tomorrow": (_with("record.child.date_of_birth", "2999-01-01"), "date"),
    "bidi override": (_with("record.child.full_name", "Ann\u202ea"), "full_name"),
    "empty requester": (_with("requester", "   "), "requester"),
    "emoji": (_with("record.child.full_name", "Bé Na \U0001f600"), "U+1F600"),
    "han characters": (_with("record.mother.residence", "河内"), "residence"),
    "field unknown": (_with("record.child.nickname", "Bé"), "nickname"),
    "no parent": (_with("record.father", None), "mother or the father"),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
async def test_a_bad_record_is_refused_and_nothing_is_stored(
    hub: Hub, case: str
) -> None:
    body, named = REFUSED[case]
    if case == "no parent":
        body = copy.deepcopy(body)
        body["record"]["mother"] = None
    before = (await hub.count("duplicates"), hub.blob_count())

    response = await issue(hub, body)
    answer = await problem(response, 422, "duplicate-record-invalid")
    assert any(named in error for error in answer["errors"]), answer
    assert (await hub.count("duplicates"), hub.blob_count()) == before


async def test_a_body_that_is_not_json_is_refused(hub: Hub) -> None:
    response = await issue(hub, b"\xff not json")
    await problem(response, 422, "duplicate-record-invalid")
    text = await hub.post(
        CLERK_A, "/duplicates", data=b"{}", headers={"Content-Type": "text/plain"}
    )
    await problem(text, 415, "media-type-unsupported")


async def test_signers_may_not_issue_duplicates(hub: Hub) -> None:
    response = await issue(hub, REQUEST, who=("a", "signer"))
    body = await response.json()
    assert (response.status, body["type"]) == (403, PROBLEM + "role-not-allowed")
