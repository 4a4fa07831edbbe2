"""Render a validation report as text a clerk, a judge or an auditor can read.

One block per signature, the facts first (who, when, what is covered), the
conclusion and its reasons last. Times are shown in Vietnam time (UTC+07:00),
the zone legal documents are dated in; the stored report keeps UTC.
"""

from __future__ import annotations

from edocx.verification.report import (
    SignatureKind,
    SignatureReport,
    TimestampReport,
    ValidationReport,
    Verdict,
)

VERDICT_TEXT = {
    Verdict.PASSED: "PASSED: every signature is valid and trusted",
    Verdict.FAILED: "FAILED: at least one signature is invalid or the document "
    "was changed after signing",
    Verdict.INDETERMINATE: "INDETERMINATE: the signatures could not be confirmed "
    "(trust, revocation or time not established); do not rely on them yet",
    Verdict.UNUSABLE: "UNUSABLE: the file cannot be verified",
}
NOTHING_TO_VERIFY = "UNUSABLE: nothing to verify, the document carries no signature"


def render_text(report: ValidationReport) -> str:
    """Return the report as plain text, one block per signature."""
    lines = [*_header(report), ""]
    for number, signature in enumerate(report.signatures, start=1):
        lines.extend(_signature_block(number, signature, report.revision_count))
        lines.append("")
    if report.problems:
        lines.append("Problems:")
        lines.extend(
            f"  - [{p.severity}] {p.code}: {p.message}"
            + (f" (field {p.field_name!r})" if p.field_name else "")
            for p in report.problems
        )
    return "\n".join(lines).rstrip() + "\n"


def _header(report: ValidationReport) -> list[str]:
    facts = [f"{report.document_size} bytes"]
    if report.revision_count is not None:
        facts.append(f"{report.revision_count} revision(s)")
    if report.encrypted:
        facts.append("encrypted")
    policy = report.policy
    anchors = "; ".join(policy.trust_anchors) or "none configured"
    fetching = (
        "online revocation checks allowed"
        if policy.allow_fetching
        else ("offline: revocation evidence from the document only")
    )
    return [
        f"Document:   sha256 {report.document_sha256} ({', '.join(facts)})",
        f"Validated:  {report.validated_at_vn} (Vietnam time)",
        f"Trust:      anchors: {anchors}",
        f"Revocation: {policy.revocation_mode}, {fetching}",
        f"Signatures: {report.signature_count} signature(s), "
        f"{report.document_timestamp_count} document timestamp(s)",
        f"Verdict:    {_verdict_text(report)}",
    ]


def _verdict_text(report: ValidationReport) -> str:
    if report.verdict is Verdict.UNUSABLE and report.has_problem("no-signature"):
        return NOTHING_TO_VERIFY
    return VERDICT_TEXT[report.verdict]


def _signature_block(
    number: int, sig: SignatureReport, revisions: int | None
) -> list[str]:
    kind = "Signature" if sig.kind is SignatureKind.SIGNATURE else "Document timestamp"
    outcome = sig.indication + (
        f" / {sig.sub_indication}" if sig.sub_indication else ""
    )
    lines = [f"[{number}] {kind} in field {sig.field!r}: {outcome}"]
    rows = [
        ("Signer", _signer(sig)),
        ("Certificate", _certificate(sig)),
        ("Claimed time", _claimed(sig)),
        ("Timestamp", _timestamp(sig.timestamp)),
        ("Integrity", _integrity(sig)),
        ("Coverage", _coverage(sig, revisions)),
        ("Trust", _trust(sig)),
    ]
    lines.extend(f"    {label + ':':<14}{value}" for label, value in rows if value)
    if sig.reasons:
        lines.append("    Reasons:")
        lines.extend(f"      - {reason}" for reason in sig.reasons)
    return lines


def _signer(sig: SignatureReport) -> str | None:
    if sig.signer is None:
        return None
    parts = [sig.signer.common_name, sig.signer.title, sig.signer.organization]
    named = [p for p in parts if p]
    return ", ".join(named) if named else sig.signer.full


def _certificate(sig: SignatureReport) -> str | None:
    if sig.certificate_serial is None:
        return None
    return f"serial {sig.certificate_serial}, issued by {sig.certificate_issuer}"


def _claimed(sig: SignatureReport) -> str | None:
    if sig.claimed_signing_time_vn is None or sig.kind is not SignatureKind.SIGNATURE:
        return None
    return f"{sig.claimed_signing_time_vn} (stated by the signer, not proven)"


def _timestamp(ts: TimestampReport | None) -> str | None:
    if ts is None:
        return None
    state = "valid" if ts.intact and ts.valid else "DOES NOT VERIFY"
    trust = "trusted" if ts.trusted else "not trusted"
    return f"{ts.time_vn}, {state}, {trust}" + (f", by {ts.tsa}" if ts.tsa else "")


def _integrity(sig: SignatureReport) -> str:
    intact = {
        True: "digest matches",
        False: "DIGEST MISMATCH",
        None: "digest not checked",
    }
    valid = {
        True: "signature value verifies",
        False: "SIGNATURE VALUE INVALID",
        None: "signature value not checked",
    }
    return f"{intact[sig.intact]}, {valid[sig.valid]}"


def _coverage(sig: SignatureReport, revisions: int | None) -> str | None:
    if sig.coverage is None:
        return "not determined"
    text = f"{sig.coverage}"
    if sig.signed_revision is not None:
        text += f" ({_revision(sig.signed_revision, revisions)})"
    if sig.modification_level is not None:
        text += f"; changes after signing: {sig.modification_level}"
    if sig.docmdp_ok is False:
        text += "; NOT ALLOWED by the document's modification policy"
    return text


def _revision(index: int, revisions: int | None) -> str:
    # People count revisions from 1; the JSON report's ``signed_revision``
    # is the 0-based index, as pyHanko and the DSS corpus give it.
    ordinal = f"revision {index + 1}"
    return f"{ordinal} of {revisions}" if revisions else ordinal


def _trust(sig: SignatureReport) -> str:
    rev = sig.revocation
    revocation = f"revocation {rev.status}"
    if rev.source != "none":
        revocation += f" ({rev.source} evidence)"
    if rev.revoked_at_vn:
        revocation += f", revoked at {rev.revoked_at_vn}"
    return ("trusted" if sig.trusted else "not trusted") + f"; {revocation}"
