"""Turn the findings about one signature into its report entry."""

from __future__ import annotations

from asn1crypto import x509

from edocx.verification.indication import Conclusion
from edocx.verification.integrity import IntegrityFindings
from edocx.verification.report import (
    Coverage,
    ModificationLevel,
    SignatureReport,
    SubjectInfo,
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
    cert = findings.parts.signer_cert if findings.parts else None
    mods = findings.modifications
    return SignatureReport(
        field=findings.entry.field_name,
        kind=findings.entry.kind,
        subfilter=(findings.entry.subfilter or "").lstrip("/") or None,
        signed_revision=mods.signed_revision,
        signer=subject_info(cert) if cert is not None else None,
        certificate_serial=_serial(cert),
        certificate_issuer=cert.issuer.human_friendly if cert is not None else None,
        claimed_signing_time=findings.claimed_time,
        timestamp=_timestamp(findings, trust),
        intact=findings.intact,
        valid=findings.valid,
        trusted=trust.passed and findings.crypto_ok,
        revocation=trust.revocation,
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


def subject_info(cert: x509.Certificate) -> SubjectInfo:
    """The common name, organisation and title a certificate names."""
    try:
        attrs = cert.subject.native
        full = cert.subject.human_friendly
    except Exception:
        return SubjectInfo(full="(unreadable subject)")
    return SubjectInfo(
        common_name=_text(attrs.get("common_name")),
        organization=_text(attrs.get("organization_name")),
        title=_text(attrs.get("title")),
        full=full,
    )


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _serial(cert: x509.Certificate | None) -> str | None:
    if cert is None:
        return None
    serial: int = cert.serial_number
    return format(serial, "X") if serial >= 0 else "-" + format(-serial, "X")


def _timestamp(
    findings: IntegrityFindings, trust: TrustFindings
) -> TimestampReport | None:
    token = findings.token
    if token is None:
        return None
    try:
        tsa = token.tsa_cert.subject.human_friendly
    except Exception:
        tsa = None
    return TimestampReport(
        time=token.time,
        intact=token.intact,
        valid=token.valid,
        trusted=bool(trust.timestamp_trusted),
        tsa=tsa,
    )
