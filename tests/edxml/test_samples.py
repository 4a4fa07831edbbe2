"""Every sample packet gives exactly the facts, errors and warnings of its README."""

from __future__ import annotations

from pathlib import Path

import pytest

from edocx.edxml.model import PacketKind, PacketReport, SignatureState
from edocx.edxml.parse import PacketParseError
from edocx.edxml.rules import check_packet

ORIGINAL = "000.00.00.G22,2015/09/30,7816/VPCP-TTĐT"
SIG = "packet-signature-invalid"
MISMATCH = "document-id-mismatch"
IMPOSSIBLE = "impossible-date"

# file: (business type, warning codes in order)
DOCUMENTS = {
    "received_sample.edxml": (0, [MISMATCH, IMPOSSIBLE, SIG]),
    "edoc_new.edxml": (
        0,
        [MISMATCH, "code-number-not-numeric", "organ-id-groups", IMPOSSIBLE, SIG],
    ),
    "edoc_update.edxml": (2, [MISMATCH, IMPOSSIBLE, SIG]),
    "edoc_replacement.edxml": (3, [MISMATCH, SIG]),
    "edoc_revocation.edxml": (1, [MISMATCH, SIG]),
}
STATUSES = {
    "status_inbox_01.edxml": ("01", "000.00.00.H41"),
    "status_rejection_02.edxml": ("02", None),
    "status_acceptance_03.edxml": ("03", None),
    "status_assignment_04.edxml": ("04", None),
    "status_processing_05.edxml": ("05", None),
    "status_finish_06.edxml": ("06", None),
    "status_cancellation_13.edxml": ("13", "000.00.00.G22"),
    "status_change-acceptance_15.edxml": ("15", None),
    "status_change-rejection_16.edxml": ("16", None),
}
THREE_RECIPIENTS = ("000.00.00.H41", "000.00.00.H14", "000.00.00.G17")


def read(edxml_dir: Path, name: str) -> PacketReport:
    return check_packet((edxml_dir / name).read_bytes())


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_document_packets_are_usable_with_their_warnings(
    edxml_dir: Path, name: str
) -> None:
    business_type, warnings = DOCUMENTS[name]
    report = read(edxml_dir, name)

    assert report.usable, report.errors
    assert report.errors == ()
    assert [w.code for w in report.warnings] == warnings
    assert report.facts is not None
    assert report.facts.kind is PacketKind.DOCUMENT
    assert report.facts.business_type == business_type
    assert report.facts.signature is SignatureState.BROKEN
    assert report.facts.document_id == ORIGINAL
    [attachment] = report.facts.attachments
    assert attachment.content_id == "cid:209"
    assert attachment.name == "1896_QD-TTg_m_294779.doc"
    assert attachment.base64_valid


def test_received_sample_facts(edxml_dir: Path) -> None:
    report = read(edxml_dir, "received_sample.edxml")
    facts = report.facts
    assert facts is not None

    assert facts.sender is not None and facts.sender.organ_id == "000.00.00.G22"
    assert tuple(o.organ_id for o in facts.recipients) == THREE_RECIPIENTS
    assert (facts.code_number, facts.code_notation) == ("7816", "VPCP-TTĐT")
    assert facts.type_name == "Công văn"
    assert facts.promulgation_date == "2019/04/11"
    assert facts.business_document_id == "000.00.00.G22,2014/02/30,7806/VPCP-TTĐT"
    # The attachment is a zip (PK header), whatever its name says.
    assert facts.attachments[0].size == 4151
    assert "date" in report.warnings[0].message
    assert "agency" not in report.warnings[0].message


def test_edoc_new_facts(edxml_dir: Path) -> None:
    report = read(edxml_dir, "edoc_new.edxml")
    facts = report.facts
    assert facts is not None

    assert facts.sender is not None and facts.sender.organ_id == "000.00.00.A80"
    assert tuple(o.organ_id for o in facts.recipients) == ("28.22.H17",)
    assert facts.code_number == "74fass22"
    mismatch = report.warnings[0].message
    assert "agency" in mismatch and "date" in mismatch and "number" in mismatch
    assert "28.22.H17" in report.warnings[2].message


def test_update_lists_flags_and_receivers(edxml_dir: Path) -> None:
    facts = read(edxml_dir, "edoc_update.edxml").facts
    assert facts is not None and facts.update is not None

    assert (facts.update.document_info, facts.update.document_receiver) == ("1", "1")
    assert facts.update.receivers == (("000.00.00.H41", "0"), ("000.00.00.H14", "1"))
    assert facts.promulgation_date == "2018/09/28"


def test_replacement_lists_what_it_replaces(edxml_dir: Path) -> None:
    facts = read(edxml_dir, "edoc_replacement.edxml").facts
    assert facts is not None

    assert len(facts.replacements) == 2
    for replaced in facts.replacements:
        assert replaced.document_id == "000.00.00.G22,2014/01/30,7806/VPCP-TTĐT"
        assert replaced.organ_ids == ("000.00.00.H41", "000.00.00.H14")


def test_revocation_names_what_it_answers(edxml_dir: Path) -> None:
    facts = read(edxml_dir, "edoc_revocation.edxml").facts
    assert facts is not None

    [answered] = facts.response_for
    assert answered.document_id == "000.00.04.G14,2012/08/06,267/VPCP-TTĐT"
    assert answered.code == "267/VPCP-TTĐT"


@pytest.mark.parametrize("name", sorted(STATUSES))
def test_status_packets_are_clean(edxml_dir: Path, name: str) -> None:
    code, sender = STATUSES[name]
    report = read(edxml_dir, name)
    facts = report.facts
    assert facts is not None

    assert (report.errors, report.warnings) == ((), ())
    assert facts.kind is PacketKind.STATUS
    assert facts.status_code == code
    assert [r.document_id for r in facts.response_for] == [ORIGINAL]
    assert facts.signature is SignatureState.ABSENT
    if sender is not None:
        assert facts.sender is not None and facts.sender.organ_id == sender


def test_status_with_mismatched_response_date_warns(edxml_dir: Path) -> None:
    report = read(edxml_dir, "status.edxml")
    facts = report.facts
    assert facts is not None

    assert report.usable
    assert facts.status_code == "01"
    assert facts.sender is not None and facts.sender.organ_id == "000.00.00.H41"
    assert [w.code for w in report.warnings] == ["response-for-date"]
    assert "2018/09/28" in report.warnings[0].message


def test_broken_packet_is_not_xml(edxml_dir: Path) -> None:
    with pytest.raises(PacketParseError) as caught:
        read(edxml_dir, "edoc.edxml")

    assert caught.value.not_xml
    assert "line 74" in caught.value.detail
