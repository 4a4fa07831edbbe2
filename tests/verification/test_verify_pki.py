"""The verifier on documents signed with the test PKI.

The signatures are real (pyHanko, certomancer keys, timestamps from the
TSA of the run); revocation evidence is either embedded (PAdES B-LT) or
fetched from the OCSP responder and CRL repository on loopback.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from edocx.errors import VerificationError
from edocx.verification import (
    Indication,
    SignatureKind,
    SubIndication,
    Verdict,
    VerifyOptions,
    render_text,
    require_passing,
    verify_pdf,
)
from edocx.verification.report import (
    EvidenceSource,
    ModificationLevel,
    RevocationStatus,
    ValidationReport,
)
from tests.verification.pdfs import (
    PKISigner,
    add_document_timestamp,
    append_page_content,
    blank_pdf,
    fill_text_field,
    flip_signed_byte,
)


def only_signature(report: ValidationReport):  # type: ignore[no-untyped-def]
    assert report.signature_count == 1, report.problems
    return report.signatures[0]


def test_blt_passes_offline(signed_blt: bytes, offline: VerifyOptions) -> None:
    report = verify_pdf(signed_blt, offline)
    signature = only_signature(report)

    assert report.verdict is Verdict.PASSED
    assert signature.indication is Indication.TOTAL_PASSED
    assert (signature.intact, signature.valid, signature.trusted) == (True, True, True)
    assert signature.revocation.status is RevocationStatus.GOOD
    assert signature.revocation.origin is EvidenceSource.DOCUMENT
    assert signature.signer is not None
    assert signature.signer.common_name == "Nguyễn Văn Thành"
    assert signature.timestamp is not None and signature.timestamp.ok
    assert signature.timestamp.time_vn is not None
    assert signature.timestamp.time_vn.endswith("+07:00")
    assert signature.modification_level is ModificationLevel.LTA_UPDATES


def test_bt_without_revocation_data_is_indeterminate_offline(
    signed_bt: bytes, offline: VerifyOptions
) -> None:
    report = verify_pdf(signed_bt, offline)
    signature = only_signature(report)

    assert report.verdict is Verdict.INDETERMINATE
    assert signature.sub_indication is SubIndication.TRY_LATER
    assert signature.revocation.status is RevocationStatus.UNKNOWN


def test_bt_passes_when_revocation_may_be_fetched(
    signed_bt: bytes, dev_pki_root: Path
) -> None:
    options = VerifyOptions(trust_root_paths=(dev_pki_root,), allow_fetching=True)

    report = verify_pdf(signed_bt, options)
    signature = only_signature(report)

    assert report.verdict is Verdict.PASSED
    assert signature.revocation.status is RevocationStatus.GOOD
    assert signature.revocation.origin is EvidenceSource.FETCHED


def test_revoked_signer_does_not_pass(
    signed_by_revoked: bytes, offline: VerifyOptions
) -> None:
    report = verify_pdf(signed_by_revoked, offline)
    signature = only_signature(report)

    assert report.verdict is not Verdict.PASSED
    assert signature.indication is not Indication.TOTAL_PASSED
    assert signature.sub_indication in (
        SubIndication.REVOKED,
        SubIndication.REVOKED_NO_POE,
    )
    assert signature.revocation.status is RevocationStatus.REVOKED
    assert signature.revocation.origin is EvidenceSource.DOCUMENT
    assert signature.revocation.revoked_at is not None


def test_revoked_signer_found_online(
    test_signer: PKISigner, dev_pki_root: Path
) -> None:
    signed = test_signer.sign(blank_pdf(), "person-a-revoked", lt=False)
    options = VerifyOptions(trust_root_paths=(dev_pki_root,), allow_fetching=True)

    signature = only_signature(verify_pdf(signed, options))

    assert signature.indication is not Indication.TOTAL_PASSED
    assert signature.revocation.status is RevocationStatus.REVOKED
    assert signature.revocation.origin is EvidenceSource.FETCHED


def test_bytes_changed_after_signing_fail(
    signed_blt: bytes, offline: VerifyOptions
) -> None:
    report = verify_pdf(flip_signed_byte(signed_blt), offline)
    signature = only_signature(report)

    assert report.verdict is Verdict.FAILED
    assert signature.indication is Indication.TOTAL_FAILED
    assert signature.sub_indication is SubIndication.HASH_FAILURE
    assert signature.intact is False


def test_page_content_added_after_signing_fails(
    signed_blt: bytes, offline: VerifyOptions
) -> None:
    report = verify_pdf(append_page_content(signed_blt), offline)
    signature = only_signature(report)

    assert report.verdict is Verdict.FAILED
    assert (signature.intact, signature.valid) == (True, True)
    assert signature.changes_allowed is False
    assert signature.sub_indication is SubIndication.FORMAT_FAILURE


def test_text_field_filled_after_signing_fails(
    test_signer: PKISigner, offline: VerifyOptions
) -> None:
    signed = test_signer.sign(blank_pdf(text_field=True), "person-a-signer")

    report = verify_pdf(fill_text_field(signed, "1.000.000.000 VND"), offline)
    signature = only_signature(report)

    assert report.verdict is Verdict.FAILED
    assert signature.changes_allowed is False
    assert "Remark" in signature.reasons[0].en


def test_text_field_filled_then_signed_over_passes(
    test_signer: PKISigner, offline: VerifyOptions
) -> None:
    first = test_signer.sign(blank_pdf(text_field=True), "person-a-signer")
    filled = fill_text_field(first, "01/QĐ-UBND")
    sealed = test_signer.sign(filled, "seal-a", field="Seal")

    report = verify_pdf(sealed, offline)

    assert report.verdict is Verdict.PASSED
    personal = report.signatures[0]
    assert personal.changes_allowed is True
    assert any("signed over" in reason.en for reason in personal.reasons)


def test_untrusted_root_is_indeterminate(signed_blt: bytes, foreign_root: Path) -> None:
    options = VerifyOptions(trust_root_paths=(foreign_root,), allow_fetching=False)

    report = verify_pdf(signed_blt, options)
    signature = only_signature(report)

    assert report.verdict is Verdict.INDETERMINATE
    assert signature.sub_indication is SubIndication.NO_CERTIFICATE_CHAIN_FOUND
    assert signature.trusted is False


def test_encrypted_pdf_needs_its_password(
    test_signer: PKISigner, dev_pki_root: Path
) -> None:
    encrypted = blank_pdf(password="bí mật")
    signed = test_signer.sign(encrypted, "person-a-signer", password="bí mật")
    base = VerifyOptions(trust_root_paths=(dev_pki_root,), allow_fetching=False)

    locked = verify_pdf(signed, base)
    wrong = verify_pdf(signed, _with_password(base, "wrong"))
    opened = verify_pdf(signed, _with_password(base, "bí mật"))

    assert locked.verdict is Verdict.UNUSABLE
    assert locked.has_problem("pdf-password-required")
    assert wrong.verdict is Verdict.UNUSABLE
    assert wrong.has_problem("pdf-password-required")
    assert opened.verdict is Verdict.PASSED
    assert [r.encrypted for r in (locked, wrong, opened)] == [True, True, True]


def test_require_passing_names_the_failing_signature(
    signed_blt: bytes, offline: VerifyOptions
) -> None:
    passing = verify_pdf(signed_blt, offline)
    failing = verify_pdf(append_page_content(signed_blt), offline)

    require_passing(passing, allow_unsigned=False)
    with pytest.raises(VerificationError) as raised:
        require_passing(failing, allow_unsigned=False)

    assert "'Signature1'" in raised.value.detail
    assert "TOTAL-FAILED" in raised.value.detail


def test_report_round_trips_through_json(
    signed_blt: bytes, offline: VerifyOptions
) -> None:
    report = verify_pdf(signed_blt, offline)

    dumped = report.model_dump(mode="json")
    again = ValidationReport.model_validate(dumped)

    assert again == report
    assert dumped["validated_at"].endswith("Z")
    assert dumped["validated_at_vn"].endswith("+07:00")
    assert dumped["signatures"][0]["indication"] == "TOTAL-PASSED"


def _with_password(options: VerifyOptions, password: str) -> VerifyOptions:
    return VerifyOptions(
        options.trust_root_paths, options.allow_fetching, password=password
    )


def test_document_timestamp_after_signature_passes(
    signed_blt: bytes, test_signer: PKISigner, offline: VerifyOptions
) -> None:
    lta = add_document_timestamp(signed_blt, test_signer.layout, test_signer.tsa_url)

    report = verify_pdf(lta, offline)

    assert report.verdict is Verdict.PASSED, render_text(report)
    assert (report.signature_count, report.document_timestamp_count) == (1, 1)
    stamp = report.signatures[1]
    assert stamp.kind is SignatureKind.DOCUMENT_TIMESTAMP
    assert stamp.indication is Indication.TOTAL_PASSED
    assert stamp.timestamp is not None and stamp.timestamp.ok


def test_text_and_json_agree_on_the_signed_revision(
    signed_blt: bytes, offline: VerifyOptions
) -> None:
    # blank_pdf is one revision, the signature a second, its DSS a third,
    # the added page content a fourth: the signature signed the second.
    report = verify_pdf(append_page_content(signed_blt), offline)
    dumped = report.model_dump(mode="json")

    assert dumped["revision_count"] == 4
    assert dumped["signatures"][0]["signed_revision"] == 1  # 0-based
    assert "(revision 2 of 4 / phiên bản 2 trên 4)" in render_text(report)
    schema = ValidationReport.model_json_schema()
    signed_revision = schema["$defs"]["SignatureReport"]["properties"]
    assert "0-based" in signed_revision["signed_revision"]["description"]
