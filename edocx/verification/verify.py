"""Verify the signatures of a PDF and build the validation report.

:func:`verify_pdf` is a pure synchronous function meant for a worker
process (:mod:`edocx.workers.pool` bounds its time and memory). It never
raises on a bad file: an unreadable, malformed or hostile PDF yields a
report with the verdict UNUSABLE or FAILED and a plain reason.
:func:`require_passing` is the gate for code that must not go on with a
document whose signatures do not pass.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from asn1crypto import x509

from edocx.errors import ConfigurationError, VerificationError
from edocx.verification.cache import verification_caches
from edocx.verification.diffpolicy import uncovered_content
from edocx.verification.document import (
    OpenedDocument,
    UnusableDocumentError,
    document_digest,
    open_document,
)
from edocx.verification.evidence import DocumentEvidence, read_dss, signer_evidence
from edocx.verification.indication import conclude, overall_verdict
from edocx.verification.integrity import (
    IntegrityFindings,
    check_integrity,
    settle_later_changes,
)
from edocx.verification.level import signature_levels
from edocx.verification.report import (
    Problem,
    Severity,
    SignatureKind,
    SignatureReport,
    SubIndication,
    UncoveredReport,
    ValidationPolicy,
    ValidationReport,
    Verdict,
)
from edocx.verification.summary import summarise
from edocx.verification.trust import (
    REVOCATION_MODES,
    TrustFindings,
    TrustSetup,
    assess_trust,
    captured_library_errors,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class VerifyOptions:
    """How to verify; picklable, so it can cross into a worker process."""

    trust_root_paths: tuple[Path, ...]
    allow_fetching: bool
    password: str | None = field(default=None, repr=False)
    # "hard-fail": revocation is checked wherever a certificate names a
    # responder, and missing evidence is never accepted; "require": every
    # certificate in the chain needs evidence.
    revocation_mode: str = "hard-fail"

    def __post_init__(self) -> None:
        if self.revocation_mode not in REVOCATION_MODES:
            raise ValueError(
                f"revocation_mode must be one of {sorted(REVOCATION_MODES)}, "
                f"not {self.revocation_mode!r}"
            )


def verify_pdf(
    pdf: bytes, options: VerifyOptions, *, at: datetime | None = None
) -> ValidationReport:
    """Verify every signature and document timestamp of ``pdf``.

    Steps: 1. load the trust anchors; 2. open the file and find the
    signatures; 3. check each one's integrity; 4. check each one's trust;
    5. conclude. ``at`` is the validation time (default: now).
    """
    at = (at or datetime.now(UTC)).astimezone(UTC)

    # 1. Anchors are configuration: a bad one is the operator's error.
    roots = _load_roots(options.trust_root_paths)
    policy = ValidationPolicy(
        trust_anchors=tuple(root.subject.human_friendly for root in roots),
        allow_fetching=options.allow_fetching,
        revocation_mode=options.revocation_mode,
    )
    setup = TrustSetup(roots, options.allow_fetching, options.revocation_mode, at)
    try:
        with verification_caches():
            return _verify(pdf, options, setup, policy)
    except Exception:
        # Last line of defence: a parser bug must not become a crash. The
        # exception's text is for the log only: it may quote the file.
        logger.exception("verification failed unexpectedly")
        message = (
            "the verifier could not finish examining this file; it is not vouched for"
        )
        return _unusable(pdf, policy, at, "internal-error", message)


def _verify(
    pdf: bytes, options: VerifyOptions, setup: TrustSetup, policy: ValidationPolicy
) -> ValidationReport:
    # 2. Open.
    try:
        doc = open_document(pdf, options.password)
    except UnusableDocumentError as e:
        logger.info("document unusable: %s", e.code)
        return _unusable(
            pdf, policy, setup.at, e.code, e.message, encrypted=e.encrypted
        )

    # 3. and 4. Integrity, then trust, per signature.
    with captured_library_errors() as errors:
        findings = [check_integrity(doc, entry) for entry in doc.entries]
        settle_later_changes(findings)
        dss = read_dss(doc.reader)
        trust = _run(_assess_all(findings, dss, setup, errors))

    # 5. Conclude.
    levels = signature_levels(doc, findings, dss)
    reports = [
        summarise(f, t, conclude(f, t), level)
        for f, t, level in zip(findings, trust, levels, strict=True)
    ]
    problems = list(doc.problems)
    if dss.problem:
        problems.append(
            Problem(
                code="dss-unreadable", message=dss.problem, severity=Severity.WARNING
            )
        )
    return _report(doc, reports, problems, policy, setup.at)


async def _assess_all(
    findings: list[IntegrityFindings],
    dss: DocumentEvidence,
    setup: TrustSetup,
    errors: list[BaseException],
) -> list[TrustFindings]:
    results = []
    for item in findings:
        if not item.crypto_ok or item.parts is None:
            results.append(_not_assessed())
            continue
        parts = item.parts
        own = signer_evidence(
            parts.signer_info, (parts.signer_cert, *parts.other_certs)
        )
        results.append(await assess_trust(item, dss.merged(own), setup, errors))
    return results


def _not_assessed() -> TrustFindings:
    return TrustFindings(
        SubIndication.GENERIC,
        "trust was not evaluated: the signature itself does not hold",
    )


def _run(coro: object) -> list[TrustFindings]:
    """Run the trust checks; in a thread if the caller has an event loop."""
    # Not from inside the ``except``: every error the checks raise, and log
    # with its traceback, would carry "no running event loop" as its context.
    if not _loop_running():
        return asyncio.run(coro)  # type: ignore[arg-type]
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()  # type: ignore[arg-type]


def _loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _report(
    doc: OpenedDocument,
    signatures: list[SignatureReport],
    problems: list[Problem],
    policy: ValidationPolicy,
    at: datetime,
) -> ValidationReport:
    if not any(s.kind is SignatureKind.SIGNATURE for s in signatures):
        problems.append(
            Problem(code="no-signature", message="the document carries no signature")
        )
    verdict = overall_verdict(signatures, problems)
    logger.info(
        "verified document sha256=%s: %s (%d signature(s))",
        doc.sha256,
        verdict,
        len(signatures),
    )
    return ValidationReport(
        verdict=verdict,
        document_sha256=doc.sha256,
        document_size=doc.size,
        revision_count=doc.revisions,
        encrypted=doc.encrypted,
        uncovered=_uncovered(doc, signatures),
        signatures=tuple(signatures),
        problems=tuple(problems),
        policy=policy,
        validated_at=at,
    )


def _uncovered(
    doc: OpenedDocument, signatures: list[SignatureReport]
) -> UncoveredReport | None:
    signed = [
        s.signed_revision
        for s in signatures
        if s.crypto_ok and s.signed_revision is not None
    ]
    try:
        return uncovered_content(doc.reader, doc.data, signed)
    except Exception as e:
        logger.info("uncovered content cannot be determined: %s", e)
        return None


def _unusable(
    pdf: bytes,
    policy: ValidationPolicy,
    at: datetime,
    code: str,
    message: str,
    *,
    encrypted: bool = False,
) -> ValidationReport:
    return ValidationReport(
        verdict=Verdict.UNUSABLE,
        document_sha256=document_digest(pdf),
        document_size=len(pdf),
        encrypted=encrypted,
        problems=(Problem(code=code, message=message),),
        policy=policy,
        validated_at=at,
    )


def _load_roots(paths: tuple[Path, ...]) -> tuple[x509.Certificate, ...]:
    from edocx.pki.trust import load_certs

    try:
        return tuple(load_certs(paths))
    except ConfigurationError:
        raise
    except Exception as e:
        raise ConfigurationError(f"cannot load the trust anchors: {e}") from e


def require_passing(report: ValidationReport, *, allow_unsigned: bool) -> None:
    """Raise :class:`VerificationError` unless the report lets the document on.

    With ``allow_unsigned``, a readable document without any signature is let
    on (a draft); a document with signatures needs all of them to pass.
    """
    if report.verdict is Verdict.PASSED:
        return
    if allow_unsigned and _readable_and_unsigned(report):
        return

    failing = next((s for s in report.signatures if not s.passed), None)
    if failing is not None:
        reason = failing.reasons[0].en if failing.reasons else failing.indication
        detail = (
            f"signature {failing.field!r} is {failing.indication}"
            f"{'/' + failing.sub_indication if failing.sub_indication else ''}: "
            f"{reason}"
        )
    elif report.problems:
        detail = f"{report.verdict}: {report.problems[0].message}"
    else:
        detail = f"the document's signatures are {report.verdict}"
    raise VerificationError(detail, hint=_hint(report.verdict))


def _readable_and_unsigned(report: ValidationReport) -> bool:
    return (
        report.signature_count == 0
        and report.document_timestamp_count == 0
        and report.revision_count is not None
        and all(p.code in _UNSIGNED_CODES for p in report.problems)
    )


_UNSIGNED_CODES = frozenset({"no-signature", "empty-signature"})


def _hint(verdict: Verdict) -> str:
    if verdict is Verdict.INDETERMINATE:
        return (
            "the signatures could not be confirmed; check the trust anchors and "
            "revocation data, or try again later"
        )
    if verdict is Verdict.UNUSABLE:
        return "send a readable, signed PDF"
    return "the document must not be relied on; ask the sender for a new copy"
