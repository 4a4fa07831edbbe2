"""From findings to an ETSI EN 319 102-1 indication, and to the verdict.

The indication of a signature is decided by the most serious finding, in
this order: a structure that cannot be checked, a digest that does not
match (HASH_FAILURE), a signature value that does not verify
(SIG_CRYPTO_FAILURE), changes after signing beyond what is allowed, a
failure of the chain (REVOKED, NOT_YET_VALID), then everything that leaves
the outcome open (INDETERMINATE). TOTAL-PASSED needs all of: intact, valid,
acceptable later changes, a trusted chain with revocation evidence, and a
sound signature timestamp where there is one.

"Intact" and "valid" alone never make a signature pass: a valid signature
over a revision that later updates changed is a signature over a document
nobody sees any more.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from edocx.verification.integrity import IntegrityFindings
from edocx.verification.report import (
    Indication,
    Problem,
    Severity,
    SignatureKind,
    SignatureReport,
    SubIndication,
    Verdict,
    to_vietnam_time,
)
from edocx.verification.trust import TrustFindings

# EN 319 102-1 Table 5: sub-indications that come with TOTAL-FAILED.
FAILED_SUB_INDICATIONS = frozenset(
    {
        SubIndication.FORMAT_FAILURE,
        SubIndication.HASH_FAILURE,
        SubIndication.SIG_CRYPTO_FAILURE,
        SubIndication.REVOKED,
        SubIndication.NOT_YET_VALID,
    }
)


PLAIN_TRUST_REASONS = {
    SubIndication.NO_CERTIFICATE_CHAIN_FOUND: (
        "the signer's certificate does not chain to a trusted anchor"
    ),
    SubIndication.CERTIFICATE_CHAIN_GENERAL_FAILURE: (
        "the signer's certificate chain could not be validated"
    ),
    SubIndication.CHAIN_CONSTRAINTS_FAILURE: (
        "a certificate in the chain is not allowed for this use"
    ),
    SubIndication.TRY_LATER: (
        "the revocation status of a certificate in the chain is not established"
    ),
    SubIndication.REVOKED: "the signer's certificate was revoked before signing",
    SubIndication.REVOKED_NO_POE: (
        "the signer's certificate is revoked and nothing proves the signature "
        "was made before that"
    ),
    SubIndication.REVOKED_CA_NO_POE: "a CA certificate in the chain is revoked",
    SubIndication.OUT_OF_BOUNDS_NO_POE: (
        "the signer's certificate is outside its validity period and nothing "
        "proves the signature was made within it"
    ),
    SubIndication.NOT_YET_VALID: (
        "the signature was made before the signer's certificate became valid"
    ),
    SubIndication.EXPIRED: "the signer's certificate has expired",
    SubIndication.CRYPTO_CONSTRAINTS_FAILURE: (
        "an algorithm used by the signature or its chain is no longer accepted"
    ),
    SubIndication.CRYPTO_CONSTRAINTS_FAILURE_NO_POE: (
        "an algorithm used is no longer accepted and nothing proves the "
        "signature predates that"
    ),
    SubIndication.NO_POE: (
        "nothing proves the signature existed when its certificates were valid"
    ),
    SubIndication.NO_SIGNING_CERTIFICATE_FOUND: (
        "the signer's certificate is not in the signature"
    ),
}


@dataclass(frozen=True)
class Conclusion:
    indication: Indication
    sub_indication: SubIndication | None
    reasons: tuple[str, ...]


def conclude(findings: IntegrityFindings, trust: TrustFindings) -> Conclusion:
    """Decide the indication of one signature or document timestamp."""
    reasons = list(_failure_reasons(findings))
    decisive = _integrity_failure(findings)
    if decisive is None and trust.sub_indication in FAILED_SUB_INDICATIONS:
        decisive = (trust.sub_indication, _trust_reason(trust))
    if decisive is not None:
        return _failed(decisive, reasons)

    open_question = _open_question(findings, trust)
    if open_question is not None:
        sub, reason = open_question
        return Conclusion(
            Indication.INDETERMINATE, sub, _first(reason, reasons + _notes(trust))
        )
    return Conclusion(
        Indication.TOTAL_PASSED, None, tuple(_pass_notes(findings, trust))
    )


def _integrity_failure(
    findings: IntegrityFindings,
) -> tuple[SubIndication, str] | None:
    # A structure that cannot be checked may still have a digest that
    # provably does not match: that fact wins over "cannot tell".
    failure = findings.failure
    if failure is not None and failure.sub_indication in FAILED_SUB_INDICATIONS:
        return failure.sub_indication, failure.message
    if findings.intact is False:
        return SubIndication.HASH_FAILURE, _hash_reason(findings)
    if findings.valid is False:
        return SubIndication.SIG_CRYPTO_FAILURE, (
            findings.crypto_note or "the signature value does not verify"
        )
    if findings.modifications.problem is not None:
        return SubIndication.FORMAT_FAILURE, findings.modifications.problem
    return None


def _open_question(
    findings: IntegrityFindings, trust: TrustFindings
) -> tuple[SubIndication, str] | None:
    if findings.failure is not None:
        return findings.failure.sub_indication, findings.failure.message
    if findings.modifications.undetermined is not None:
        # EN 319 102-1 has no sub-indication for "the later revisions could
        # not be analysed"; GENERIC as pyHanko uses it.
        return SubIndication.GENERIC, findings.modifications.undetermined
    if trust.sub_indication is not None:
        return trust.sub_indication, _trust_reason(trust)
    token_issue = _token_issue(findings, trust)
    if token_issue is not None:
        return SubIndication.SIG_CONSTRAINTS_FAILURE, token_issue
    return None


def _token_issue(findings: IntegrityFindings, trust: TrustFindings) -> str | None:
    if findings.entry.kind is not SignatureKind.SIGNATURE:
        return None
    if findings.token_problem is not None:
        return findings.token_problem
    token = findings.token
    if token is None:
        return None
    if not (token.intact and token.valid):
        return "the signature timestamp does not verify" + (
            f" ({token.note})" if token.note else ""
        )
    if trust.timestamp_trusted is False:
        return "the signature timestamp is not from a trusted timestamp authority"
    return None


def _failure_reasons(findings: IntegrityFindings) -> Iterable[str]:
    """Secondary findings worth recording next to the decisive one."""
    problem = findings.modifications.problem
    if problem is not None and (findings.intact is False or findings.valid is False):
        yield problem


def _failed(decisive: tuple[SubIndication, str], reasons: list[str]) -> Conclusion:
    sub, reason = decisive
    return Conclusion(Indication.TOTAL_FAILED, sub, _first(reason, reasons))


def _first(reason: str, others: Iterable[str]) -> tuple[str, ...]:
    return (reason, *(r for r in others if r != reason))


def _hash_reason(findings: IntegrityFindings) -> str:
    if findings.entry.kind is SignatureKind.DOCUMENT_TIMESTAMP:
        return "the document timestamp does not match the revision it covers"
    return "the signed bytes have changed: their digest differs from the signed one"


def _trust_reason(trust: TrustFindings) -> str:
    plain = PLAIN_TRUST_REASONS.get(trust.sub_indication)  # type: ignore[arg-type]
    detail = trust.explanation
    if plain is None:
        return detail or f"trust validation ended in {trust.sub_indication}"
    if detail is None or detail == plain:
        return plain
    return f"{plain} ({detail})"


def _notes(trust: TrustFindings) -> list[str]:
    if trust.revocation.revoked_at is not None:
        return [f"the certificate was revoked at {trust.revocation.revoked_at}"]
    return []


def _pass_notes(findings: IntegrityFindings, trust: TrustFindings) -> list[str]:
    notes = ["the signed bytes are unchanged and the signature value verifies"]
    level = findings.modifications.level
    if findings.modifications.note is not None:
        notes.append(findings.modifications.note)
    elif level is not None and level.name != "NONE":
        notes.append(
            "later revisions only add signatures, timestamps or validation data"
        )
    notes.append(
        "the certificate chains to a trusted anchor; revocation status "
        f"{trust.revocation.status} ({trust.revocation.source} evidence)"
    )
    if trust.validated_at is not None:
        notes.append(
            "validated at "
            f"{to_vietnam_time(trust.validated_at)}, the time its signature "
            "timestamp proves: the revocation evidence in the document was "
            "current then and has since expired"
        )
    return notes


def overall_verdict(
    signatures: Iterable[SignatureReport], problems: Iterable[Problem]
) -> Verdict:
    """Fold the per-signature indications and file problems into one verdict."""
    signatures = list(signatures)
    if any(s.indication is Indication.TOTAL_FAILED for s in signatures):
        return Verdict.FAILED
    if not any(s.kind is SignatureKind.SIGNATURE for s in signatures):
        return Verdict.UNUSABLE
    blocking = any(p.severity is Severity.ERROR for p in problems)
    if blocking or any(not s.passed for s in signatures):
        return Verdict.INDETERMINATE
    return Verdict.PASSED
