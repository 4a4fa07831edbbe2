"""Turn the findings about one signature into its report entry.

Facts the DSS corpus manifest also names keep its meaning: ``crypto_ok``
is intact and valid; ``timestamp_valid`` (document timestamps) and
``signature_timestamp_valid`` (signatures) say that a token's imprint
matches and its own signature verifies, whether or not its TSA is trusted.
"""

from __future__ import annotations

from typing import Any

from asn1crypto import x509

from edocx.verification.identity import (
    certificate_report,
    digest_algorithm,
    hex_serial,
    signature_algorithm,
    signer_role,
    subject_info,
    weak_algorithms,
)
from edocx.verification.indication import Conclusion
from edocx.verification.integrity import IntegrityFindings
from edocx.verification.report import (
    Coverage,
    ModificationLevel,
    SignatureKind,
    SignatureReport,
    TimestampReport,
)
from edocx.verification.trust import TrustFindings


def summarise(
    findings: IntegrityFindings,
    trust: TrustFindings,
    conclusion: Conclusion,
    level: str | None = None,
) -> SignatureReport:
    """The report entry; ``level`` from :mod:`edocx.verification.level`."""
    mods = findings.modifications
    return SignatureReport(
        field=findings.entry.field_name,
        kind=findings.entry.kind,
        subfilter=_subfilter(findings),
        signed_revision=mods.signed_revision,
        **_identity(findings),
        **_algorithms(findings),
        **_timestamps(findings, trust),
        claimed_signing_time=findings.claimed_time,
        intact=findings.intact,
        valid=findings.valid,
        trusted=trust.passed and findings.crypto_ok,
        revocation=trust.revocation,
        certification_path=trust.certification_path,
        trust_anchor=trust.trust_anchor,
        coverage=Coverage(mods.coverage.name) if mods.coverage is not None else None,
        modification_level=(
            ModificationLevel(mods.level.name) if mods.level is not None else None
        ),
        docmdp_ok=mods.docmdp_ok,
        byte_range_valid=mods.byte_range_valid,
        covers_whole_file=mods.covers_whole_file,
        changes=mods.changes,
        modification_class=mods.modification_class,
        changes_allowed=mods.allowed,
        level=level,
        indication=conclusion.indication,
        sub_indication=conclusion.sub_indication,
        reasons=conclusion.reasons,
    )


def _subfilter(findings: IntegrityFindings) -> str | None:
    return (findings.entry.subfilter or "").lstrip("/") or None


def _identity(findings: IntegrityFindings) -> dict[str, Any]:
    cert = findings.parts.signer_cert if findings.parts else None
    return {
        "certificate": certificate_report(cert) if cert is not None else None,
        "role": signer_role(findings.entry.kind, cert),
        "signer": subject_info(cert.subject) if cert is not None else None,
        "certificate_serial": _serial(cert),
        "certificate_issuer": cert.issuer.human_friendly if cert else None,
    }


def _algorithms(findings: IntegrityFindings) -> dict[str, Any]:
    parts = findings.parts
    signer_info = parts.signer_info if parts else None
    return {
        "digest_algorithm": digest_algorithm(signer_info) if signer_info else None,
        "signature_algorithm": (
            signature_algorithm(signer_info) if signer_info else None
        ),
        "weak_algorithms": weak_algorithms(
            signer_info, parts.signer_cert if parts else None, _subfilter(findings)
        ),
    }


def _timestamps(findings: IntegrityFindings, trust: TrustFindings) -> dict[str, Any]:
    token = findings.token
    holds = None if token is None else token.intact and token.valid
    if findings.entry.kind is SignatureKind.DOCUMENT_TIMESTAMP:
        if findings.failure is not None and token is None:
            holds = False
        return {"timestamp": _timestamp(findings, trust), "timestamp_valid": holds}
    if findings.token_problem is not None:
        holds = False
    return {
        "timestamp": _timestamp(findings, trust),
        "signature_timestamp_valid": holds,
    }


def _serial(cert: x509.Certificate | None) -> str | None:
    return hex_serial(cert.serial_number) if cert is not None else None


def _timestamp(
    findings: IntegrityFindings, trust: TrustFindings
) -> TimestampReport | None:
    token = findings.token
    if token is None:
        return None
    try:
        tsa = token.tsa_cert.subject.human_friendly if token.tsa_cert else None
    except Exception:
        tsa = None
    return TimestampReport(
        time=token.time,
        intact=token.intact,
        valid=token.valid,
        trusted=bool(trust.timestamp_trusted),
        tsa=tsa,
    )
