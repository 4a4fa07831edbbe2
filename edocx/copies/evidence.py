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

from edocx.copies import cose, qr
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

    @property
    def scan_matches(self) -> bool:
        """Whether the first revision is the scan the payload names."""
        return (
            self.claim is not None
            and self.claim.scan_sha256 == self.first_revision_sha256
        )


def examine(pdf: bytes, certificates: tuple[bytes, ...]) -> FileEvidence:
    """Read the QR payload and the first revision's digest of ``pdf``."""
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
        claim = verify_qr_text(text, certificates)
    except CopyPayloadError as e:
        return FileEvidence(text, None, e.detail, digest)
    return FileEvidence(text, claim, None, digest)


def verify_qr_text(text: str, certificates: tuple[bytes, ...]) -> qr.CopyClaim:
    """Return the claim of a QR text whose payload one certificate signed."""
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
        return claim
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
