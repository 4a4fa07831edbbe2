"""Reports a clerk can read: real failures named, no library text leaking.

Each case comes from a trial of the verifier on files made from the test
PKI: a signature container whose content type was altered, a signer nobody
trusts, bilingual labels and sentences.
"""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from pyhanko.sign import signers
from pyhanko_certvalidator.registry import SimpleCertificateStore

from edocx.verification import Indication, SubIndication, VerifyOptions, verify_pdf
from edocx.verification.document import open_document
from edocx.verification.evidence import read_dss, signer_evidence
from edocx.verification.integrity import check_integrity
from edocx.verification.trust import (
    TrustSetup,
    assess_trust,
    captured_library_errors,
)
from edocx.verification.verify import _load_roots
from edocx.verification.wording import explain
from tests.verification.pdfs import blank_pdf
from tests.verification.rogue_certs import sign_plain

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
        trust = asyncio.run(assess_trust(findings, evidence, setup, errors))

    assert trust.sub_indication is SubIndication.GENERIC
    assert trust.explanation is not None
    assert "trust validation could not complete" in trust.explanation
    assert "attribute" not in trust.explanation
    assert "EmbeddedPdfSignature" not in trust.explanation
    assert "chi tiết kỹ thuật" not in explain(trust.explanation).vi


@pytest.fixture(scope="module")
def self_signed(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, Path]:
    """A blank PDF signed by a self-signed certificate, and that certificate."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Self Made Signer")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(
            x509.KeyUsage(True, True, False, False, False, False, False, False, False),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    der_key = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    signer = signers.SimpleSigner(
        signing_cert=asn1_x509.Certificate.load(
            cert.public_bytes(serialization.Encoding.DER)
        ),
        signing_key=asn1_keys.PrivateKeyInfo.load(der_key),
        cert_registry=SimpleCertificateStore(),
    )
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
