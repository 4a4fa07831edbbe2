"""Before ``edocx augment``: the signatures a PDF carries must still hold.

Validation data and a document timestamp vouch for a file as it is: added
after a change that breaks a signature (a digest that no longer matches, a
broken byte range, a suspicious later revision such as an /OpenAction
script), a document timestamp would give forged content a date. So the file
is verified offline first and refused when a signature or document
timestamp fails its integrity or modification checks. Trust is not judged
here: a signature indeterminate for lack of revocation data, or under a
foreign root, is what augmenting is for.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from edocx.errors import SigningError
from edocx.exchange.verdicts import UNANALYSABLE
from edocx.verification import (
    Indication,
    SignatureReport,
    SubIndication,
    ValidationReport,
    Verdict,
    VerifyOptions,
    verify_pdf,
)
from edocx.verification.report import ModificationClass

logger = logging.getLogger(__name__)

# EN 319 102-1 sub-indications of TOTAL-FAILED that speak of the file itself.
INTEGRITY_FAILURES = frozenset(
    {
        SubIndication.FORMAT_FAILURE,
        SubIndication.HASH_FAILURE,
        SubIndication.SIG_CRYPTO_FAILURE,
    }
)


def refuse_altered(pdf: bytes, trust_root_paths: Sequence[Path]) -> None:
    """Raise ``SigningError`` when a signature of ``pdf`` no longer holds."""
    options = VerifyOptions(
        trust_root_paths=tuple(trust_root_paths), allow_fetching=False
    )
    reasons = alterations(verify_pdf(pdf, options))
    if reasons:
        logger.warning("augmenting refused: %s", "; ".join(reasons))
        raise SigningError(
            "the PDF's signatures do not hold, so nothing was added to it: "
            + "; ".join(reasons),
            hint="check it with edocx verify; ask its sender for an unaltered copy",
        )


def alterations(report: ValidationReport) -> list[str]:
    """Say, per signature, why ``report``'s file may not be augmented."""
    if report.verdict is Verdict.UNUSABLE and not report.signatures:
        first = report.problems[0].message if report.problems else "no details"
        return [f"the file cannot be verified: {first}"]
    found = []
    for signature in report.signatures:
        why = _alteration(signature)
        if why is not None:
            what = signature.kind.value.replace("-", " ")
            found.append(f"{what} {signature.field}: {why}")
    return found


def _alteration(signature: SignatureReport) -> str | None:
    failed = signature.indication is Indication.TOTAL_FAILED
    if failed and signature.sub_indication in INTEGRITY_FAILURES:
        return signature.reasons[0].en if signature.reasons else "it does not hold"
    checks = (
        (signature.intact is False, "the signed bytes have changed"),
        (signature.valid is False, "the signature value does not verify"),
        (signature.byte_range_valid is False, "its byte range is broken"),
        (
            signature.changes_allowed is False
            or signature.modification_class is ModificationClass.SUSPICIOUS,
            "the file was changed after it beyond what a signature allows",
        ),
    )
    for broken, why in checks:
        if broken:
            return why
    # What cannot be analysed cannot be vouched for either.
    return next(
        (r.en for r in signature.reasons if r.en.startswith(UNANALYSABLE)), None
    )
