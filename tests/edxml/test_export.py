"""Packets the hub emits: read back by our own reader, signed, tamper-evident."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path
from typing import Any

import pytest

from edocx.edxml import export
from edocx.edxml.model import SignatureState
from edocx.edxml.rules import check_packet
from edocx.edxml.xmldsig import verify_packet
from edocx.exchange.errors import RecipientUnknownError
from edocx.web.keys import HUB
from tests.edxml.hubs import packet_hub
from tests.web.hubkit import A, B, C, Hub, header, problem

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def _ok(response: Any, status: int = 200) -> Any:
    assert response.status == status, await response.text()
    return await response.json()


async def issued_document(hub: Hub, pdf: bytes) -> dict[str, Any]:
    """Draft, sign and issue a document of agency A to B and C."""
    draft = await _ok(await hub.upload(("a", "signer"), pdf, header()), 201)
    doc_id = draft["document"]["id"]
    await _ok(await hub.post(("a", "signer"), f"/documents/{doc_id}/sign"))
    issued: dict[str, Any] = await _ok(
        await hub.post(("a", "clerk"), f"/documents/{doc_id}/issue")
    )
    return issued


@pytest.fixture(scope="module")
def sample_pdf(pdfs: Path) -> bytes:
    return (pdfs / "sample.pdf").read_bytes()


async def test_issued_document_packet_reads_back_clean(
    hub: Hub, sample_pdf: bytes
) -> None:
    issued = await issued_document(hub, sample_pdf)
    core = hub.client.server.app[HUB]

    packet = await export.document_packet(core, issued["id"], recipient=B)
    report = check_packet(packet)

    assert report.errors == () and report.warnings == (), report
    facts = report.facts
    assert facts is not None
    assert facts.signature is SignatureState.VALID
    assert facts.signature_detail and "edXML packet signature" in facts.signature_detail
    assert facts.document_id == issued["edxml_document_id"]
    assert facts.sender is not None and facts.sender.organ_id == A
    assert [o.organ_id for o in facts.recipients] == [B, C]
    assert facts.business_type == 0
    number, notation = issued["notation"].split("/", 1)
    assert (facts.code_number, facts.code_notation) == (number, notation)
    [attachment] = facts.attachments
    assert attachment.size is not None

    # The attachment is the issued PDF, byte for byte.
    encoded = re.search(
        rb"<ContentTransferEncoded>([^<]+)</ContentTransferEncoded>", packet
    )
    assert encoded is not None
    pdf = base64.b64decode(encoded.group(1))
    assert hashlib.sha256(pdf).hexdigest() == issued["sha256"]


async def test_packet_form_follows_the_samples(hub: Hub, sample_pdf: bytes) -> None:
    issued = await issued_document(hub, sample_pdf)
    core = hub.client.server.app[HUB]

    text = (await export.document_packet(core, issued["id"], recipient=None)).decode()

    assert '<edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016">' in text
    assert "<edXML:edXMLEnvelope" in text and "<edXML:MessageHeader>" in text
    assert "<edXML:Bussiness>" in text and "<edXML:BussinessDocType>0<" in text
    assert re.search(r"<edXML:PromulgationDate>\d{4}/\d{2}/\d{2}<", text)
    assert re.search(r"<edXML:Timestamp>\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}<", text)
    # The attachments follow the envelope, unprefixed.
    assert text.index("</edXML:edXMLEnvelope>") < text.index("<AttachmentEncoded>")
    assert '<Signature xmlns="http://www.w3.org/2000/09/xmldsig#">' in text


async def test_flipped_byte_breaks_the_signature(hub: Hub, sample_pdf: bytes) -> None:
    issued = await issued_document(hub, sample_pdf)
    core = hub.client.server.app[HUB]
    packet = await export.document_packet(core, issued["id"], recipient=None)
    assert verify_packet(packet).valid

    # One base64 character of the attachment, and one letter of the subject.
    start = packet.index(b"<ContentTransferEncoded>") + 200
    flipped = packet[:start] + bytes([packet[start] ^ 0x01]) + packet[start + 1 :]
    subject = packet.replace(b"quy ch\xe1\xba\xbf", b"quy chE", 1)
    assert subject != packet

    for tampered in (flipped, subject):
        check = verify_packet(tampered)
        assert not check.valid
        report = check_packet(tampered)
        assert [w.code for w in report.warnings] == ["packet-signature-invalid"]
        assert report.facts is not None
        assert report.facts.signature is SignatureState.INVALID


async def test_unknown_recipient_is_refused(hub: Hub, sample_pdf: bytes) -> None:
    issued = await issued_document(hub, sample_pdf)
    core = hub.client.server.app[HUB]

    with pytest.raises(RecipientUnknownError):
        await export.document_packet(core, issued["id"], recipient="000.00.00.G17")


async def test_exported_packet_over_http_for_each_party(
    hub: Hub, sample_pdf: bytes
) -> None:
    issued = await issued_document(hub, sample_pdf)
    path = f"/documents/{issued['id']}/edxml"

    for who in (("b", "system"), ("a", "clerk"), ("hub", "auditor")):
        response = await hub.get(who, path)
        assert response.status == 200, await response.text()
        assert response.content_type == "application/xml"
        report = check_packet(await response.read())
        assert report.warnings == () and report.errors == ()

    other = await hub.client.get(
        "/api/v1" + path, headers={"Authorization": "Bearer nobody"}
    )
    assert other.status == 401


async def test_round_trip_into_another_hub(
    hub: Hub, sample_pdf: bytes, test_settings: Any, tmp_path: Path
) -> None:
    issued = await issued_document(hub, sample_pdf)
    packet = await (
        await hub.get(("b", "system"), f"/documents/{issued['id']}/edxml")
    ).read()

    async with packet_hub(test_settings, tmp_path / "other") as other:
        response = await other.send(A, packet)
        body = await response.json()
        assert response.status == 201, body
        assert body["warnings"] == []
        document = body["document"]
        assert document["edxml_document_id"] == issued["edxml_document_id"]
        assert document["sha256"] == issued["sha256"]
        [report] = await other.rows("SELECT context, verdict FROM validation_reports")
        assert tuple(report) == ("relay", "PASSED")

        # The relayed document goes out again with the sender's DocumentId.
        again = await (
            await other.hub.get(("c", "system"), f"/documents/{document['id']}/edxml")
        ).read()
        report_again = check_packet(again)
        assert report_again.warnings == ()
        assert report_again.facts is not None
        assert report_again.facts.document_id == issued["edxml_document_id"]


async def test_pdf_changed_after_signing_is_refused(
    hub: Hub, sample_pdf: bytes, test_settings: Any, tmp_path: Path
) -> None:
    issued = await issued_document(hub, sample_pdf)
    core = hub.client.server.app[HUB]
    packet = await export.document_packet(core, issued["id"], recipient=None)
    encoded = re.search(rb"<ContentTransferEncoded>([^<]+)<", packet)
    assert encoded is not None
    pdf = bytearray(base64.b64decode(encoded.group(1)))
    # A byte of the page content, inside the signed byte range.
    at = pdf.index(b"stream") + 20
    pdf[at] ^= 0x01
    tampered = packet.replace(encoded.group(1), base64.b64encode(bytes(pdf)))

    async with packet_hub(test_settings, tmp_path / "other") as other:
        before = await other.counts()
        response = await other.send(A, tampered)
        await problem(response, 422, "signature-invalid")
        assert await other.counts() == before


async def test_status_packet_reads_back_clean(hub: Hub, sample_pdf: bytes) -> None:
    issued = await issued_document(hub, sample_pdf)
    core = hub.client.server.app[HUB]
    pdf = await hub.get(("b", "system"), f"/documents/{issued['id']}/pdf")
    assert pdf.headers["X-Edocx-Arrival-Recorded"] == "true"
    async with core.db.read() as reader:
        status_id = await reader.fetch_value(
            "SELECT s.id FROM delivery_statuses s JOIN deliveries v"
            " ON v.id = s.delivery_id JOIN documents d ON d.id = v.document_id"
            " WHERE d.uuid = ? AND s.code = '01'",
            (issued["id"],),
        )

    packet = await export.status_packet(core, int(status_id))
    report = check_packet(packet)

    assert (report.errors, report.warnings) == ((), ())
    facts = report.facts
    assert facts is not None and facts.signature is SignatureState.VALID
    assert facts.status_code == "01"
    assert facts.sender is not None and facts.sender.organ_id == B
    [answered] = facts.response_for
    assert (answered.organ_id, answered.document_id) == (A, issued["edxml_document_id"])
    assert answered.code == issued["notation"]
    assert re.search(rb"<edXML:Timestamp>\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}<", packet)


async def test_no_packet_key_is_a_clear_503(hub: Hub, sample_pdf: bytes) -> None:
    from edocx.edxml import hubkey
    from edocx.pki.devpki import PKILayout

    issued = await issued_document(hub, sample_pdf)
    key_file = PKILayout(hub.settings.pki.dir).key_path(hubkey.LABEL)
    hidden = key_file.with_suffix(".hidden")
    key_file.rename(hidden)
    hubkey._cache.clear()
    try:
        response = await hub.get(("b", "system"), f"/documents/{issued['id']}/edxml")
        body = await problem(response, 503, "packet-key-unavailable")
    finally:
        hidden.rename(key_file)
        hubkey._cache.clear()

    assert "edxml-hub.p12" in body["hint"]
    again = await hub.get(("b", "system"), f"/documents/{issued['id']}/edxml")
    assert again.status == 200
