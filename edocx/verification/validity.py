"""The signer's certificate against the time the signature provably existed.

ETSI EN 319 102-1 judges a signature at its best signature time: the
earliest moment a proof of existence (a trusted signature timestamp, a
document timestamp, or the validation itself) shows the signature existed.
pyHanko's validation with time (§5.5) lets a trusted signature timestamp
clear a signer's certificate that is outside its validity period now, but
only compares that time with the start of the validity period: a
certificate that had already expired when the timestamp was taken passes.
It also reports a certificate that is not yet valid as a general chain
failure, and asks for a signature timestamp (SIG_CONSTRAINTS_FAILURE) where
the standard keeps the current-time sub-indication. The functions here put
those results right; each takes and returns pyHanko's validation results.
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import datetime

from asn1crypto import x509
from pyhanko.sign.ades.report import (
    AdESFailure,
    AdESIndeterminate,
    AdESPassed,
    AdESSubIndic,
)
from pyhanko_certvalidator.errors import NotYetValidError

from edocx.verification.integrity import IntegrityFindings

logger = logging.getLogger(__name__)

# Past signature validation (§5.6.2.4) either passes, proves a failure of
# the chain at the proven time, or leaves the current-time result standing.
PROVEN_FAILURES = frozenset({AdESFailure.REVOKED, AdESFailure.NOT_YET_VALID})


def proven_existence(result: object, at: datetime) -> datetime:
    """The best signature time: the validation time or an earlier proof.

    pyHanko's ``best_signature_time`` holds the signature timestamp's time
    only when that timestamp validated against the anchors.
    """
    best = getattr(result, "best_signature_time", None)
    if isinstance(best, datetime) and best < at:
        return best
    return at


def within_validity(
    findings: IntegrityFindings,
    result: object,
    at: datetime,
    errors: list[BaseException],
) -> object:
    """Fail or hold back a result the signer's validity period contradicts.

    A signature that existed before its certificate's notBefore was not
    made under that certificate: TOTAL-FAILED / NOT_YET_VALID (§5.5.4). One
    whose earliest proof of existence is after notAfter has nothing showing
    it was made while the certificate was valid: INDETERMINATE /
    OUT_OF_BOUNDS_NO_POE, never passed.
    """
    cert = findings.parts.signer_cert if findings.parts else None
    if cert is None:
        return result
    poe = proven_existence(result, at)
    ades = getattr(result, "ades_subindic", None)
    passed = isinstance(ades, AdESPassed)

    if poe < cert.not_valid_before and (passed or _not_yet_valid(cert, errors)):
        return _replaced(
            result,
            AdESFailure.NOT_YET_VALID,
            f"the signature existed at {poe.isoformat()}, before its "
            f"certificate became valid at {cert.not_valid_before.isoformat()}",
        )
    if passed and poe > cert.not_valid_after:
        return _replaced(
            result,
            AdESIndeterminate.OUT_OF_BOUNDS_NO_POE,
            f"the certificate expired at {cert.not_valid_after.isoformat()} and "
            f"the earliest proof that the signature existed is {poe.isoformat()}",
        )
    return result


def without_timestamp_demand(findings: IntegrityFindings, result: object) -> object:
    """Keep the current-time sub-indication of a signature without timestamp.

    With no signature timestamp the best signature time is the validation
    time, and §5.5.4 returns the basic validation's sub-indication (e.g.
    REVOKED_NO_POE); pyHanko answers SIG_CONSTRAINTS_FAILURE instead.
    """
    if findings.token is not None or findings.token_problem is not None:
        return result
    if getattr(result, "ades_subindic", None) is not (
        AdESIndeterminate.SIG_CONSTRAINTS_FAILURE
    ):
        return result
    status = getattr(result, "api_status", None)
    problem = getattr(status, "trust_problem_indic", None)
    if not isinstance(problem, AdESIndeterminate):
        return result
    return _replaced(result, problem, None)


def better_of(current: object, past: object) -> object:
    """The past signature validation's result only if it settles anything."""
    ades = getattr(past, "ades_subindic", None)
    if isinstance(ades, AdESPassed) or ades in PROVEN_FAILURES:
        return past
    return current


def _not_yet_valid(cert: x509.Certificate, errors: list[BaseException]) -> bool:
    """Whether the chain failed only because the signer's certificate is early."""
    for error in errors:
        if not isinstance(error, NotYetValidError) or error.is_side_validation:
            continue
        leaf = error.original_path.leaf
        if isinstance(leaf, x509.Certificate) and leaf.dump() == cert.dump():
            return True
    return False


def _replaced(result: object, ades: AdESSubIndic, message: str | None) -> object:
    if not dataclasses.is_dataclass(result) or isinstance(result, type):
        raise TypeError(f"unexpected validation result {type(result).__name__}")
    before = getattr(result, "ades_subindic", None)
    logger.info("validation result %s replaced by %s", before, ades)
    return dataclasses.replace(result, ades_subindic=ades, failure_msg=message)
