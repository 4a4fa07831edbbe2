"""Reports a clerk can read: real failures named, no library text leaking.

Each case comes from a trial of the verifier on files made from the test
PKI: a signature container whose content type was altered, a signer nobody
trusts, bilingual labels and sentences.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID

from edocx.bench.corpus import (
    compare_file,
    corpus_dir,
    load_manifest,
    verify_corpus_file,
)
from edocx.config import Settings
from edocx.verification import (
    Indication,
    SubIndication,
    VerifyOptions,
    render_html,
    render_text,
    verify_pdf,
)
from edocx.verification.document import open_document
from edocx.verification.evidence import read_dss, signer_evidence
from edocx.verification.integrity import check_integrity
from edocx.verification.report import ChangeKind, ChangeReport, Problem
from edocx.verification.trust import (
    TrustFindings,
    TrustSetup,
    assess_trust,
    captured_library_errors,
)
from edocx.verification.verify import _load_roots
from edocx.verification.wording import TECHNICAL, explain, vietnamese
from tests.conftest import REPO_ROOT
from tests.verification.pdfs import append_page_content, blank_pdf
from tests.verification.rogue_certs import self_signed_signer, sign_plain

# The DER of the OID id-data (1.2.840.113549.1.7.1), as /Contents spells it.
ID_DATA_HEX = b"06092a864886f70d010701"
# The same with 840 turned into 833: still a well-formed OID.
ALTERED_HEX = b"06092a864186f70d010701"


def alter_content_type(pdf: bytes) -> bytes:
    """Flip one hex digit of the first eContentType in the signature's /Contents."""
    match = re.search(rb"/Contents\s*<(3082[0-9a-fA-F]+)>", pdf)
    assert match is not None
    start = pdf.lower().index(ID_DATA_HEX, match.start(1), match.end(1))
    return pdf[:start] + ALTERED_HEX + pdf[start + len(ID_DATA_HEX) :]


def trust_of_altered(signed_blt: bytes, offline: VerifyOptions) -> TrustFindings:
    """Run the trust check itself on a signature with an altered content type.

    The verifier stops before it (the signature does not hold); called
    directly, pyHanko's validation of that container fails inside.
    """
    doc = open_document(alter_content_type(signed_blt), None)
    roots = _load_roots(offline.trust_root_paths)
    setup = TrustSetup(roots, False, offline.revocation_mode, datetime.now(UTC))
    with captured_library_errors() as errors:
        findings = check_integrity(doc, doc.entries[0])
        parts = findings.parts
        assert parts is not None
        evidence = read_dss(doc.reader).merged(
            signer_evidence(parts.signer_info, (parts.signer_cert,))
        )
        return asyncio.run(assess_trust(findings, evidence, setup, errors))


def test_an_altered_content_type_fails_with_a_plain_reason(
    signed_blt: bytes, offline: VerifyOptions
) -> None:
    report = verify_pdf(alter_content_type(signed_blt), offline)

    signature = report.signatures[0]
    assert signature.indication is Indication.TOTAL_FAILED
    assert signature.sub_indication is SubIndication.FORMAT_FAILURE
    reason = signature.reasons[0]
    assert "content type" in reason.en
    assert "loại nội dung" in reason.vi
    assert "chi tiết kỹ thuật" not in reason.vi


def test_a_trust_check_the_library_cannot_finish_says_so_plainly(
    signed_blt: bytes, offline: VerifyOptions
) -> None:
    # The altered container makes pyHanko's own validation raise an
    # AttributeError; the reason must not carry its text.
    trust = trust_of_altered(signed_blt, offline)

    assert trust.sub_indication is SubIndication.GENERIC
    assert trust.explanation is not None
    assert "trust validation could not complete" in trust.explanation
    assert "attribute" not in trust.explanation
    assert "EmbeddedPdfSignature" not in trust.explanation
    assert "chi tiết kỹ thuật" not in explain(trust.explanation).vi


@pytest.fixture(scope="module")
def self_signed(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, Path]:
    """A blank PDF signed by a self-signed certificate, and that certificate."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Self Made Signer")])
    signer, cert = self_signed_signer(name)
    pem = tmp_path_factory.mktemp("self-signed") / "signer.pem"
    pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return sign_plain(blank_pdf(), signer), pem


def test_an_untrusted_self_signed_signer_has_no_chain(
    self_signed: tuple[bytes, Path], offline: VerifyOptions
) -> None:
    report = verify_pdf(self_signed[0], offline)

    signature = report.signatures[0]
    assert signature.indication is Indication.INDETERMINATE
    assert signature.sub_indication is SubIndication.NO_CERTIFICATE_CHAIN_FOUND
    assert "trusted anchor" in signature.reasons[0].en
    assert "tin cậy" in signature.reasons[0].vi


def test_a_trusted_signer_without_timestamp_is_told_why_in_both_languages(
    self_signed: tuple[bytes, Path],
) -> None:
    options = VerifyOptions(trust_root_paths=(self_signed[1],), allow_fetching=False)

    report = verify_pdf(self_signed[0], options)

    signature = report.signatures[0]
    assert signature.indication is Indication.INDETERMINATE
    reason = signature.reasons[0]
    assert "No signature timestamp present" not in reason.en
    assert "no signature timestamp" in reason.en
    assert "dấu thời gian" in reason.vi
    assert "chi tiết kỹ thuật" not in reason.vi


def test_text_labels_and_fixed_values_are_in_both_languages(
    self_signed: tuple[bytes, Path], offline: VerifyOptions
) -> None:
    text = render_text(verify_pdf(self_signed[0], offline))

    assert "\n    Integrity / Toàn vẹn:" in text
    assert "digest matches (nội dung đã ký không đổi)" in text
    assert "signature value verifies (giá trị chữ ký đúng)" in text
    assert "Trust / Độ tin cậy:" in text
    assert "not trusted (không tin cậy)" in text
    assert "Revocation / Tình trạng thu hồi: unknown (chưa xác định)" in text
    assert "changes after signing / thay đổi sau khi ký: none (không có)" in text
    # Within a block the values still start in one column.
    block = text.split("\n[1] ")[1].split("Reasons / Lý do:")[0]
    rows = [line for line in block.splitlines() if " / " in line.split(":")[0]]
    columns = {len(line) - len(re.sub(r"^    [^:]+: +", "", line)) for line in rows}
    assert len(rows) > 5
    assert len(columns) == 1


def test_later_changes_are_described_in_vietnamese_too(
    signed_blt: bytes, offline: VerifyOptions
) -> None:
    report = verify_pdf(append_page_content(signed_blt), offline)

    changes = report.signatures[0].changes
    assert changes
    assert all(change.detail_vi for change in changes)
    assert all(TECHNICAL not in change.detail_vi for change in changes)
    text, page = render_text(report), render_html(report)
    for change in changes:
        assert change.detail_vi in text
        assert change.detail_vi in page
    assert report.model_dump(mode="json")["signatures"][0]["changes"][0]["detail_vi"]


def test_change_vietnamese_follows_the_kind_when_the_detail_is_unknown() -> None:
    change = ChangeReport(
        revision=1, kind=ChangeKind.CONTENT_CHANGED, detail="something odd happened"
    )

    assert change.detail_vi == (
        "Nội dung trang bị thay đổi (chi tiết kỹ thuật: something odd happened)"
    )
    assert ChangeReport.model_validate(change.model_dump()).detail_vi == (
        change.detail_vi
    )


@pytest.mark.parametrize(
    ("english", "expected"),
    [
        (
            "the cross-reference data is damaged (EOF marker not found); the "
            "revisions were read by searching the file for its objects, and "
            "changes after a signature cannot be vouched for",
            "Bảng tham chiếu chéo (xref) của tệp bị hỏng",
        ),
        (
            "the file's cross-reference data is damaged and was rebuilt; what "
            "changed after this signature cannot be vouched for",
            "Bảng tham chiếu chéo (xref) của tệp bị hỏng và đã được dựng lại",
        ),
        (
            "the file was changed after this signature: page entry /Rotate changed",
            "Tài liệu đã bị sửa đổi sau khi ký: Mục /Rotate của trang bị thay đổi",
        ),
        (
            "the signed attributes are not DER-encoded (RFC 5652 §5.4) and the "
            "signature does not verify over their DER encoding",
            "Các thuộc tính được ký không được mã hóa đúng chuẩn DER",
        ),
    ],
)
def test_frequent_findings_have_their_own_vietnamese(
    english: str, expected: str
) -> None:
    vi = vietnamese(english)

    assert vi.startswith(expected)
    assert "Phát hiện vấn đề khi kiểm tra" not in vi


def test_a_rejected_algorithm_is_named(
    sha1_signed: bytes, offline: VerifyOptions
) -> None:
    signature = verify_pdf(sha1_signed, offline).signatures[0]

    assert signature.sub_indication in (
        SubIndication.CRYPTO_CONSTRAINTS_FAILURE,
        SubIndication.CRYPTO_CONSTRAINTS_FAILURE_NO_POE,
    )
    assert "no longer accepted: SHA-1" in signature.reasons[0].en
    assert "không còn được chấp nhận: SHA-1" in signature.reasons[0].vi


def test_the_docs_name_every_vietnamese_field_and_its_english_twin() -> None:
    docs = (REPO_ROOT / "docs" / "validation-report.md").read_text("utf-8")
    models = [ChangeReport, Problem]

    for model in models:
        for name in model.model_fields:
            if name.endswith("_vi"):
                assert f"`{name}`" in docs, name
                assert f"`{name.removesuffix('_vi')}`" in docs, name
    assert "Every sentence for people is an `Explanation`" not in docs


def test_a_double_hex_prefix_from_the_parser_is_put_right() -> None:
    problem = Problem(
        code="malformed-signature-field",
        message="the signature dictionary cannot be read: Failed to read "
        "dictionary key at byte 0x0xaf1; expected PDF name",
    )

    assert "byte 0xaf1;" in problem.message
    assert "0x0x" not in problem.message_vi
    assert "byte 0xaf1" in explain("at byte 0x0xaf1").en


@pytest.mark.parametrize(("log_level", "shown"), [("WARNING", False), ("DEBUG", True)])
def test_the_command_keeps_pyhanko_warnings_off_the_terminal(
    test_settings: Settings,
    test_data_dir: Path,
    tmp_path: Path,
    log_level: str,
    shown: bool,
) -> None:
    # This DSS file makes pyHanko warn about an object missing from history.
    pdf = test_data_dir / "dss-pdf" / "AD-RB.pdf"
    if not pdf.is_file():
        pytest.skip(f"{pdf} is not there (set EDOCX_TEST_DATA)")
    config = tmp_path / "edocx.toml"
    config.write_text(
        f'demo = true\nlog_level = "{log_level}"\n'
        f'[storage]\nvar_dir = "{test_settings.storage.var_dir}"\n'
        f'[pki]\ndir = "{test_settings.pki.dir}"\n'
        f'[keys]\npassphrase_file = "{test_settings.keys.passphrase_file}"\n',
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("EDOCX_")}
    env["EDOCX_CONFIG"] = str(config)

    done = subprocess.run(
        [sys.executable, "-m", "edocx.cli", "verify", str(pdf)],
        capture_output=True, text=True, env=env, cwd=REPO_ROOT, timeout=120,
        check=False,
    )  # fmt: skip

    assert done.returncode in (1, 2), done.stderr
    assert ("Could not find object" in done.stderr) is shown, done.stderr


def test_a_disagreement_about_the_file_names_the_file(test_data_dir: Path) -> None:
    folder = corpus_dir(test_data_dir)
    corpus = load_manifest(folder)
    if not corpus:
        pytest.skip(f"no DSS corpus manifest in {folder}")
    expected = next(e for e in corpus if "signature_count" in e.facts)
    report = verify_corpus_file(folder, expected.name)
    wrong = dataclasses.replace(
        expected,
        facts={**expected.facts, "signature_count": report.signature_count + 1},
    )

    disagreement = next(c for c in compare_file(wrong, report) if not c.agreed)

    assert disagreement.fact == "signature_count"
    assert disagreement.subject == expected.name


def test_the_library_error_reaches_only_the_debug_log(
    signed_blt: bytes, offline: VerifyOptions, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="edocx.verification.trust"):
        trust_of_altered(signed_blt, offline)

    mine = [r for r in caplog.records if r.name == "edocx.verification.trust"]
    above_debug = [r for r in mine if r.levelno > logging.DEBUG]
    assert above_debug
    assert all(r.exc_info is None for r in above_debug)
    assert "attribute" not in " ".join(r.getMessage() for r in above_debug)
    assert any(r.exc_info for r in mine if r.levelno == logging.DEBUG)
