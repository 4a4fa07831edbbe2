"""The comparison points: pyHanko alone, with the same keys, TSA and roots.

These run in a thread of the bench process (pyHanko's synchronous calls
start an event loop of their own), while the hub under test runs its
workers in other processes.
"""

from __future__ import annotations

from collections.abc import Sequence
from io import BytesIO

from asn1crypto import x509
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko.sign.timestamps import HTTPTimeStamper
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko_certvalidator import ValidationContext


def sign_b_lt(
    pdf: bytes,
    signer: signers.SimpleSigner,
    tsa_url: str,
    roots: Sequence[x509.Certificate],
    extra: Sequence[x509.Certificate],
) -> bytes:
    """Add one PAdES B-LT approval signature, as pyHanko's own docs do."""
    meta = signers.PdfSignatureMetadata(
        field_name="Signature-bench",
        subfilter=SigSeedSubFilter.PADES,
        embed_validation_info=True,
        validation_context=ValidationContext(
            trust_roots=list(roots), other_certs=list(extra), allow_fetching=True
        ),
    )
    writer = IncrementalPdfFileWriter(BytesIO(pdf), strict=False)
    out = signers.sign_pdf(
        writer, meta, signer=signer, timestamper=HTTPTimeStamper(tsa_url)
    )
    signed: bytes = out.getvalue()
    return signed


def validate_offline(pdf: bytes, roots: Sequence[x509.Certificate]) -> bool:
    """Validate every signature with one context per document, no fetching."""
    reader = PdfFileReader(BytesIO(pdf))
    dss = DocumentSecurityStore.read_dss(reader)
    context = dss.as_validation_context(
        {"trust_roots": list(roots), "allow_fetching": False}
    )
    statuses = [
        validate_pdf_signature(sig, signer_validation_context=context)
        for sig in reader.embedded_signatures
    ]
    return bool(statuses) and all(s.bottom_line for s in statuses)
