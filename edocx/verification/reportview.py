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


def both(en: str, vi: str) -> str:
    """A fixed value in English with its Vietnamese after it."""
    return f"{en} ({vi})"


INTACT = {
    True: both("digest matches", "nội dung đã ký không đổi"),
    False: both("DIGEST MISMATCH", "NỘI DUNG ĐÃ KÝ BỊ THAY ĐỔI"),
    None: "",
}
VALID = {
    True: both("signature value verifies", "giá trị chữ ký đúng"),
    False: both("SIGNATURE VALUE INVALID", "GIÁ TRỊ CHỮ KÝ SAI"),
    None: "",
}
TRUSTED = {
    True: both("trusted", "tin cậy"),
    False: both("not trusted", "không tin cậy"),
}
REVOCATION_STATUS = {
    "good": both("good", "chưa bị thu hồi"),
    "revoked": both("REVOKED", "ĐÃ BỊ THU HỒI"),
    "unknown": both("unknown", "chưa xác định"),
}
CHANGE_CLASSES = {
    "none": both("none", "không có"),
    "harmless": both("harmless", "vô hại"),
    "suspicious": both("SUSPICIOUS", "ĐÁNG NGỜ"),
}
CHANGES_AFTER = "changes after signing / thay đổi sau khi ký"
UNKNOWN = both("unknown", "chưa xác định")
NOT_DETERMINED = both("not determined", "chưa xác định")


def verdict_text(report: ValidationReport) -> Explanation:
    if report.verdict is Verdict.UNUSABLE and report.has_problem("no-signature"):
        return NOTHING_TO_VERIFY
    return VERDICTS[report.verdict]


def document_rows(report: ValidationReport) -> list[Row]:
    """The facts about the file as a whole."""
    facts = [
        f"sha256 {report.document_sha256}",
        f"{report.document_size} bytes (byte)",
    ]
    if report.encrypted:
        facts.append(both("encrypted", "đã mã hóa"))
    policy = report.policy
    fetching = (
        both("online revocation checks allowed", "được tra cứu trực tuyến")
        if policy.allow_fetching
        else both(
            "offline: revocation evidence from the document only",
            "ngoại tuyến: chỉ dùng dữ liệu thu hồi kèm trong tài liệu",
        )
    )
    rows = [
        Row(_label("Document", "Tài liệu"), ", ".join(facts)),
        Row(_label("Revisions", "Số phiên bản"), _count(report.revision_count)),
        Row(_label("Covered", "Phạm vi ký"), coverage_of_file(report)),
        Row(
            _label("Signatures", "Chữ ký"),
            f"{report.dss_signature_count} signature(s) (chữ ký), "
            f"{report.doc_timestamp_count} document timestamp(s) "
            "(dấu thời gian tài liệu)",
        ),
        Row(_label("Validated", "Thời điểm kiểm tra"), f"{report.validated_at_vn}"),
        Row(
            _label("Anchors", "Tổ chức tin cậy"),
            "; ".join(policy.trust_anchors) or both("none configured", "chưa cấu hình"),
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
        return NOT_DETERMINED
    if uncovered.fully_covered:
        return both(
            "every revision is covered by a signature or a document timestamp",
            "mọi phiên bản đều được chữ ký hoặc dấu thời gian tài liệu bao trùm",
        )
    parts = []
    if uncovered.revisions:
        listed = ", ".join(str(r + 1) for r in uncovered.revisions)
        parts.append(f"revision(s) {listed} not covered by any signature")
    if uncovered.trailing_bytes:
        parts.append(f"{uncovered.trailing_bytes} byte(s) after the last %%EOF")
    if uncovered.detail:
        parts.append(uncovered.detail)
    lead = "NOT FULLY COVERED / CÓ PHẦN KHÔNG ĐƯỢC KÝ: "
    return lead + "; ".join(parts or ["see the signatures"])


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


def change_lines(sig: SignatureReport) -> list[Explanation]:
    """One entry per change made in a revision after the signature."""
    return [_change(change) for change in sig.changes]


def level_text(level: str | None) -> str:
    """B-B, B-T, B-LT, B-LTA, or "legacy", with DSS's name after it."""
    short = short_level(level)
    return "" if short is None else f"{short} ({level})"


def _change(change: ChangeReport) -> Explanation:
    mark = "SUSPICIOUS " if change.suspicious else ""
    mark_vi = "ĐÁNG NGỜ: " if change.suspicious else ""
    detail = f": {change.detail}" if change.detail else ""
    return Explanation(
        en=f"revision {change.revision + 1}: {mark}{change.kind}{detail}",
        vi=f"phiên bản {change.revision + 1}: {mark_vi}{change.detail_vi}",
    )


def _count(value: int | None) -> str:
    return UNKNOWN if value is None else str(value)


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
    found = [t for t in (INTACT[sig.intact], VALID[sig.valid]) if t]
    if sig.byte_range_valid is False:
        found.append(both("BYTE RANGE INVALID", "VÙNG KÝ /ByteRange SAI"))
    return ", ".join(found) or both("not checked", "chưa kiểm tra")


def _algorithms(sig: SignatureReport) -> str:
    named = [a for a in (sig.digest_algorithm, sig.signature_algorithm) if a]
    text = " / ".join(named)
    if sig.subfilter:
        text += f" ({sig.subfilter})" if text else sig.subfilter
    if sig.weak_algorithms:
        text += (
            f"; WEAK OR LEGACY / YẾU HOẶC LỖI THỜI: {', '.join(sig.weak_algorithms)}"
        )
    return text


def _coverage(sig: SignatureReport, revisions: int | None) -> str:
    if sig.covers_whole_file:
        text = both("the whole file", "toàn bộ tệp")
    elif sig.coverage is None:
        return NOT_DETERMINED
    else:
        text = f"{sig.coverage}"
    if sig.signed_revision is not None:
        text += f" ({_revision(sig.signed_revision, revisions)})"
    if sig.modification_class is not None:
        named = CHANGE_CLASSES.get(str(sig.modification_class), "")
        text += f"; {CHANGES_AFTER}: {named or sig.modification_class}"
    elif sig.modification_level is not None:
        text += f"; {CHANGES_AFTER}: {sig.modification_level}"
    if sig.docmdp_ok is False:
        text += "; " + both(
            "NOT ALLOWED by the document's modification policy",
            "KHÔNG ĐƯỢC PHÉP theo chữ ký chứng nhận của tài liệu",
        )
    return text


def _revision(index: int, revisions: int | None) -> str:
    # People count revisions from 1; the JSON report's ``signed_revision``
    # is the 0-based index, as pyHanko and the DSS corpus give it.
    ordinal = f"revision {index + 1}"
    if not revisions:
        return f"{ordinal} / phiên bản {index + 1}"
    return f"{ordinal} of {revisions} / phiên bản {index + 1} trên {revisions}"


def _claimed(sig: SignatureReport) -> str:
    if sig.claimed_signing_time_vn is None or sig.kind is not SignatureKind.SIGNATURE:
        return ""
    return (
        f"{sig.claimed_signing_time_vn} (stated by the signer, not proven / "
        "do người ký tự khai, chưa được chứng minh)"
    )


def _timestamp(ts: TimestampReport | None) -> str:
    if ts is None:
        return ""
    holds = ts.intact and ts.valid
    state = both("valid", "hợp lệ") if holds else both("DOES NOT VERIFY", "SAI")
    trust = TRUSTED[bool(ts.trusted)]
    by = f", by / cấp bởi {ts.tsa}" if ts.tsa else ""
    return f"{ts.time_vn}, {state}, {trust}{by}"


def _trust(sig: SignatureReport) -> str:
    text = TRUSTED[bool(sig.trusted)]
    if sig.trust_anchor:
        text += f"; anchor / tổ chức tin cậy: {sig.trust_anchor}"
    return text


def _path(sig: SignatureReport) -> str:
    return " -> ".join(sig.certification_path)


def _revocation(sig: SignatureReport) -> str:
    rev = sig.revocation
    text = REVOCATION_STATUS.get(str(rev.status), str(rev.status))
    evidence = [str(rev.source).upper() if rev.source else "", _origin(rev.origin)]
    named = [e for e in evidence if e]
    if named:
        text += f" ({', '.join(named)})"
    if rev.revoked_at_vn:
        text += f", revoked at / thu hồi lúc {rev.revoked_at_vn}"
    if rev.this_update_vn:
        text += f"; issued / phát hành {rev.this_update_vn}"
    if rev.next_update_vn:
        text += f", next update / cập nhật tiếp {rev.next_update_vn}"
    if rev.fresh is not None:
        text += "; " + (
            both("current when used", "còn hiệu lực khi dùng")
            if rev.fresh
            else both("NOT CURRENT when used", "ĐÃ HẾT HIỆU LỰC khi dùng")
        )
    return text


def _origin(origin: str) -> str:
    return {
        "document": "embedded in the document / kèm trong tài liệu",
        "fetched": "fetched at validation / tra cứu khi kiểm tra",
    }.get(origin, "")
