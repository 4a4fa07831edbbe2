"""The report's facts on real signatures: identity, algorithms, trust, reasons.

The documents are signed the way the hub signs them (the competent
person's signature, then numbering and the agency's seal) with the test
PKI of the run; revocation evidence is embedded (PAdES B-LT) or fetched from
the OCSP responder on loopback.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from asn1crypto import x509

from edocx.pki.devpki import PKILayout
from edocx.signing.issue import PERSONAL_FIELD, SEAL_FIELD
from edocx.verification import VerifyOptions, verify_pdf
from edocx.verification.identity import role_of_subject
from edocx.verification.report import (
    SCHEMA_VERSION,
    EvidenceSource,
    Indication,
    RevocationSource,
    RevocationStatus,
    SignatureReport,
    SignerRole,
    SubIndication,
    ValidationReport,
    Verdict,
)
from tests.signing.conftest import AGENCY_NAME, POSITION, SIGNER_NAME
from tests.verification.pdfs import (
    PKISigner,
    add_document_timestamp,
    flip_signed_byte,
    load_cert,
)


@pytest.fixture(scope="module")
def issued_report(issued: bytes, offline: VerifyOptions) -> ValidationReport:
    return verify_pdf(issued, offline)


def by_field(report: ValidationReport, name: str) -> SignatureReport:
    return next(s for s in report.signatures if s.field == name)


def subject(path: Path) -> str:
    name: str = load_cert(path).subject.human_friendly
    return name


def test_counts_use_the_manifest_names(issued_report: ValidationReport) -> None:
    data = json.loads(issued_report.model_dump_json())

    assert data["schema_version"] == SCHEMA_VERSION
    assert (data["dss_signature_count"], data["doc_timestamp_count"]) == (2, 0)
    assert issued_report.signature_count == 2
    assert issued_report.document_timestamp_count == 0
    assert [s["field"] for s in data["signatures"]] == [PERSONAL_FIELD, SEAL_FIELD]
    assert all(s["crypto_ok"] is True for s in data["signatures"])
    assert all(s["signature_timestamp_valid"] is True for s in data["signatures"])
    assert all(s["timestamp_valid"] is None for s in data["signatures"])


def test_personal_signature_and_seal_have_their_roles(
    issued_report: ValidationReport, dev_pki: PKILayout
) -> None:
    personal = by_field(issued_report, PERSONAL_FIELD)
    seal = by_field(issued_report, SEAL_FIELD)

    assert issued_report.verdict is Verdict.PASSED
    assert (personal.role, seal.role) == (SignerRole.PERSONAL, SignerRole.SEAL)
    assert personal.certificate is not None and seal.certificate is not None
    assert personal.certificate.subject.common_name == SIGNER_NAME
    assert personal.certificate.subject.title == POSITION
    assert seal.certificate.subject.common_name == AGENCY_NAME
    assert personal.signer_cn == SIGNER_NAME
    assert seal.signer_issuer_cn == "edocx Development Public-Duty Issuing CA"


def test_certificate_facts_are_the_certificate_s(
    issued_report: ValidationReport, dev_pki: PKILayout
) -> None:
    seal = by_field(issued_report, SEAL_FIELD)
    cert = load_cert(dev_pki.cert_path("seal-a"))
    facts = seal.certificate
    assert facts is not None

    assert facts.serial == format(cert.serial_number, "X")
    assert facts.sha256 == cert.sha256.hex()
    assert facts.not_after == cert.not_valid_after
    assert facts.not_after_vn is not None and facts.not_after_vn.endswith("+07:00")
    assert facts.key_usage == ("digital_signature", "non_repudiation")
    assert facts.extended_key_usage == ()
    assert facts.public_key == "RSA 2048"


def test_algorithms_are_named_and_none_is_weak(
    issued_report: ValidationReport,
) -> None:
    for signature in issued_report.signatures:
        assert signature.digest_algorithm == "sha256"
        assert signature.signature_algorithm in ("sha256_rsa", "rsassa_pkcs1v15")
        assert signature.weak_algorithms == ()


def test_path_runs_from_the_signer_to_the_dev_root(
    issued_report: ValidationReport, dev_pki: PKILayout
) -> None:
    root = subject(dev_pki.root_cert_path)
    issuing = subject(dev_pki.chain_cert_paths[0])

    for name, label in ((PERSONAL_FIELD, "person-a-signer"), (SEAL_FIELD, "seal-a")):
        signature = by_field(issued_report, name)
        assert signature.certification_path == (
            subject(dev_pki.cert_path(label)),
            issuing,
            root,
        )
        assert signature.trust_anchor == root


def test_embedded_revocation_evidence_is_described(
    issued_report: ValidationReport,
) -> None:
    for signature in issued_report.signatures:
        rev = signature.revocation
        assert rev.status is RevocationStatus.GOOD
        assert rev.source is RevocationSource.OCSP
        assert rev.origin is EvidenceSource.DOCUMENT
        assert rev.this_update is not None and rev.next_update is not None
        assert rev.this_update < rev.next_update
        assert rev.produced_at is not None
        assert rev.fresh is True


def test_fetched_revocation_evidence_is_described(
    signed_bt: bytes, dev_pki_root: Path
) -> None:
    options = VerifyOptions(trust_root_paths=(dev_pki_root,), allow_fetching=True)

    signature = verify_pdf(signed_bt, options).signatures[0]

    assert signature.role is SignerRole.SEAL
    assert signature.revocation.status is RevocationStatus.GOOD
    assert signature.revocation.source is RevocationSource.OCSP
    assert signature.revocation.origin is EvidenceSource.FETCHED
    assert signature.revocation.fresh is True


def test_passing_reasons_are_in_both_languages(
    issued_report: ValidationReport,
) -> None:
    reasons = by_field(issued_report, SEAL_FIELD).reasons

    assert reasons[0].en == (
        "the signed bytes are unchanged and the signature value verifies"
    )
    assert reasons[0].vi.startswith("Chữ ký số hợp lệ")
    assert any("OCSP, document evidence" in r.en for r in reasons)
    assert any("theo OCSP, dữ liệu kèm trong tài liệu" in r.vi for r in reasons)


def test_tampered_document_says_so_in_both_languages(
    signed_blt: bytes, offline: VerifyOptions
) -> None:
    signature = verify_pdf(flip_signed_byte(signed_blt), offline).signatures[0]

    assert signature.indication is Indication.TOTAL_FAILED
    assert signature.sub_indication is SubIndication.HASH_FAILURE
    assert signature.crypto_ok is False
    assert signature.reasons[0].en.startswith("the signed bytes have changed")
    assert signature.reasons[0].vi.startswith("Tài liệu đã bị sửa đổi sau khi ký")


def test_untrusted_root_is_explained_in_both_languages(
    signed_blt: bytes, foreign_root: Path
) -> None:
    options = VerifyOptions(trust_root_paths=(foreign_root,), allow_fetching=False)

    signature = verify_pdf(signed_blt, options).signatures[0]

    assert signature.sub_indication is SubIndication.NO_CERTIFICATE_CHAIN_FOUND
    assert signature.certification_path == ()
    assert signature.reasons[0].vi.startswith(
        "Chứng thư số của người ký không được cấp bởi tổ chức chứng thực"
    )


def test_document_timestamp_has_its_own_role_and_validity(
    test_signer: PKISigner,
    signed_blt: bytes,
    dev_pki: PKILayout,
    offline: VerifyOptions,
) -> None:
    stamped = add_document_timestamp(signed_blt, dev_pki, test_signer.tsa_url)

    report = verify_pdf(stamped, offline)
    stamp = report.signatures[1]

    assert (report.dss_signature_count, report.doc_timestamp_count) == (1, 1)
    assert stamp.role is SignerRole.TIMESTAMP
    assert (stamp.timestamp_valid, stamp.signature_timestamp_valid) == (True, None)
    assert stamp.certificate is not None
    assert stamp.certificate.extended_key_usage == ("time_stamping",)


def test_problems_are_in_both_languages(offline: VerifyOptions) -> None:
    report = verify_pdf(b"not a PDF at all", offline)

    problem = report.problems[0]
    assert problem.code == "not-a-pdf"
    assert problem.message_vi == "Tệp không phải là tài liệu PDF"
    assert problem.explanation.en == problem.message


def test_stored_report_of_the_earlier_shape_still_loads(
    issued_report: ValidationReport,
) -> None:
    data = json.loads(issued_report.model_dump_json())
    signature = data["signatures"][0]
    signature["reasons"] = ["the signed bytes are unchanged"]
    signature["revocation"] = {"status": "good", "source": "document"}

    loaded = ValidationReport.model_validate(data).signatures[0]

    assert loaded.reasons[0].en == loaded.reasons[0].vi
    assert loaded.revocation.origin is EvidenceSource.DOCUMENT
    assert loaded.revocation.source is None


@pytest.mark.parametrize(
    ("attributes", "role"),
    [
        ({"common_name": "Nguyễn Văn A", "given_name": "A"}, SignerRole.PERSONAL),
        ({"common_name": "Sở Tư pháp", "organization_name": "Sở Tư pháp"}, "seal"),
        (
            {"common_name": "A", "organization_name": "B", "title": "Chủ tịch"},
            "personal",
        ),
        ({"common_name": "Văn phòng", "user_id": "MST:0101234567"}, "seal"),
        ({"common_name": "Trần Thị B", "user_id": "CCCD:001234567890"}, "personal"),
        ({"organization_name": "Bộ Tư pháp"}, "seal"),
        ({"country_name": "VN"}, "unknown"),
    ],
)
def test_role_follows_the_subject(attributes: dict[str, str], role: str) -> None:
    assert role_of_subject(x509.Name.build(attributes)) == role


def test_sha1_signature_names_its_weak_algorithms(
    sha1_signed: bytes, offline: VerifyOptions
) -> None:
    signature = verify_pdf(sha1_signed, offline).signatures[0]

    assert signature.crypto_ok is True
    assert signature.digest_algorithm == "sha1"
    assert signature.weak_algorithms == ("SHA-1",)
    assert signature.role is SignerRole.PERSONAL
