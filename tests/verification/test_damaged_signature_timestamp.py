"""A signature whose signature timestamp is damaged.

The timestamp token sits in the unsigned attributes of the CMS, outside
what the signer signed: a damaged token leaves the signature value intact
but proves no time (EN 319 102-1: no proof of existence). The report keeps
the token, says it does not verify, and judges the signature without it.
"""

from __future__ import annotations

import io

import pytest
from asn1crypto import cms
from pyhanko.pdf_utils.reader import PdfFileReader

from edocx.verification import Indication, SubIndication, VerifyOptions, verify_pdf
from edocx.verification.report import SignatureReport

SEAL = "edocx_seal"


def _seal_contents(pdf: bytes) -> tuple[int, bytes]:
    """Where the seal's /Contents hex starts, and the CMS it holds."""
    reader = PdfFileReader(io.BytesIO(pdf))
    seal = next(s for s in reader.embedded_signatures if s.field_name == SEAL)
    start = seal.byte_range[0] + seal.byte_range[1] + 1
    end = seal.byte_range[2] - 1
    return start, bytes.fromhex(pdf[start:end].decode())


def _token(signed: bytes) -> cms.ContentInfo:
    info = cms.ContentInfo.load(signed)
    unsigned = info["content"]["signer_infos"][0]["unsigned_attrs"]
    attr = next(a for a in unsigned if a["type"].native == "signature_time_stamp_token")
    token: cms.ContentInfo = attr["values"][0]
    return token


def _flip_in_token(pdf: bytes, part: bytes) -> bytes:
    """Flip the last byte of ``part`` (found inside the seal's token)."""
    start, signed = _seal_contents(pdf)
    token_at = signed.index(_token(signed).dump())
    at = signed.index(part, token_at) + len(part) - 1
    damaged = bytearray(signed)
    damaged[at] ^= 0x01
    hex_at = start + 2 * at
    patched = bytearray(pdf)
    patched[hex_at : hex_at + 2] = damaged[at : at + 1].hex().upper().encode()
    return bytes(patched)


@pytest.fixture(scope="module")
def tsa_signature_flipped(issued: bytes) -> bytes:
    """The token's own signature value no longer verifies."""
    _, signed = _seal_contents(issued)
    token = _token(signed)
    value = token["content"]["signer_infos"][0]["signature"].contents
    return _flip_in_token(issued, value)


@pytest.fixture(scope="module")
def tsa_certificate_flipped(issued: bytes) -> bytes:
    """The TSA's certificate in the token no longer matches its reference."""
    _, signed = _seal_contents(issued)
    cert = _token(signed)["content"]["certificates"][0].chosen
    return _flip_in_token(issued, cert["signature_value"].contents)


def _seal(pdf: bytes, options: VerifyOptions) -> SignatureReport:
    report = verify_pdf(pdf, options)
    return next(s for s in report.signatures if s.field == SEAL)


@pytest.mark.parametrize("damage", ["tsa_signature_flipped", "tsa_certificate_flipped"])
def test_a_damaged_signature_timestamp_is_reported_and_proves_nothing(
    damage: str, request: pytest.FixtureRequest, offline: VerifyOptions
) -> None:
    pdf: bytes = request.getfixturevalue(damage)

    seal = _seal(pdf, offline)

    assert seal.crypto_ok is True
    assert seal.timestamp is not None
    assert seal.timestamp.valid is False
    assert seal.signature_timestamp_valid is False
    assert seal.indication is not Indication.TOTAL_PASSED
    assert seal.sub_indication is not SubIndication.HASH_FAILURE
    assert seal.level in ("PAdES_BASELINE_B", "PKCS7_B", "PDF_NOT_ETSI")
    joined_en = " ".join(r.en for r in seal.reasons)
    joined_vi = " ".join(r.vi for r in seal.reasons)
    assert "the signature timestamp does not verify" in joined_en
    assert "has no signature timestamp" not in joined_en
    assert "Dấu thời gian của chữ ký không hợp lệ" in joined_vi


def test_the_other_signature_is_untouched(
    tsa_signature_flipped: bytes, offline: VerifyOptions
) -> None:
    report = verify_pdf(tsa_signature_flipped, offline)

    personal = next(s for s in report.signatures if s.field == "edocx_personal")
    assert personal.indication is Indication.TOTAL_PASSED


def test_the_pristine_seal_passes(issued: bytes, offline: VerifyOptions) -> None:
    seal = _seal(issued, offline)

    assert seal.indication is Indication.TOTAL_PASSED
    assert seal.signature_timestamp_valid is True
