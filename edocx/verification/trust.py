"""Trust: chain to the configured anchors, revocation and time.

Signatures go through pyHanko's implementation of the ETSI EN 319 102-1
validation for signatures with long-term validation material (§5.6.3,
``ades_lta_validation``): validation at the current time, then past
signature validation from the best proven signing time, using the document
timestamps as evidence records. Document timestamps go through the
timestamp validation of §5.4. Whatever path a signature's result takes, the
signer's certificate is last held against the time the signature provably
existed (see validity.py). Revocation is checked through OCSP or CRL:
offline only with the evidence the document carries (PAdES B-LT), online
also by asking the responders the certificates name.

A signature passes only if its signer's certificate chains to a configured
anchor and some OCSP response or CRL vouches for it: without revocation
evidence it is INDETERMINATE (TRY_LATER), whatever the revocation mode says
about certificates that name no responder.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from asn1crypto import cms, x509
from pyhanko.sign.ades.report import AdESIndeterminate, AdESPassed, AdESSubIndic
from pyhanko.sign.diff_analysis import DEFAULT_DIFF_POLICY
from pyhanko.sign.validation.ades import (
    ades_lta_validation,
    ades_timestamp_validation,
    ades_with_time_validation,
)
from pyhanko.sign.validation.policy_decl import (
    CertificateFetchingRule,
    PdfSignatureValidationSpec,
    RevinfoOnlineFetchingRule,
    RevocationInfoGatheringSpec,
    SignatureValidationSpec,
)
from pyhanko.sign.validation.settings import KeyUsageConstraints
from pyhanko.sign.validation.status import PdfSignatureStatus
from pyhanko_certvalidator.context import CertValidationPolicySpec
from pyhanko_certvalidator.errors import InsufficientRevinfoError, StaleRevinfoError
from pyhanko_certvalidator.ltv.types import ValidationTimingInfo
from pyhanko_certvalidator.policy_decl import (
    REQUIRE_REVINFO,
    CertRevTrustPolicy,
    RevocationCheckingPolicy,
)
from pyhanko_certvalidator.registry import SimpleTrustManager

from edocx.verification.evidence import (
    DocumentEvidence,
    leaf_revocation,
    with_freshness,
)
from edocx.verification.integrity import IntegrityFindings
from edocx.verification.report import (
    RevocationReport,
    RevocationStatus,
    SignatureKind,
    SubIndication,
)
from edocx.verification.validity import (
    better_of,
    within_validity,
    without_timestamp_demand,
)

logger = logging.getLogger(__name__)

TRUST_INCOMPLETE = (
    "trust validation could not complete: the signature's structure is not "
    "one the validator can follow"
)
# pyHanko's words when a signature without signature timestamp cannot rest on
# the validation time alone, and ours.
PYHANKO_NO_TIMESTAMP = "No signature timestamp present"
NO_SIGNATURE_TIMESTAMP = (
    "the signature has no signature timestamp, so nothing proves when it was "
    "made and the signer's certificate cannot be confirmed for that time"
)
DAMAGED_SIGNATURE_TIMESTAMP = (
    "the signature timestamp is damaged and does not verify, so it proves "
    "nothing: nothing proves when the signature was made and the signer's "
    "certificate cannot be confirmed for that time"
)
REVOCATION_MODES = {
    "hard-fail": RevocationCheckingPolicy.from_legacy("hard-fail"),
    "require": REQUIRE_REVINFO,
}
# Current-time results that proof of existence in the past may improve
# (EN 319 102-1 §5.6.2.4).
PAST_VALIDATION_MAY_HELP = frozenset(
    {
        AdESIndeterminate.REVOKED_NO_POE,
        AdESIndeterminate.REVOKED_CA_NO_POE,
        AdESIndeterminate.OUT_OF_BOUNDS_NO_POE,
        AdESIndeterminate.OUT_OF_BOUNDS_NOT_REVOKED,
        AdESIndeterminate.REVOCATION_OUT_OF_BOUNDS_NO_POE,
        AdESIndeterminate.CRYPTO_CONSTRAINTS_FAILURE_NO_POE,
        AdESIndeterminate.TRY_LATER,
    }
)
SIGNER_KEY_USAGE = KeyUsageConstraints(
    key_usage=frozenset({"digital_signature", "non_repudiation"}),
    match_all_key_usages=False,
)
# Sub-indications pyHanko gives when revocation evidence is simply missing.
UNSPECIFIC = frozenset(
    {SubIndication.CERTIFICATE_CHAIN_GENERAL_FAILURE, SubIndication.NO_POE}
)
REVOKED = frozenset(
    {
        SubIndication.REVOKED,
        SubIndication.REVOKED_NO_POE,
        SubIndication.REVOKED_CA_NO_POE,
    }
)
# Outcomes of a path that was not validated: whatever the builder put
# together (e.g. an issuer found by name only) is no certification path.
PATH_NOT_VALIDATED = frozenset(
    {
        SubIndication.NO_CERTIFICATE_CHAIN_FOUND,
        SubIndication.CERTIFICATE_CHAIN_GENERAL_FAILURE,
        SubIndication.CHAIN_CONSTRAINTS_FAILURE,
        SubIndication.CRYPTO_CONSTRAINTS_FAILURE,
        SubIndication.GENERIC,
    }
)


@dataclass(frozen=True)
class TrustSetup:
    roots: tuple[x509.Certificate, ...]
    allow_fetching: bool
    revocation_mode: str
    at: datetime


@dataclass(frozen=True)
class TrustFindings:
    sub_indication: SubIndication | None
    explanation: str | None = None
    revocation: RevocationReport = field(default_factory=RevocationReport)
    # Whether the signature timestamp (or the document timestamp token)
    # chains to an anchor; None when there is none.
    timestamp_trusted: bool | None = None
    # Set when the signature was validated at the time its signature
    # timestamp proves rather than now (see _validate_at_signature_timestamp).
    validated_at: datetime | None = None
    # Subjects from the signer's certificate to the trust anchor's, as the
    # validator built the path; empty when it found none.
    certification_path: tuple[str, ...] = ()
    trust_anchor: str | None = None

    @property
    def passed(self) -> bool:
        return self.sub_indication is None


async def assess_trust(
    findings: IntegrityFindings,
    evidence: DocumentEvidence,
    setup: TrustSetup,
    errors: list[BaseException],
) -> TrustFindings:
    """Validate one signature's chain, revocation and time against the anchors.

    ``errors`` is the list :func:`captured_library_errors` fills.
    """
    if not setup.roots:
        return TrustFindings(
            SubIndication.NO_CERTIFICATE_CHAIN_FOUND,
            "no trust anchors are configured",
        )
    errors.clear()
    try:
        moment: datetime | None = None
        if findings.entry.kind is SignatureKind.SIGNATURE:
            result, moment = await _validate_signature(findings, evidence, setup)
            result = within_validity(findings, result, setup.at, errors)
        else:
            result = await _validate_timestamp(findings, evidence, setup)
    except Exception:
        # The library's own words (an AttributeError, a parser message) mean
        # nothing to a reader: the detail goes to the log only.
        logger.warning(
            "trust validation of signature %r could not complete",
            findings.entry.field_name,
        )
        logger.debug("trust validation failure", exc_info=True)
        return TrustFindings(SubIndication.GENERIC, TRUST_INCOMPLETE)
    found = _interpret(findings, result, evidence, errors, setup.roots)
    revocation = with_freshness(found.revocation, moment or setup.at)
    return replace(found, validated_at=moment, revocation=revocation)


async def _validate_signature(
    findings: IntegrityFindings, evidence: DocumentEvidence, setup: TrustSetup
) -> tuple[object, datetime | None]:
    """EN 319 102-1 §5.5 first; past signature validation (§5.6) if needed.

    NOTE: pyHanko's LTA process also runs past signature validation when the
    current-time result already PASSED, and lets a failure there override
    it (e.g. for revocation data fetched just now, which has no earlier
    proof of existence). The standard keeps a PASSED current-time result,
    so it is kept here.
    """
    embedded = findings.embedded
    if embedded is None or findings.modifications.coverage is None:
        raise ValueError("the signature could not be placed in the file")
    spec = _spec(setup, evidence)
    sound = _timestamp_sound(findings)
    with_time = await ades_with_time_validation(
        embedded.signed_data if sound else _without_timestamp(embedded.signed_data),
        spec,
        timing_info=_timing(setup),
        raw_digest=embedded.compute_digest(),
        extra_status_kwargs=embedded.summarise_integrity_info(),
        status_cls=PdfSignatureStatus,
    )
    current = without_timestamp_demand(findings, with_time)
    sub = current.ades_subindic  # type: ignore[attr-defined]
    if not isinstance(sub, AdESIndeterminate):
        return current, None
    best = current
    if not sound:
        # TODO(#3): past validation from the document timestamps alone;
        # pyHanko's LTA process reads the damaged token again and fails on it.
        return best, None
    if sub in PAST_VALIDATION_MAY_HELP:
        pdf_spec = PdfSignatureValidationSpec(spec, diff_policy=DEFAULT_DIFF_POLICY)
        past = await ades_lta_validation(embedded, pdf_spec, timing_info=_timing(setup))
        if isinstance(past.ades_subindic, AdESPassed):
            return past, None
        best = better_of(current, past)
    at_timestamp = await _validate_at_signature_timestamp(findings, evidence, setup)
    if at_timestamp is None:
        return best, None
    assert findings.token is not None
    return at_timestamp, findings.token.time


def _timestamp_sound(findings: IntegrityFindings) -> bool:
    """Whether the signature timestamp, if any, verifies (intact, valid)."""
    token = findings.token
    if findings.token_problem is not None:
        return False
    return token is None or (token.intact and token.valid)


def _without_timestamp(signed_data: cms.SignedData) -> cms.SignedData:
    """The signature without its signature timestamp, for validation.

    A timestamp that does not verify proves nothing (EN 319 102-1: no proof
    of existence), so the signature is judged as if it had none; the
    damaged token itself is reported from the integrity checks. Removing an
    unsigned attribute leaves the signature value untouched.
    """
    copy = signed_data.copy()
    for signer_info in copy["signer_infos"]:
        kept = [
            attr
            for attr in signer_info["unsigned_attrs"]
            if attr["type"].native != "signature_time_stamp_token"
        ]
        signer_info["unsigned_attrs"] = cms.CMSAttributes(kept) if kept else None
    return copy


async def _validate_at_signature_timestamp(
    findings: IntegrityFindings, evidence: DocumentEvidence, setup: TrustSetup
) -> object | None:
    """Validate at the time the signature timestamp proves; None if it fails.

    A PAdES B-LT document carries the OCSP responses and CRLs that were
    current when it was signed. Once they expire (an OCSP response lives
    minutes to days), validation at the current time can only say
    TRY_LATER, and pyHanko's past signature validation does not yet take
    the signature timestamp as proof that this evidence existed then. The
    signature timestamp, itself validated at its own time against the same
    anchors, proves the signature existed at ``gen_time``: the chain and the
    revocation status are then judged at that moment with the evidence the
    document carries, which is what EN 319 102-1 past signature validation
    concludes for a B-LT signature whose evidence was fresh at signing time.
    A certificate revoked before that moment still fails.
    """
    token = findings.token
    embedded = findings.embedded
    if token is None or embedded is None or not (token.intact and token.valid):
        return None
    moment = token.time
    spec = _spec(replace(setup, at=moment), evidence)
    result = await ades_with_time_validation(
        embedded.signed_data,
        spec,
        timing_info=ValidationTimingInfo(
            validation_time=moment,
            best_signature_time=moment,
            point_in_time_validation=True,
        ),
        raw_digest=embedded.compute_digest(),
        extra_status_kwargs=embedded.summarise_integrity_info(),
        status_cls=PdfSignatureStatus,
    )
    timestamp = getattr(result.api_status, "timestamp_validity", None)
    if not isinstance(result.ades_subindic, AdESPassed):
        return None
    if timestamp is None or not (timestamp.intact and timestamp.valid):
        return None
    if not timestamp.trusted:
        return None
    logger.info("validated at the signature timestamp's time %s", moment)
    return result


async def _validate_timestamp(
    findings: IntegrityFindings, evidence: DocumentEvidence, setup: TrustSetup
) -> object:
    # TODO(#2): validate older document timestamps in the past (EN 319 102-1
    # §5.6.2) so that an LTA chain stays valid after a TSA certificate
    # expires; today they are validated at the current time only.
    if findings.parts is None or findings.imprint is None:
        raise ValueError("the timestamp token could not be read")
    return await ades_timestamp_validation(
        findings.parts.signed_data,
        _spec(setup, evidence),
        findings.imprint,
        timing_info=_timing(setup),
    )


def _spec(setup: TrustSetup, evidence: DocumentEvidence) -> SignatureValidationSpec:
    # Certificates named by the file (AIA caIssuers) are never fetched: those
    # addresses are chosen by whoever made the file.
    fetching = RevocationInfoGatheringSpec(
        online_fetching_rule=(
            RevinfoOnlineFetchingRule.NO_HISTORICAL_FETCH
            if setup.allow_fetching
            else RevinfoOnlineFetchingRule.LOCAL_ONLY
        ),
        certificate_fetching_rule=CertificateFetchingRule.NEVER_FETCH,
    )
    policy = CertValidationPolicySpec(
        trust_manager=SimpleTrustManager.build(trust_roots=list(setup.roots)),
        revinfo_policy=CertRevTrustPolicy(REVOCATION_MODES[setup.revocation_mode]),
    )
    return SignatureValidationSpec(
        cert_validation_policy=policy,
        revinfo_gathering_policy=fetching,
        local_knowledge=evidence.knowledge(setup.at),
        # A signer's key must be certified for signing (RFC 5280 §4.2.1.3);
        # pyHanko checks no key usage unless told.
        key_usage_settings=SIGNER_KEY_USAGE,
    )


def _timing(setup: TrustSetup) -> ValidationTimingInfo:
    return ValidationTimingInfo(
        validation_time=setup.at,
        best_signature_time=setup.at,
        point_in_time_validation=False,
    )


def _interpret(
    findings: IntegrityFindings,
    result: object,
    evidence: DocumentEvidence,
    errors: list[BaseException],
    roots: tuple[x509.Certificate, ...],
) -> TrustFindings:
    ades: AdESSubIndic = result.ades_subindic  # type: ignore[attr-defined]
    status = result.api_status  # type: ignore[attr-defined]
    sub = None if isinstance(ades, AdESPassed) else _sub_indication(ades)
    explanation = _explain(errors) or result.failure_msg  # type: ignore[attr-defined]

    # Revocation: the validator's verdict first, then the evidence itself.
    revocation = _revocation(findings, result, evidence, status, sub)
    if sub is not None and _self_signed_unanchored(findings, roots):
        # A self-signed certificate that is not an anchor is issued by no one
        # the verifier trusts, whatever its name: pyHanko calls it a
        # constraints failure, or builds a "path" through a certificate of
        # the same name and then finds that path broken or its revocation
        # status unknown.
        sub, explanation = SubIndication.NO_CERTIFICATE_CHAIN_FOUND, None
    elif sub is None and revocation.status is RevocationStatus.UNKNOWN:
        sub = SubIndication.TRY_LATER
        explanation = "no OCSP response or CRL vouches for the signer's certificate"
    elif sub in UNSPECIFIC and _missing_revinfo(errors):
        sub = SubIndication.TRY_LATER
    if explanation == PYHANKO_NO_TIMESTAMP:
        # pyHanko saw no timestamp: either there is none, or the damaged one
        # was set aside (see _without_timestamp).
        sound = _timestamp_sound(findings)
        explanation = NO_SIGNATURE_TIMESTAMP if sound else DAMAGED_SIGNATURE_TIMESTAMP

    return TrustFindings(
        sub_indication=sub,
        explanation=None if sub is None else explanation,
        revocation=revocation,
        timestamp_trusted=_timestamp_trusted(findings, status, sub),
        **({} if sub in PATH_NOT_VALIDATED else _path(status)),
    )


def _revocation(
    findings: IntegrityFindings,
    result: object,
    evidence: DocumentEvidence,
    status: object,
    sub: SubIndication | None,
) -> RevocationReport:
    cert = findings.parts.signer_cert if findings.parts else None
    objects = list(result.validation_objects)  # type: ignore[attr-defined]
    found = (
        leaf_revocation(cert, objects, evidence.digests)
        if cert is not None
        else RevocationReport()
    )

    # The validator's word on a revocation comes first...
    details = getattr(status, "revocation_details", None)
    if details is not None:
        revoked = {
            "status": RevocationStatus.REVOKED,
            "revoked_at": details.revocation_date,
            "reason": str(details.revocation_reason.native),
        }
        return found.model_copy(update=revoked)
    if sub in REVOKED:
        return found.model_copy(update={"status": RevocationStatus.REVOKED})

    # ... and evidence it did not accept proves nothing either way: a forged
    # response can say anything.
    return found if sub is None else RevocationReport()


def _timestamp_trusted(
    findings: IntegrityFindings, status: object, sub: SubIndication | None
) -> bool | None:
    if findings.entry.kind is SignatureKind.DOCUMENT_TIMESTAMP:
        return sub is None
    tst = getattr(status, "timestamp_validity", None)
    if tst is None:
        return None if findings.token is None else False
    return bool(tst.trusted)


def _path(status: object) -> dict[str, Any]:
    """The certification path the validator built, signer first."""
    path = getattr(status, "validation_path", None)
    if path is None:
        return {}
    try:
        certs = list(path.iter_certs(include_root=True))
        anchor = path.trust_anchor.authority.name.human_friendly
    except Exception as e:
        logger.info("certification path not reported: %s", e)
        return {}
    if not all(cert.ca for cert in certs[:-1]):
        # Only CAs issue certificates: a path through anything else was
        # assembled by name and never validated.
        return {}
    subjects = tuple(cert.subject.human_friendly for cert in reversed(certs))
    return {"certification_path": subjects, "trust_anchor": anchor}


def _self_signed_unanchored(
    findings: IntegrityFindings, roots: tuple[x509.Certificate, ...]
) -> bool:
    cert = findings.parts.signer_cert if findings.parts else None
    if cert is None or cert.self_signed == "no":
        return False
    return all(cert.dump() != root.dump() for root in roots)


def _sub_indication(ades: AdESSubIndic) -> SubIndication:
    try:
        return SubIndication(ades.standard_name)
    except ValueError:
        return SubIndication.GENERIC


def _missing_revinfo(errors: list[BaseException]) -> bool:
    return any(
        isinstance(e, (InsufficientRevinfoError, StaleRevinfoError))
        for error in errors
        for e in _chain(error)
    )


def _explain(errors: list[BaseException]) -> str | None:
    for error in errors:
        for e in _chain(error):
            message = getattr(e, "failure_msg", None)
            if message:
                return str(message)
    return None


def _chain(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


class _ErrorCapture(logging.Handler):
    """Keep the exceptions pyHanko logs while it validates (it returns none)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.errors: list[BaseException] = []

    def emit(self, record: logging.LogRecord) -> None:
        logger.debug("pyHanko: %s", record.getMessage())
        if record.exc_info and record.exc_info[1] is not None:
            self.errors.append(record.exc_info[1])


@contextmanager
def captured_library_errors() -> Iterator[list[BaseException]]:
    """Keep pyHanko's warnings for the report instead of the log.

    NOTE: pyHanko reports each validation failure as a WARNING with a
    traceback and returns only a summary; the report says what failed, so
    the records are kept here (their text goes to DEBUG). The level is forced
    so that a quieter logging configuration cannot hide them from us.
    """
    handler = _ErrorCapture()
    library_logger = logging.getLogger("pyhanko")
    saved = (library_logger.level, library_logger.propagate)
    # Instead of the handlers the logging configuration gave it (the command
    # line's writes to stderr), not beside them.
    handlers = library_logger.handlers[:]
    library_logger.handlers[:] = [handler]
    library_logger.setLevel(logging.WARNING)
    library_logger.propagate = False
    try:
        yield handler.errors
    finally:
        library_logger.handlers[:] = handlers
        library_logger.setLevel(saved[0])
        library_logger.propagate = saved[1]
