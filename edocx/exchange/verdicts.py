"""How the exchange acts on the verifier's reports.

A draft may carry signatures the hub cannot trust (a foreign PKI): they are
reported, and the draft is refused only when one of them fails. An issued
document must carry, last, the competent person's signature and the
agency's seal, both passing (domain invariant 3); an earlier foreign
signature may stay indeterminate, never failed.
"""

from __future__ import annotations

from edocx.verification.report import (
    Indication,
    SignatureKind,
    SignatureReport,
    ValidationReport,
    Verdict,
)
from edocx.verification.trust import NO_SIGNATURE_TIMESTAMP

__all__ = [
    "Verdict",
    "issue_refusal",
    "refusal_repeats",
    "signing_refusal",
    "verdict_of",
]

# The personal signature and the seal, applied by the hub in that order.
HUB_SIGNATURES = 2
PERSONAL_SIGNATURES = 1

# How the verifier says that it could not analyse the revisions after a
# signature (edocx/verification/modifications.py). What stops the analysis
# (a field name with a period, a /Kids loop) is in the file itself, so it
# stops again on the revision the seal adds after the personal signature,
# which is then INDETERMINATE and the issue refused.
# TODO(#2): match a structured flag of the report once it has one.
UNANALYSABLE = "the later revisions cannot be analysed"


def verdict_of(report: ValidationReport) -> Verdict:
    """Return the overall verdict of a report."""
    return report.verdict


def issue_refusal(report: ValidationReport, *, untimed_ok: bool = False) -> str | None:
    """Return why an issued document must not be sent, or None when it may.

    ``untimed_ok`` accepts a signature of the hub made at B-B, which nothing
    but its timestamp's absence keeps from passing (the configuration allows
    the level, or a downgrade to it).
    """
    what = "the personal signature or the seal"
    return _refusal(report, HUB_SIGNATURES, what, untimed_ok)


def signing_refusal(
    report: ValidationReport, *, untimed_ok: bool = False
) -> str | None:
    """Return why a freshly signed draft must not be kept, or None when it may.

    The same rule as at issue, one step earlier: the personal signature,
    last, passes and no signature the draft carried before fails. Checked
    here, a draft that signing breaks stays a draft instead of voiding a
    number at every attempt to issue it.
    """
    what = "the personal signature"
    refusal = _refusal(report, PERSONAL_SIGNATURES, what, untimed_ok)
    if refusal is not None:
        return refusal
    return _unanalysable(report)


def _unanalysable(report: ValidationReport) -> str | None:
    for signature in report.signatures:
        for reason in signature.reasons:
            if reason.en.startswith(UNANALYSABLE):
                return (
                    f"the seal would leave the personal signature unverifiable,"
                    f" as signature {signature.field} is: {reason.en}"
                )
    return None


def _refusal(
    report: ValidationReport, own: int, what: str, untimed_ok: bool
) -> str | None:
    signatures = [s for s in report.signatures if s.kind is SignatureKind.SIGNATURE]
    failed = [s for s in signatures if s.indication is Indication.TOTAL_FAILED]
    if failed:
        return _describe(failed[0])
    if report.verdict in (Verdict.FAILED, Verdict.UNUSABLE):
        first = report.problems[0].message if report.problems else "no details"
        return f"the document verifies as {report.verdict.value}: {first}"

    if len(signatures) < own:
        return f"{what} is missing"
    for signature in signatures[-own:]:
        if signature.indication is Indication.TOTAL_PASSED:
            continue
        if not (untimed_ok and _untimed_only(signature)):
            return _describe(signature)
    return None


def refusal_repeats(report: ValidationReport) -> bool:
    """Whether a refused report fails for what the file holds.

    A failed signature or an unusable file stays so; an indeterminate one
    may pass once its revocation data can be had.
    """
    if report.verdict in (Verdict.FAILED, Verdict.UNUSABLE):
        return True
    return any(s.indication is Indication.TOTAL_FAILED for s in report.signatures)


def _untimed_only(signature: SignatureReport) -> bool:
    """Whether only a missing signature timestamp keeps ``signature`` back."""
    return (
        signature.indication is Indication.INDETERMINATE
        and bool(signature.crypto_ok)
        and any(r.en == NO_SIGNATURE_TIMESTAMP for r in signature.reasons)
    )


def _describe(signature: SignatureReport) -> str:
    sub = signature.sub_indication
    text = f"signature {signature.field} is {signature.indication.value}"
    if sub is not None:
        text += f"/{sub.value}"
    if signature.reasons:
        text += f": {signature.reasons[0].en}"
    return text
