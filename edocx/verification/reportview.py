"""What a rendering of a validation report shows, whatever its format.

The text for the terminal (:mod:`edocx.verification.render`) and the HTML
page (:mod:`edocx.verification.htmlrender`) show the same facts in the same
order: per signature its identity, integrity, coverage with each later
change, time, trust, level and the verdict with its reasons; per document
the verdict, the revisions and what no signature covers. Labels and
verdicts are given in English and Vietnamese; times in Vietnam time.
"""

from __future__ import annotations

from dataclasses import dataclass

from edocx.verification.level import short_level
from edocx.verification.report import (
    ChangeReport,
    Explanation,
    SignatureKind,
    SignatureReport,
    SignerRole,
    TimestampReport,
    ValidationReport,
    Verdict,
)


@dataclass(frozen=True)
class Row:
    """One labelled fact: ``label`` in English and Vietnamese."""

    label: Explanation
    value: str


def _label(en: str, vi: str) -> Explanation:
    return Explanation(en=en, vi=vi)


VERDICTS = {
    Verdict.PASSED: _label(
        "PASSED: every signature is valid and trusted",
        "HỢP LỆ: mọi chữ ký số đều hợp lệ và tin cậy",
    ),
    Verdict.FAILED: _label(
        "FAILED: at least one signature is invalid or the document was changed "
        "after signing",
        "KHÔNG HỢP LỆ: có chữ ký không hợp lệ hoặc tài liệu đã bị sửa đổi sau khi ký",
    ),
    Verdict.INDETERMINATE: _label(
        "INDETERMINATE: the signatures could not be confirmed (trust, revocation "
        "or time not established); do not rely on them yet",
        "CHƯA XÁC ĐỊNH: chưa khẳng định được các chữ ký (độ tin cậy, tình trạng "
        "thu hồi hoặc thời điểm ký chưa được xác lập); chưa nên dựa vào chúng",
    ),
    Verdict.UNUSABLE: _label(
        "UNUSABLE: the file cannot be verified",
        "KHÔNG KIỂM TRA ĐƯỢC: không thể kiểm tra tệp này",
    ),
}
NOTHING_TO_VERIFY = _label(
    "UNUSABLE: nothing to verify, the document carries no signature",
    "KHÔNG KIỂM TRA ĐƯỢC: tài liệu không có chữ ký số nào",
)
ROLES = {
    SignerRole.PERSONAL: "personal signature (chữ ký cá nhân)",
    SignerRole.SEAL: "agency seal, organisation certificate (chữ ký cơ quan)",
    SignerRole.TIMESTAMP: "document timestamp (dấu thời gian tài liệu)",
    SignerRole.UNKNOWN: "not determined (chưa xác định)",
}


def verdict_text(report: ValidationReport) -> Explanation:
    if report.verdict is Verdict.UNUSABLE and report.has_problem("no-signature"):
        return NOTHING_TO_VERIFY
    return VERDICTS[report.verdict]


def document_rows(report: ValidationReport) -> list[Row]:
    """The facts about the file as a whole."""
    facts = [f"sha256 {report.document_sha256}", f"{report.document_size} bytes"]
    if report.encrypted:
        facts.append("encrypted")
    policy = report.policy
    fetching = (
        "online revocation checks allowed"
        if policy.allow_fetching
        else "offline: revocation evidence from the document only"
    )
    rows = [
        Row(_label("Document", "Tài liệu"), ", ".join(facts)),
        Row(_label("Revisions", "Số phiên bản"), _count(report.revision_count)),
        Row(_label("Covered", "Phạm vi ký"), coverage_of_file(report)),
        Row(
            _label("Signatures", "Chữ ký"),
            f"{report.dss_signature_count} signature(s), "
            f"{report.doc_timestamp_count} document timestamp(s)",
        ),
        Row(_label("Validated", "Thời điểm kiểm tra"), f"{report.validated_at_vn}"),
        Row(
            _label("Anchors", "Tổ chức tin cậy"),
            "; ".join(policy.trust_anchors) or "none configured",
        ),
        Row(
            _label("Revocation", "Kiểm tra thu hồi"),
            f"{policy.revocation_mode}, {fetching}",
        ),
    ]
    return rows


def coverage_of_file(report: ValidationReport) -> str:
    uncovered = report.uncovered
    if uncovered is None:
        return "not determined"
    if uncovered.fully_covered:
        return "every revision is covered by a signature or a document timestamp"
    parts = []
    if uncovered.revisions:
        listed = ", ".join(str(r + 1) for r in uncovered.revisions)
        parts.append(f"revision(s) {listed} not covered by any signature")
    if uncovered.trailing_bytes:
        parts.append(f"{uncovered.trailing_bytes} byte(s) after the last %%EOF")
    if uncovered.detail:
        parts.append(uncovered.detail)
    return "NOT FULLY COVERED: " + "; ".join(parts or ["see the signatures"])


def signature_title(sig: SignatureReport) -> str:
    kind = "Signature" if sig.kind is SignatureKind.SIGNATURE else "Document timestamp"
    return f"{kind} in field {sig.field!r}: {outcome(sig)}"


def outcome(sig: SignatureReport) -> str:
    return sig.indication + (f" / {sig.sub_indication}" if sig.sub_indication else "")


def signature_rows(sig: SignatureReport, revisions: int | None) -> list[Row]:
    """The facts about one signature: identity, integrity, coverage, time, trust."""
    rows = [
        Row(_label("Role", "Vai trò"), ROLES[sig.role]),
        Row(_label("Signer", "Người ký"), _signer(sig)),
        Row(_label("Certificate", "Chứng thư số"), _certificate(sig)),
        Row(_label("Integrity", "Toàn vẹn"), _integrity(sig)),
        Row(_label("Algorithms", "Thuật toán"), _algorithms(sig)),
        Row(_label("Coverage", "Phạm vi ký"), _coverage(sig, revisions)),
        Row(_label("Claimed time", "Thời điểm khai"), _claimed(sig)),
        Row(_label("Timestamp", "Dấu thời gian"), _timestamp(sig.timestamp)),
        Row(_label("Trust", "Độ tin cậy"), _trust(sig)),
        Row(_label("Path", "Chuỗi chứng thư"), _path(sig)),
        Row(_label("Revocation", "Tình trạng thu hồi"), _revocation(sig)),
        Row(_label("Level", "Mức chữ ký"), level_text(sig.level)),
    ]
    return [row for row in rows if row.value]


def change_lines(sig: SignatureReport) -> list[str]:
    """One line per change made in a revision after the signature."""
    return [_change(change) for change in sig.changes]


def level_text(level: str | None) -> str:
    """B-B, B-T, B-LT, B-LTA, or "legacy", with DSS's name after it."""
    short = short_level(level)
    return "" if short is None else f"{short} ({level})"


def _change(change: ChangeReport) -> str:
    mark = "SUSPICIOUS " if change.suspicious else ""
    detail = f": {change.detail}" if change.detail else ""
    return f"revision {change.revision + 1}: {mark}{change.kind}{detail}"


def _count(value: int | None) -> str:
    return "unknown" if value is None else str(value)


def _signer(sig: SignatureReport) -> str:
    if sig.signer is None:
        return ""
    parts = [sig.signer.common_name, sig.signer.title, sig.signer.organization]
    named = [p for p in parts if p]
    return ", ".join(named) if named else sig.signer.full


def _certificate(sig: SignatureReport) -> str:
    cert = sig.certificate
    if cert is None:
        if sig.certificate_serial is None:
            return ""
        return f"serial {sig.certificate_serial}, issued by {sig.certificate_issuer}"
    text = (
        f"serial {cert.serial}, issued by {cert.issuer.full}, "
        f"valid {cert.not_before_vn} to {cert.not_after_vn}"
    )
    if cert.key_usage:
        text += f"; key usage: {', '.join(cert.key_usage)}"
    if cert.extended_key_usage:
        text += f"; extended key usage: {', '.join(cert.extended_key_usage)}"
    if cert.public_key:
        text += f"; key {cert.public_key}"
    return text


def _integrity(sig: SignatureReport) -> str:
    intact = {True: "digest matches", False: "DIGEST MISMATCH", None: ""}
    valid = {
        True: "signature value verifies",
        False: "SIGNATURE VALUE INVALID",
        None: "",
    }
    found = [t for t in (intact[sig.intact], valid[sig.valid]) if t]
    if sig.byte_range_valid is False:
        found.append("BYTE RANGE INVALID")
    return ", ".join(found) or "not checked"


def _algorithms(sig: SignatureReport) -> str:
    named = [a for a in (sig.digest_algorithm, sig.signature_algorithm) if a]
    text = " / ".join(named)
    if sig.subfilter:
        text += f" ({sig.subfilter})" if text else sig.subfilter
    if sig.weak_algorithms:
        text += f"; WEAK OR LEGACY: {', '.join(sig.weak_algorithms)}"
    return text


def _coverage(sig: SignatureReport, revisions: int | None) -> str:
    if sig.covers_whole_file:
        text = "the whole file"
    elif sig.coverage is None:
        return "not determined"
    else:
        text = f"{sig.coverage}"
    if sig.signed_revision is not None:
        text += f" ({_revision(sig.signed_revision, revisions)})"
    if sig.modification_class is not None:
        text += f"; changes after signing: {sig.modification_class}"
    elif sig.modification_level is not None:
        text += f"; changes after signing: {sig.modification_level}"
    if sig.docmdp_ok is False:
        text += "; NOT ALLOWED by the document's modification policy"
    return text


def _revision(index: int, revisions: int | None) -> str:
    # People count revisions from 1; the JSON report's ``signed_revision``
    # is the 0-based index, as pyHanko and the DSS corpus give it.
    ordinal = f"revision {index + 1}"
    return f"{ordinal} of {revisions}" if revisions else ordinal


def _claimed(sig: SignatureReport) -> str:
    if sig.claimed_signing_time_vn is None or sig.kind is not SignatureKind.SIGNATURE:
        return ""
    return f"{sig.claimed_signing_time_vn} (stated by the signer, not proven)"


def _timestamp(ts: TimestampReport | None) -> str:
    if ts is None:
        return ""
    state = "valid" if ts.intact and ts.valid else "DOES NOT VERIFY"
    trust = "trusted" if ts.trusted else "not trusted"
    return f"{ts.time_vn}, {state}, {trust}" + (f", by {ts.tsa}" if ts.tsa else "")


def _trust(sig: SignatureReport) -> str:
    text = "trusted" if sig.trusted else "not trusted"
    if sig.trust_anchor:
        text += f"; anchor: {sig.trust_anchor}"
    return text


def _path(sig: SignatureReport) -> str:
    return " -> ".join(sig.certification_path)


def _revocation(sig: SignatureReport) -> str:
    rev = sig.revocation
    text = f"{rev.status}"
    evidence = [str(rev.source).upper() if rev.source else "", _origin(rev.origin)]
    named = [e for e in evidence if e]
    if named:
        text += f" ({', '.join(named)})"
    if rev.revoked_at_vn:
        text += f", revoked at {rev.revoked_at_vn}"
    if rev.this_update_vn:
        text += f"; issued {rev.this_update_vn}"
    if rev.next_update_vn:
        text += f", next update {rev.next_update_vn}"
    if rev.fresh is not None:
        text += "; current when used" if rev.fresh else "; NOT CURRENT when used"
    return text


def _origin(origin: str) -> str:
    return {
        "document": "embedded in the document",
        "fetched": "fetched at validation",
    }.get(origin, "")
