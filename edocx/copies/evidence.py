"""What a file says about itself as a certified copy (offline, synchronous).

Three facts, each checkable with the body's certificate alone:

- the QR text the statement revision kept in the catalog, and whether its
  COSE_Sign1 payload verifies with one of the given certificates;
- the SHA-256 of the file's first revision (the scan as certified: the
  bytes up to the first revision's ``%%EOF`` and its end of line);
- whether that digest is the one the payload states.

The PDF signatures are judged apart (``edocx.verification``).
"""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass

from cryptography import x509
from pyhanko.pdf_utils.reader import PdfFileReader

from edocx.copies import binding, cose, qr
from edocx.copies.errors import CopyPayloadError
from edocx.copies.statement import CATALOG_KEY, QR_KEY
from edocx.signing.reading import PARSER_FAILURES

_EOF = re.compile(rb"%%EOF(\r\n|\r|\n)?")


@dataclass(frozen=True)
class FileEvidence:
    qr_text: str | None
    claim: qr.CopyClaim | None
    payload_problem: str | None
    first_revision_sha256: str | None
    # The certificate (DER) whose key signed the payload, when one did.
    signer: bytes | None = None

    @property
    def scan_matches(self) -> bool:
        """Whether the first revision is the scan the payload names."""
        return (
            self.claim is not None
            and self.payload_problem is None
            and self.claim.scan_sha256 == self.first_revision_sha256
        )


def examine(
    pdf: bytes, certificates: tuple[bytes, ...], *, bind: bool = True
) -> FileEvidence:
    """Read the QR payload and the first revision's digest of ``pdf``.

    With ``bind`` (the offline checks), the payload's signer must also be a
    seal certificate of the body the payload names (``binding``); the hub
    gives only the named body's own seal certificates and binds them itself.
    """
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        first = first_revision(pdf, reader)
        text = _kept_qr_text(reader)
    except PARSER_FAILURES:
        return FileEvidence(None, None, "the file is not a readable PDF", None)
    digest = None if first is None else hashlib.sha256(first).hexdigest()
    if text is None:
        return FileEvidence(None, None, "the file holds no copy's QR text", digest)
    try:
        claim, signer = verify_qr_text(text, certificates)
    except CopyPayloadError as e:
        return FileEvidence(text, None, e.detail, digest)
    problem = binding.seal_problem(signer, claim.body) if bind else None
    return FileEvidence(text, claim, problem, digest, signer)


def examine_known(pdf: bytes, certificates: tuple[bytes, ...]) -> FileEvidence:
    """``examine`` with the body's own seal certificates, as the hub has them."""
    return examine(pdf, certificates, bind=False)


def verify_qr_text(
    text: str, certificates: tuple[bytes, ...]
) -> tuple[qr.CopyClaim, bytes]:
    """Return the claim of a QR text and the certificate that signed it."""
    content = qr.parse_qr_text(text)
    problem = CopyPayloadError("no certificate of the body was given")
    for der in certificates:
        try:
            payload = cose.verify_payload(
                content.message, x509.load_der_x509_certificate(der)
            )
        except CopyPayloadError as e:
            problem = e
            continue
        claim = qr.CopyClaim.of(payload)
        if claim.code != content.code:
            raise CopyPayloadError("the address and the payload name other copies")
        return claim, der
    raise problem


def first_revision(pdf: bytes, reader: PdfFileReader) -> bytes | None:
    """Return the bytes of the file's first revision, its ``%%EOF`` line in."""
    start = reader.xrefs.get_startxref_for_revision(0)
    found = _EOF.search(pdf, start)
    return None if found is None else pdf[: found.end()]


def _kept_qr_text(reader: PdfFileReader) -> str | None:
    kept = reader.root.get(CATALOG_KEY)
    if kept is None:
        return None
    value = kept.get_object().get(QR_KEY)
    return None if value is None else str(value)


def last_signer_certificate(pdf: bytes) -> tuple[bytes, ...]:
    """Return the certificate of the file's last signature, if it has one."""
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        signatures = reader.embedded_regular_signatures
    except PARSER_FAILURES:
        return ()
    if not signatures:
        return ()
    cert = signatures[-1].signer_cert
    return () if cert is None else (bytes(cert.dump()),)
