"""Certifying copies end to end against a running hub and the test PKI.

The certifier of agency A certifies real scans; the copies are read back
with pypdf (the statement, letter for letter), rendered with pypdfium2 and
their QR code decoded with zxing-cpp; numbers are taken concurrently.
"""

from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path
from typing import Any

import pypdfium2
import pytest
import zxingcpp
from aiohttp import FormData
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from PIL import Image
from pypdf import PdfReader

from edocx.cli import main
from edocx.copies import cose, qr
from edocx.copies.evidence import examine
from edocx.pki.devpki import PKILayout
from edocx.signing.augment import AugmentSetup, augment_pdf
from edocx.signing.levels import Level
from tests.signing.conftest import JobFactory
from tests.web.hubkit import Hub

pytestmark = pytest.mark.asyncio(loop_scope="module")

CERTIFIER = ("a", "certifier")
INTAKE = {
    "requester": "Nguyễn Thị Ánh Tuyết",
    "document_name": "Giấy khai sinh của Nguyễn Thị Ánh Tuyết",
    "fee": 2000,
}


async def _certify(
    hub: Hub, scan: bytes | list[bytes], **intake: Any
) -> tuple[int, dict[str, Any]]:
    form = FormData()
    form.add_field(
        "intake", json.dumps({**INTAKE, **intake}), content_type="application/json"
    )
    files = scan if isinstance(scan, list) else [scan]
    for n, data in enumerate(files, 1):
        name = "file" if n == 1 else f"page{n}"
        kind = "application/pdf" if data.startswith(b"%PDF") else "image/png"
        form.add_field(
            name, io.BytesIO(data), filename=f"{name}.bin", content_type=kind
        )
    response = await hub.post(CERTIFIER, "/copies", data=form)
    return response.status, await response.json()


async def _pdf(hub: Hub, code: str) -> bytes:
    response = await hub.get(CERTIFIER, f"/copies/{code}/pdf")
    assert response.status == 200
    return await response.read()


async def _check(hub: Hub, code: str, pdf: bytes) -> dict[str, Any]:
    response = await hub.client.post(
        f"/api/v1/copies/{code}/check", data=pdf,
        headers={"Content-Type": "application/pdf"},
    )  # fmt: skip
    assert response.status == 200, await response.text()
    return dict(await response.json())


def _seal_certificate(hub: Hub) -> x509.Certificate:
    layout = PKILayout(hub.settings.pki.dir)
    pem = layout.p12_path("seal-a").parent.parent / "certs" / "seal-a.crt.pem"
    return x509.load_pem_x509_certificate(pem.read_bytes())


@pytest.fixture(scope="module")
def scan(pdfs: Path) -> bytes:
    return (pdfs / "empty-two-pages.pdf").read_bytes()


async def test_certified_copy_reads_back_and_checks(hub: Hub, scan: bytes) -> None:
    status, body = await _certify(hub, scan, page_count=2)
    assert status == 201, body
    entry = body["intake"]
    assert entry["state"] == "certified"
    assert entry["number_text"] == f"{entry['number']}/ĐT"
    assert entry["book"].startswith("Quyển số 01/")
    assert body["level"] in ("B-LT", "B-LTA")
    pdf = await _pdf(hub, entry["code"])

    # The statement reads back letter for letter from the last page.
    text = PdfReader(io.BytesIO(pdf)).pages[-1].extract_text()
    for line in (
        "CHỨNG THỰC BẢN SAO ĐÚNG VỚI BẢN CHÍNH",
        f"Số chứng thực: {entry['number_text']}",
        "Cơ quan chứng thực: Ủy ban nhân dân tỉnh Nghệ An",
        "Công chức tư pháp: Hoàng Thị Lụa",
    ):
        assert line in text, (line, text)

    # The QR code, decoded from the rendered page, is the one announced,
    # and its payload verifies with the body's seal certificate.
    decoded = _decode_qr(pdf)
    assert decoded == body["qr_text"]
    content = qr.parse_qr_text(decoded)
    assert content.code == entry["code"]
    assert content.address.endswith("/c/" + entry["code"])
    claim = qr.CopyClaim.of(
        cose.verify_payload(content.message, _seal_certificate(hub))
    )
    assert claim.number == entry["number"] and claim.book == entry["book"]
    assert claim.document_name == INTAKE["document_name"]
    facts = examine(pdf, (_seal_certificate(hub).public_bytes(Encoding.DER),))
    assert facts.scan_matches and facts.claim == claim

    # Checked online: the copy, unmodified, every signature passing.
    checked = await _check(hub, entry["code"], pdf)
    assert checked["status"] == "certified"
    assert checked["file"]["unmodified"] is True, checked["file"]["problems"]
    assert len(checked["file"]["report"]["signatures"]) >= 2
    public = await hub.client.get(f"/api/v1/copies/{entry['code']}")
    assert (await public.json())["entry"]["document_name"] == INTAKE["document_name"]


def _decode_qr(pdf: bytes) -> str:
    document = pypdfium2.PdfDocument(pdf)
    try:
        page = document[len(document) - 1]
        image = page.render(scale=300 / 72).to_pil()
    finally:
        document.close()
    found = [r.text for r in zxingcpp.read_barcodes(image) if r.format.name == "QRCode"]
    assert len(found) == 1, found
    return found[0]


async def test_edited_copy_fails_the_check(hub: Hub, scan: bytes) -> None:
    status, body = await _certify(hub, scan)
    assert status == 201, body
    code = body["intake"]["code"]
    pdf = await _pdf(hub, code)

    # A byte of the scan's content changed after signing.
    at = pdf.index(b"/MediaBox")
    edited = pdf[:at] + pdf[at:].replace(b"0 0 ", b"0 1 ", 1)
    assert edited != pdf
    checked = await _check(hub, code, edited)
    assert checked["file"]["unmodified"] is False
    assert checked["file"]["signatures_pass"] is False

    # An incremental update appended after the seal is refused too.
    appended = pdf + b"\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n"
    checked = await _check(hub, code, appended)
    assert checked["file"]["unmodified"] is False


async def test_revoked_copy_reads_as_revoked(hub: Hub, scan: bytes) -> None:
    status, body = await _certify(hub, scan)
    assert status == 201, body
    code = body["intake"]["code"]
    response = await hub.post(
        CERTIFIER, f"/copies/{code}/revoke", json={"reason": "Cấp nhầm người"}
    )
    assert response.status == 200, await response.text()

    public = await (await hub.client.get(f"/api/v1/copies/{code}")).json()
    assert public["status"] == "revoked"
    assert public["revocation_reason"] == "Cấp nhầm người"
    assert public["revoked_at"].endswith("+07:00")
    checked = await _check(hub, code, await _pdf(hub, code))
    assert checked["status"] == "revoked" and checked["file"]["unmodified"] is True


async def test_refusal_takes_no_number(hub: Hub, scan: bytes) -> None:
    status, first = await _certify(hub, scan)
    assert status == 201, first
    response = await hub.post(
        CERTIFIER, "/copies/refusals",
        json={**INTAKE, "reason": "secret", "note": "Có dấu MẬT"},
    )  # fmt: skip
    assert response.status == 201, await response.text()
    refused = await response.json()
    assert refused["state"] == "refused" and refused["number"] is None
    assert refused["refusal_reason_vi"].startswith("Bản chính đóng dấu mật")
    unknown = await hub.client.get(f"/api/v1/copies/{refused['code']}")
    assert unknown.status == 404
    odd = await hub.post(CERTIFIER, "/copies/refusals", json={**INTAKE, "reason": "x"})
    assert odd.status == 422
    assert (await odd.json())["type"].endswith("/copy-refusal-reason-unknown")

    status, second = await _certify(hub, scan)
    assert status == 201, second
    assert second["intake"]["number"] == first["intake"]["number"] + 1


async def test_concurrent_certifications_take_consecutive_numbers(
    hub: Hub, scan: bytes
) -> None:
    before = await hub.count("copy_intakes WHERE number IS NOT NULL")
    results = await asyncio.gather(*(_certify(hub, scan) for _ in range(4)))
    assert all(status == 201 for status, _ in results), results
    numbers = sorted(body["intake"]["number"] for _, body in results)
    assert numbers == list(range(before + 1, before + 5))


async def test_image_pages_become_one_pdf(hub: Hub) -> None:
    pages = [_png(shade) for shade in (230, 200)]
    status, body = await _certify(hub, pages, page_count=2)
    assert status == 201, body
    assert body["intake"]["page_count"] == 2
    pdf = await _pdf(hub, body["intake"]["code"])
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 2

    status, refused = await _certify(hub, pages, page_count=3)
    assert status == 422 and refused["type"].endswith("/copy-page-count-mismatch")


def _png(shade: int) -> bytes:
    out = io.BytesIO()
    Image.new("L", (1240, 1754), shade).save(out, format="PNG", dpi=(150, 150))
    return out.getvalue()


async def test_offline_check_says_as_issued_and_points_online(
    hub: Hub, scan: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    status, body = await _certify(hub, scan)
    assert status == 201, body
    code = body["intake"]["code"]
    copy = tmp_path / "copy.pdf"
    copy.write_bytes(await _pdf(hub, code))
    cert = tmp_path / "seal.pem"
    cert.write_bytes(_seal_certificate(hub).public_bytes(Encoding.PEM))
    monkeypatch.setenv("EDOCX_STORAGE__VAR_DIR", str(hub.settings.storage.var_dir))
    monkeypatch.setenv("EDOCX_PKI__DIR", str(hub.settings.pki.dir))
    monkeypatch.delenv("EDOCX_CONFIG", raising=False)

    assert main(["copy", "check", str(copy), "--certificate", str(cert)]) == 0
    out = capsys.readouterr().out
    assert "AS ISSUED" in out and f"/c/{code}" in out and "online" in out
    assert main(["copy", "check", str(copy)]) == 0
    assert "certificate inside the file" in capsys.readouterr().out

    # Another body's certificate does not vouch for it.
    other = tmp_path / "other.pem"
    layout = PKILayout(hub.settings.pki.dir)
    seal_b = layout.p12_path("seal-b").parent.parent / "certs" / "seal-b.crt.pem"
    other.write_bytes(seal_b.read_bytes())
    assert main(["copy", "check", str(copy), "--certificate", str(other)]) == 1
    assert "NOT AS ISSUED" in capsys.readouterr().out


async def test_another_copys_file_is_not_this_copy(hub: Hub, scan: bytes) -> None:
    results = [await _certify(hub, scan) for _ in range(2)]
    assert all(status == 201 for status, _ in results), results
    first, second = (body["intake"]["code"] for _, body in results)

    checked = await _check(hub, first, await _pdf(hub, second))
    assert checked["file"]["unmodified"] is False
    assert checked["file"]["signatures_pass"] is True
    assert checked["file"]["payload_valid"] is False

    # The public entry keeps the requester and the fee to the body.
    public = await (await hub.client.get(f"/api/v1/copies/{first}")).json()
    assert "requester" not in public["entry"] and "fee" not in public["entry"]


async def test_copy_raised_to_lta_by_its_holder_is_still_the_copy(
    hub: Hub, scan: bytes, jobs: JobFactory
) -> None:
    status, body = await _certify(hub, scan)
    assert status == 201, body
    code = body["intake"]["code"]
    pdf = await _pdf(hub, code)

    # The holder adds a document timestamp (B-LTA) in a later revision.
    setup = AugmentSetup(
        (jobs.pki.root_cert_path,), jobs.pki.chain_cert_paths, (jobs.tsa_url,)
    )
    raised = await asyncio.to_thread(augment_pdf, pdf, Level.B_LTA, setup)
    checked = await _check(hub, code, raised.pdf)
    assert checked["file"]["same_file"] is False
    assert checked["file"]["extends_issued"] is True
    assert checked["file"]["unmodified"] is True, checked["file"]["problems"]


async def test_blank_page_without_contents_is_certified(hub: Hub, pdfs: Path) -> None:
    # The last (only) page of this file has no /Contents at all.
    blank = (pdfs / "EmptyPage.pdf").read_bytes()
    status, body = await _certify(hub, blank, page_count=1)
    assert status == 201, body
    code = body["intake"]["code"]
    pdf = await _pdf(hub, code)
    text = PdfReader(io.BytesIO(pdf)).pages[-1].extract_text()
    assert f"Số chứng thực: {body['intake']['number_text']}" in text
    assert _decode_qr(pdf) == body["qr_text"]
    checked = await _check(hub, code, pdf)
    assert checked["file"]["unmodified"] is True, checked["file"]["problems"]
