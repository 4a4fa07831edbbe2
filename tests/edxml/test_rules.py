"""Errors make a packet unusable; a clean packet made here has none."""

from __future__ import annotations

import pytest

from edocx.config import EdxmlSettings
from edocx.edxml.rules import check_packet
from tests.edxml.packets import PAYLOAD, document_packet


def codes(data: bytes) -> list[str]:
    return [f.code for f in check_packet(data).errors]


def test_a_clean_packet_has_no_finding() -> None:
    report = check_packet(document_packet())

    assert report.usable
    assert (report.errors, report.warnings) == ((), ())
    assert report.facts is not None
    assert report.facts.attachments[0].size == len(PAYLOAD)


@pytest.mark.parametrize(
    ("spoilt", "code"),
    [
        (document_packet(root='<edXML xmlns="urn:other">'), "wrong-namespace"),
        (document_packet(subject=""), "missing-field"),
        (document_packet(recipients=()), "missing-field"),
        (document_packet(recipients=("1.2.3.4", "1.2.3.4")), "duplicate-recipient"),
        (document_packet(priority="7"), "code-list"),
        (document_packet(business_type="9"), "code-list"),
        (document_packet(encoded="not base64 at all!"), "attachment-not-base64"),
        (document_packet(subject="x" * 501), "too-long"),
    ],
    ids=["namespace", "subject", "no-to", "dup-to", "priority", "business",
         "base64", "length"],
)  # fmt: skip
def test_each_spoilt_part_is_an_error(spoilt: bytes, code: str) -> None:
    report = check_packet(spoilt)

    assert not report.usable
    assert code in [f.code for f in report.errors]


def test_a_manifest_attachment_without_content_is_an_error() -> None:
    packet = document_packet().replace(
        b"<ContentId>cid:1</ContentId>", b"<ContentId>cid:2</ContentId>"
    )

    assert codes(packet) == ["attachment-missing"]


def test_a_subject_at_its_limit_is_fine() -> None:
    assert codes(document_packet(subject="x" * 500)) == []


def test_business_spelling_is_accepted() -> None:
    packet = document_packet(business_type="2").replace(b"Bussiness", b"Business")
    report = check_packet(packet)

    assert report.usable
    assert report.facts is not None and report.facts.business_type == 2


def test_an_empty_xmldsig_signature_is_reported_invalid() -> None:
    signature = (
        b'<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"/></edXML:edXMLHeader>'
    )
    packet = document_packet().replace(b"</edXML:edXMLHeader>", signature)
    report = check_packet(packet)

    assert report.usable
    assert [w.code for w in report.warnings] == ["packet-signature-invalid"]
    assert "SignedInfo" in report.warnings[0].message


def test_strict_agencies_from_either_setting() -> None:
    settings = EdxmlSettings.model_validate(
        {"strict_agencies": ["000.00.00.G22"],
         "agencies": {"000.00.00.H41": {"strict": True},
                      "000.00.00.H14": {"strict": False}}}
    )  # fmt: skip

    assert settings.strict_for("000.00.00.G22")
    assert settings.strict_for("000.00.00.H41")
    assert not settings.strict_for("000.00.00.H14")
    assert not settings.strict_for("000.00.00.G17")


def test_a_promulgation_date_after_today_is_an_error() -> None:
    from datetime import date

    packet = document_packet()

    assert check_packet(packet, today=date(2024, 3, 5)).errors == ()
    (late,) = check_packet(packet, today=date(2024, 3, 4)).errors
    assert late.code == "date-in-future" and "2024/03/04" in late.message


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (b"V/v th", "V/v \u202eth".encode()),
        (b"V/v th", "V/v\u200b th".encode()),
        (b"VPCP-TT\xc4\x90T</edXML:CodeNotation>",
         b"VPCP&#13;&#10;X: 1</edXML:CodeNotation>"),
    ],
    ids=["bidi-override", "zero-width", "line-break-in-notation"],
)  # fmt: skip
def test_invisible_characters_are_errors(old: bytes, new: bytes) -> None:
    packet = document_packet()
    assert old in packet

    assert "invisible-character" in codes(packet.replace(old, new, 1))


def test_free_text_may_span_lines() -> None:
    packet = document_packet(subject="V/v thử nghiệm&#10;lần hai")

    assert codes(packet) == []
