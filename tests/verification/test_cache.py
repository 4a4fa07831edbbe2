"""The verification caches and the fast hex reader change speed, not answers."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from asn1crypto import x509
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.misc import PdfReadError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.policy_decl import CertRevTrustPolicy

from edocx.pki.devpki import PKILayout
from edocx.verification import VerifyOptions, verify_pdf
from edocx.verification.cache import (
    cache_hits,
    cached_path,
    clear_caches,
    verification_caches,
)
from edocx.verification.hexstring import read_hex_string
from edocx.verification.report import RevocationStatus, ValidationReport, Verdict
from edocx.verification.trust import REVOCATION_MODES
from tests.verification.pdfs import load_cert

TRICKY_HEX = {
    "plain": b"<48656c6c6f>",
    "lowercase-and-upper": b"<4a4B4c>",
    "odd-length": b"<414>",
    "whitespace": b"<41 42\n43\r\n\t44\x0c45\x0046>",
    "empty": b"<>",
    "only-whitespace": b"<  \n >",
    "comment": b"<41 % a comment > with a bracket\n42>",
    "utf16-bom": b"<FEFF00410042>",
    "binary": b"<3082" + b"00" * 300 + b"ff>",
    "long": b"<" + b"0123456789abcdef" * 5000 + b">",
}
BAD_HEX = {
    "stray-byte": b"<41x2>",
    "unterminated": b"<414243",
}


def _read(reader: object, data: bytes) -> tuple[object, str, int]:
    stream = io.BytesIO(data + b" trailing")
    value = reader(stream)  # type: ignore[operator]
    return value, type(value).__name__, stream.tell()


@pytest.mark.parametrize("data", TRICKY_HEX.values(), ids=TRICKY_HEX.keys())
def test_fast_hex_reader_equals_pyhanko(data: bytes) -> None:
    stock = generic.read_hex_string_from_stream

    ours = _read(read_hex_string, data)

    assert ours == _read(stock, data)


@pytest.mark.parametrize("data", BAD_HEX.values(), ids=BAD_HEX.keys())
def test_fast_hex_reader_fails_as_pyhanko_does(data: bytes) -> None:
    with pytest.raises(PdfReadError) as stock_error:
        generic.read_hex_string_from_stream(io.BytesIO(data))
    with pytest.raises(PdfReadError) as our_error:
        read_hex_string(io.BytesIO(data))

    assert str(our_error.value) == str(stock_error.value)


def _comparable(report: ValidationReport) -> str:
    return report.model_dump_json(exclude={"validated_at", "validated_at_vn"})


def test_cached_run_gives_the_uncached_reports(
    signed_blt: bytes, signed_bt: bytes, offline: VerifyOptions
) -> None:
    at = datetime.now(UTC)
    documents = [signed_blt, signed_bt, signed_blt]
    uncached = []
    for pdf in documents:
        clear_caches()
        uncached.append(_comparable(verify_pdf(pdf, offline, at=at)))

    clear_caches()
    cached = [_comparable(verify_pdf(pdf, offline, at=at)) for pdf in documents]

    assert cached == uncached
    hits = cache_hits()
    assert hits["paths"] > 0 and hits["revocation"] > 0


def test_revoked_signer_stays_revoked_after_an_earlier_good_answer(
    signed_by_revoked: bytes, offline: VerifyOptions
) -> None:
    clear_caches()
    now = datetime.now(UTC)
    revoked_at = verify_pdf(signed_by_revoked, offline, at=now).signatures[0]
    assert revoked_at.revocation.revoked_at is not None

    # Before the revocation date the same list calls the signer good...
    before = revoked_at.revocation.revoked_at - timedelta(minutes=1)
    verify_pdf(signed_by_revoked, offline, at=before)
    # ... which must not carry over to a time after it.
    report = verify_pdf(signed_by_revoked, offline, at=now)

    assert report.verdict is not Verdict.PASSED
    assert report.signatures[0].revocation.status is RevocationStatus.REVOKED


def _signer_cert(pdf: bytes) -> x509.Certificate:
    reader = PdfFileReader(io.BytesIO(pdf))
    cert: x509.Certificate = reader.embedded_signatures[0].signer_cert
    return cert


def _context(root: Path, layout: PKILayout, moment: datetime) -> ValidationContext:
    return ValidationContext(
        trust_roots=[load_cert(root)],
        other_certs=[load_cert(p) for p in layout.chain_cert_paths],
        moment=moment,
        ocsps=[],
        crls=[],
        revinfo_policy=CertRevTrustPolicy(REVOCATION_MODES["hard-fail"]),
    )


def test_cached_path_only_under_its_anchors_and_within_validity(
    signed_blt: bytes,
    offline: VerifyOptions,
    dev_pki: PKILayout,
    foreign_root: Path,
) -> None:
    clear_caches()
    verify_pdf(signed_blt, offline)
    cert = _signer_cert(signed_blt)
    now = datetime.now(UTC)
    expired = cert.not_valid_after + timedelta(days=1)

    with verification_caches():
        same = cached_path(cert, _context(dev_pki.root_cert_path, dev_pki, now))
        other = cached_path(cert, _context(foreign_root, dev_pki, now))
        late = cached_path(cert, _context(dev_pki.root_cert_path, dev_pki, expired))

    assert same is not None
    assert other is None
    assert late is None
