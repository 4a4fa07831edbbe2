"""Check an e-duplicate offline, with the issuing body's certificate alone.

1. The QR text kept in the file is read, and its payload must verify with
   the body's certificate and name the code of its own address
   (``duplicateqr.verify_text``); that certificate must be a seal
   (organisation) certificate of the body the payload names, and a
   signature of the file must be that seal (``binding``);
2. given the register record (JSON), its canonical SHA-256 must be the one
   the payload names: the holder of the record learns that this duplicate
   shows that record;
3. every signature of the file must pass, validated offline against the
   trust anchors and the body's certificate.

An offline check says that a duplicate is as issued, not that it was not
revoked since: only the online check (the address in the QR) can.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from pyhanko.pdf_utils.reader import PdfFileReader

from edocx.copies import binding, duplicateqr
from edocx.copies.duplicateqr import DuplicateClaim
from edocx.copies.errors import CopyPayloadError
from edocx.signing.reading import PARSER_FAILURES
from edocx.verification import VerifyOptions, verify_pdf
from edocx.verification.report import ValidationReport, Verdict


@dataclass(frozen=True)
class OfflineCheck:
    """What an offline check found; as issued when ``problems`` is empty."""

    readable: bool
    qr_text: str | None
    claim: DuplicateClaim | None
    problems: tuple[str, ...]
    report: ValidationReport | None
    # The certificate (DER) that signed the payload, when one did.
    signer: bytes | None = None

    @property
    def as_issued(self) -> bool:
        return self.readable and not self.problems


def check_offline(
    pdf: bytes,
    certificates: tuple[bytes, ...],
    trust_roots: tuple[Path, ...],
    *,
    record_sha256: str | None = None,
) -> OfflineCheck:
    """Check ``pdf`` as an e-duplicate with the body's ``certificates`` (DER).

    ``trust_roots`` are certificate files (the anchors, and the body's
    certificate when given as a file); ``record_sha256`` is the digest of
    the register record the holder has, if any.
    """
    # 1. The QR text and its payload.
    try:
        text = duplicateqr.kept_text(PdfFileReader(io.BytesIO(pdf), strict=False))
    except PARSER_FAILURES:
        return OfflineCheck(False, None, None, ("not a readable PDF",), None)
    problems: list[str] = []
    claim, signer = _claim(text, certificates, problems)

    # 2. The record, if the holder gave it.
    if record_sha256 is not None and claim is not None:
        if claim.record_sha256 != record_sha256:
            problems.append("the duplicate shows another register record")

    # 3. The signatures, offline.
    options = VerifyOptions(trust_root_paths=trust_roots, allow_fetching=False)
    report = verify_pdf(pdf, options)
    if report.verdict is not Verdict.PASSED:
        problems.append(f"the signatures do not pass: {report.verdict.value}")
    if signer is not None and not binding.sealed_by(report, signer):
        problems.append("no signature of the file is the body's seal of the payload")
    return OfflineCheck(True, text, claim, tuple(problems), report, signer)


def _claim(
    text: str | None, certificates: tuple[bytes, ...], problems: list[str]
) -> tuple[DuplicateClaim | None, bytes | None]:
    if text is None:
        problems.append("the file keeps no e-duplicate's QR text")
        return None, None
    failure = CopyPayloadError("no certificate of the body was given")
    for der in certificates:
        try:
            claim = duplicateqr.verify_text(text, (der,))
        except CopyPayloadError as e:
            failure = e
            continue
        problem = binding.seal_problem(der, claim.body)
        if problem is not None:
            problems.append(f"QR payload: {problem}")
        return claim, der
    problems.append(f"QR payload: {failure.detail}")
    return None, None
