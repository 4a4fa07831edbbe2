"""The signatures a draft already carries, found without trusting the file.

A draft may arrive signed, by a foreign signer for instance, and such a
draft is never rewritten (see ``drafts``). What counts as a signature is
what the hub's verifier counts (``edocx.verification.document``): a filled
signature field holding a signature or a document timestamp. A reserved
placeholder, whose /Contents is empty or all zeros, is not one: nothing was
signed, and the draft is prepared like any unsigned one.

A signature whose container cannot even be decoded is refused as invalid at
the door: the verifier would fail it, and every document issued from the
draft with it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature

from edocx.errors import PDFUnusableError, VerificationError
from edocx.signing.reading import PARSER_FAILURES, brief_reason
from edocx.verification.document import SignatureEntry, scan_signature_fields
from edocx.verification.report import Severity

logger = logging.getLogger(__name__)

# A field whose value is not a readable signature dictionary is a broken
# signature; the other blocking problems are about the form as a whole.
BROKEN_SIGNATURE_PROBLEMS = frozenset({"malformed-signature-field"})
BROKEN_SIGNATURE_HINT = (
    "upload the draft without the broken signature, or as its signer sent it"
)


@dataclass(frozen=True)
class CarriedSignatures:
    """What the hub needs to know of the signatures a draft carries."""

    count: int
    certified: bool


def carried_signatures(reader: PdfFileReader) -> list[SignatureEntry]:
    """List the signatures and document timestamps in the draft's fields.

    Raises ``VerificationError`` for a signature field that cannot be read
    and ``PDFUnusableError`` when the form cannot be examined.
    """
    try:
        scan = scan_signature_fields(reader)
    except PARSER_FAILURES as e:
        raise PDFUnusableError(
            f"the PDF's form fields cannot be read: {brief_reason(e)}",
            hint="export the document to PDF again and upload the new file",
        ) from e

    for problem in scan.problems:
        if problem.severity is not Severity.ERROR:
            continue
        where = f" in field {problem.field_name!r}" if problem.field_name else ""
        if problem.code in BROKEN_SIGNATURE_PROBLEMS:
            raise VerificationError(
                f"a signature on the draft is broken{where}: {problem.message}",
                hint=BROKEN_SIGNATURE_HINT,
            )
        raise PDFUnusableError(
            f"the draft's form cannot be examined: {problem.message}"
        )
    return scan.entries


def decode_signatures(
    reader: PdfFileReader, entries: list[SignatureEntry]
) -> CarriedSignatures:
    """Decode each signature's container; refuse the draft if one does not.

    Raises ``VerificationError`` naming the first signature that cannot be
    decoded.
    """
    certified = False
    for entry in entries:
        certified = _decode(reader, entry) or certified
    return CarriedSignatures(count=len(entries), certified=certified)


def _decode(reader: PdfFileReader, entry: SignatureEntry) -> bool:
    """Decode one signature; return whether it is a certification signature."""
    try:
        embedded = EmbeddedPdfSignature(reader, entry.field, entry.field_name)
        return embedded.docmdp_level is not None
    except MemoryError:
        raise
    except Exception as e:
        # Any failure of the decoder, whatever its type, means the same to
        # the uploader: this signature cannot be checked, so it does not hold.
        logger.info(
            "signature %r on an uploaded draft does not decode: %s",
            entry.field_name,
            type(e).__name__,
        )
        raise VerificationError(
            f"signature {entry.field_name!r} on the draft cannot be decoded: "
            f"{brief_reason(e)}",
            hint=BROKEN_SIGNATURE_HINT,
        ) from e
