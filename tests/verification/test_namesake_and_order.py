"""A self-signed namesake of a real signer, and the order signatures are listed.

A certificate anyone can make may carry the exact name of an agency's seal
certificate. Its signature must not borrow the seal's certification path:
the report names a path and an anchor only when the path was validated.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers
from pyhanko.sign.fields import SigFieldSpec, append_signature_field

from edocx.verification import Indication, SubIndication, VerifyOptions, verify_pdf
from tests.verification.pdfs import PKISigner, blank_pdf
from tests.verification.rogue_certs import self_signed_signer, sign_plain


def _namesake_signer(subject: x509.Name) -> signers.SimpleSigner:
    return self_signed_signer(subject)[0]


@pytest.fixture(scope="module")
def namesake_signed(issued: bytes) -> bytes:
    """The issued document, then signed by a self-signed namesake of its seal."""
    reader = PdfFileReader(io.BytesIO(issued))
    seal = next(s for s in reader.embedded_signatures if s.field_name == "edocx_seal")
    subject = x509.load_der_x509_certificate(seal.signer_cert.dump()).subject
    return sign_plain(issued, _namesake_signer(subject))


@pytest.mark.parametrize("days_later", [0, 2])
def test_a_self_signed_namesake_of_the_seal_has_no_path(
    namesake_signed: bytes, offline: VerifyOptions, days_later: int
) -> None:
    # Days later the seal's OCSP response has expired: a "path" through the
    # seal's certificate would then end in TRY_LATER instead.
    at = datetime.now(UTC) + timedelta(days=days_later)

    report = verify_pdf(namesake_signed, offline, at=at)

    namesake = next(s for s in report.signatures if s.field == "Signature1")
    assert namesake.indication is Indication.INDETERMINATE
    assert namesake.sub_indication is SubIndication.NO_CERTIFICATE_CHAIN_FOUND
    assert namesake.certification_path == ()
    assert namesake.trust_anchor is None
    reason = namesake.reasons[0]
    assert "no valid certification path" in reason.en
    assert "chuỗi chứng thực hợp lệ" in reason.vi
    assert "chi tiết kỹ thuật" not in reason.vi
    assert "not a CA" not in reason.en


def test_the_genuine_signatures_keep_their_paths(
    namesake_signed: bytes, offline: VerifyOptions
) -> None:
    report = verify_pdf(namesake_signed, offline)

    seal = next(s for s in report.signatures if s.field == "edocx_seal")
    assert seal.indication is Indication.TOTAL_PASSED
    assert len(seal.certification_path) == 3
    assert seal.trust_anchor is not None


def test_signatures_are_listed_in_the_order_they_were_made(
    namesake_signed: bytes, offline: VerifyOptions
) -> None:
    report = verify_pdf(namesake_signed, offline)

    fields = [s.field for s in report.signatures]
    assert fields == ["edocx_personal", "edocx_seal", "Signature1"]
    revisions = [s.signed_revision for s in report.signatures]
    assert revisions == sorted(revisions)


def test_a_field_listed_first_but_signed_last_comes_last(
    test_signer: PKISigner, offline: VerifyOptions
) -> None:
    writer = IncrementalPdfFileWriter(io.BytesIO(blank_pdf()))
    for name in ("listed_first", "listed_second"):
        append_signature_field(writer, SigFieldSpec(name))
    out = io.BytesIO()
    writer.write(out)
    once = test_signer.sign(out.getvalue(), "person-a-signer", field="listed_second")
    twice = test_signer.sign(once, "person-a-signer", field="listed_first", lt=False)

    report = verify_pdf(twice, offline)

    assert [s.field for s in report.signatures] == ["listed_second", "listed_first"]
