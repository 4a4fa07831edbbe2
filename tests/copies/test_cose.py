"""The QR payload: COSE_Sign1 messages signed with the seal keys, read back."""

from __future__ import annotations

import cbor2
import pytest
from cryptography import x509

from edocx.copies import cose, qr
from edocx.copies.errors import CopyPayloadError
from edocx.pki.credentials import load_signer
from tests.signing.conftest import JobFactory

CLAIM = qr.CopyClaim(
    code="ABCDEFGHJKLMNPQR", scan_sha256="ab" * 32, number=7,
    book="Quyển số 01/2026-SCT/BS", date="2026-03-05", body="000.00.00.H41",
    document_name="Bằng tốt nghiệp trung học phổ thông",
)  # fmt: skip


def _certificate(jobs: JobFactory, label: str) -> x509.Certificate:
    signer = load_signer(jobs.credential(label))
    return x509.load_der_x509_certificate(signer.signing_cert.dump())


def _signed(jobs: JobFactory, label: str = "seal-a") -> bytes:
    return cose.sign_payload(CLAIM.payload(), load_signer(jobs.credential(label)))


def test_payload_verifies_with_the_seal_certificate(jobs: JobFactory) -> None:
    message = _signed(jobs)
    tag = cbor2.loads(message)
    assert tag.tag == 18 and len(tag.value) == 4
    assert cbor2.loads(tag.value[0]) == {1: cose.RS256}

    payload = cose.verify_payload(message, _certificate(jobs, "seal-a"))
    assert qr.CopyClaim.of(payload) == CLAIM
    # Small enough for a QR code read from paper (version 22-M and below).
    assert len(qr.qr_text("http://127.0.0.1:8080/c/", CLAIM.code, message)) < 800


def test_another_bodys_certificate_does_not_verify(jobs: JobFactory) -> None:
    with pytest.raises(CopyPayloadError, match="another key"):
        cose.verify_payload(_signed(jobs), _certificate(jobs, "seal-b"))


def test_a_changed_payload_does_not_verify(jobs: JobFactory) -> None:
    tag = cbor2.loads(_signed(jobs))
    protected, unprotected, _, signature = tag.value
    forged = dict(CLAIM.payload(), n=8)
    message = cbor2.dumps(
        cbor2.CBORTag(18, [protected, unprotected, cbor2.dumps(forged), signature])
    )
    with pytest.raises(CopyPayloadError, match="does not verify"):
        cose.verify_payload(message, _certificate(jobs, "seal-a"))


@pytest.mark.parametrize(
    "data",
    [b"", b"\xff\xff", cbor2.dumps(cbor2.CBORTag(98, [])), cbor2.dumps([1, 2]),
     b"\x00" * (cose.MAX_MESSAGE + 1)],
    ids=["empty", "not-cbor", "cose-sign", "short-array", "oversized"],
)  # fmt: skip
def test_malformed_messages_are_refused(jobs: JobFactory, data: bytes) -> None:
    with pytest.raises(CopyPayloadError):
        cose.verify_payload(data, _certificate(jobs, "seal-a"))


def test_qr_text_round_trips() -> None:
    text = qr.qr_text("https://chungthuc.example/c/", "CODE2345", b"\x01\x02\xfe")
    content = qr.parse_qr_text(text)
    assert content.code == "CODE2345"
    assert content.address == "https://chungthuc.example/c/CODE2345"
    assert content.message == b"\x01\x02\xfe"
    with pytest.raises(CopyPayloadError):
        qr.parse_qr_text("https://chungthuc.example/c/CODE2345")
