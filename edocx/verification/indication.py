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

from edocx.verification.identity import weak_algorithms
from edocx.verification.integrity import IntegrityFindings
from edocx.verification.report import (
    EvidenceSource,
    Explanation,
    Indication,
    Problem,
    RevocationStatus,
    Severity,
    SignatureKind,
    SignatureReport,
    SubIndication,
    Verdict,
    to_vietnam_time,
)
from edocx.verification.trust import TrustFindings
from edocx.verification.wording import (
    TECHNICAL,
    TRUST_REASONS,
    algorithm_reason,
    explain,
    with_detail,
)

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

ALGORITHM_REJECTED = frozenset(
    {
        SubIndication.CRYPTO_CONSTRAINTS_FAILURE,
        SubIndication.CRYPTO_CONSTRAINTS_FAILURE_NO_POE,
    }
)

SIGNATURE_HOLDS = Explanation(
    en="the signed bytes are unchanged and the signature value verifies",
    vi="Chữ ký số hợp lệ: nội dung đã ký không bị thay đổi và giá trị chữ ký "
    "được xác minh đúng",
)
HARMLESS_UPDATES = Explanation(
    en="later revisions only add signatures, timestamps or validation data",
    vi="Các lần cập nhật sau khi ký chỉ bổ sung chữ ký, dấu thời gian hoặc dữ "
    "liệu kiểm tra hiệu lực",
)
HASH_MISMATCH = Explanation(
    en="the signed bytes have changed: their digest differs from the signed one",
    vi="Tài liệu đã bị sửa đổi sau khi ký: nội dung hiện tại không khớp với nội "
    "dung đã được ký",
)
TIMESTAMP_MISMATCH = Explanation(
    en="the document timestamp does not match the revision it covers",
    vi="Dấu thời gian tài liệu không khớp với phiên bản tài liệu mà nó xác nhận",
)
SIGNATURE_INVALID = Explanation(
    en="the signature value does not verify",
    vi="Giá trị chữ ký không hợp lệ: chữ ký không được tạo bằng khóa của chứng "
    "thư số kèm theo, hoặc đã bị làm giả",
)
TOKEN_INVALID = Explanation(
    en="the signature timestamp does not verify",
    vi="Dấu thời gian của chữ ký không hợp lệ",
)
TOKEN_UNTRUSTED = Explanation(
    en="the signature timestamp is not from a trusted timestamp authority",
    vi="Dấu thời gian của chữ ký không do đơn vị cấp dấu thời gian tin cậy cấp",
)
STATUS_VI = {
    RevocationStatus.GOOD: "chưa bị thu hồi",
    RevocationStatus.REVOKED: "đã bị thu hồi",
    RevocationStatus.UNKNOWN: "chưa xác định",
}
ORIGIN_VI = {
    EvidenceSource.DOCUMENT: "dữ liệu kèm trong tài liệu",
    EvidenceSource.FETCHED: "dữ liệu tra cứu trực tuyến",
    EvidenceSource.NONE: "không có dữ liệu",
}


@dataclass(frozen=True)
class Conclusion:
    indication: Indication
    sub_indication: SubIndication | None
    reasons: tuple[Explanation, ...]


def conclude(findings: IntegrityFindings, trust: TrustFindings) -> Conclusion:
    """Decide the indication of one signature or document timestamp."""
    reasons = list(_failure_reasons(findings))
    decisive = _integrity_failure(findings)
    if decisive is None and trust.sub_indication in FAILED_SUB_INDICATIONS:
        decisive = (trust.sub_indication, _trust_reason(trust, findings))
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
) -> tuple[SubIndication, Explanation] | None:
    # A structure that cannot be checked may still have a digest that
    # provably does not match: that fact wins over "cannot tell".
    failure = findings.failure
    if failure is not None and failure.sub_indication in FAILED_SUB_INDICATIONS:
        return failure.sub_indication, explain(failure.message)
    if findings.intact is False:
        return SubIndication.HASH_FAILURE, _hash_reason(findings)
    if findings.valid is False:
        return SubIndication.SIG_CRYPTO_FAILURE, _crypto_reason(findings)
    if findings.modifications.problem is not None:
        return SubIndication.FORMAT_FAILURE, explain(findings.modifications.problem)
    return None


def _open_question(
    findings: IntegrityFindings, trust: TrustFindings
) -> tuple[SubIndication, Explanation] | None:
    if findings.failure is not None:
        return findings.failure.sub_indication, explain(findings.failure.message)
    if findings.modifications.undetermined is not None:
        # EN 319 102-1 has no sub-indication for "the later revisions could
        # not be analysed"; GENERIC as pyHanko uses it.
        return SubIndication.GENERIC, explain(findings.modifications.undetermined)
    if trust.sub_indication is not None:
        return trust.sub_indication, _trust_reason(trust, findings)
    token_issue = _token_issue(findings, trust)
    if token_issue is not None:
        return SubIndication.SIG_CONSTRAINTS_FAILURE, token_issue
    return None


def _token_issue(
    findings: IntegrityFindings, trust: TrustFindings
) -> Explanation | None:
    damage = _token_damage(findings)
    if damage is not None:
        return damage
    if findings.entry.kind is not SignatureKind.SIGNATURE or findings.token is None:
        return None
    if trust.timestamp_trusted is False:
        return TOKEN_UNTRUSTED
    return None


def _failure_reasons(findings: IntegrityFindings) -> Iterable[Explanation]:
    """Secondary findings worth recording next to the decisive one."""
    problem = findings.modifications.problem
    if problem is not None and (findings.intact is False or findings.valid is False):
        yield explain(problem)
    # A damaged signature timestamp is said whatever else decides.
    damage = _token_damage(findings)
    if damage is not None:
        yield damage


def _token_damage(findings: IntegrityFindings) -> Explanation | None:
    """Why the signature timestamp of a signature does not verify, if so."""
    if findings.entry.kind is not SignatureKind.SIGNATURE:
        return None
    if findings.token_problem is not None:
        return with_detail(TOKEN_INVALID, findings.token_problem)
    token = findings.token
    if token is None or (token.intact and token.valid):
        return None
    return with_detail(TOKEN_INVALID, token.note)


def _failed(
    decisive: tuple[SubIndication, Explanation], reasons: list[Explanation]
) -> Conclusion:
    sub, reason = decisive
    return Conclusion(Indication.TOTAL_FAILED, sub, _first(reason, reasons))


def _first(
    reason: Explanation, others: Iterable[Explanation]
) -> tuple[Explanation, ...]:
    return (reason, *(r for r in others if r != reason))


def _hash_reason(findings: IntegrityFindings) -> Explanation:
    if findings.entry.kind is SignatureKind.DOCUMENT_TIMESTAMP:
        return TIMESTAMP_MISMATCH
    return HASH_MISMATCH


def _crypto_reason(findings: IntegrityFindings) -> Explanation:
    if findings.crypto_note is None:
        return SIGNATURE_INVALID
    known = explain(findings.crypto_note)
    if TECHNICAL not in known.vi:
        return known
    return Explanation(
        en=findings.crypto_note,
        vi=f"{SIGNATURE_INVALID.vi} ({TECHNICAL}: {findings.crypto_note})",
    )


def _trust_reason(trust: TrustFindings, findings: IntegrityFindings) -> Explanation:
    plain = TRUST_REASONS.get(str(trust.sub_indication))
    detail = trust.explanation
    if plain is not None and trust.sub_indication in ALGORITHM_REJECTED:
        # pyHanko's message names a policy object, not the algorithm.
        return algorithm_reason(plain, _weak(findings))
    if plain is None:
        if detail is not None:
            return explain(detail)
        return Explanation(
            en=f"trust validation ended in {trust.sub_indication}",
            vi=f"Kiểm tra độ tin cậy kết thúc với kết quả {trust.sub_indication}",
        )
    return with_detail(plain, detail)


def _weak(findings: IntegrityFindings) -> tuple[str, ...]:
    parts = findings.parts
    if parts is None:
        return ()
    return weak_algorithms(
        parts.signer_info, parts.signer_cert, findings.entry.subfilter
    )


def _notes(trust: TrustFindings) -> list[Explanation]:
    revoked_at = trust.revocation.revoked_at
    if revoked_at is not None:
        return [
            Explanation(
                en=f"the certificate was revoked at {revoked_at}",
                vi="Chứng thư số đã bị thu hồi lúc "
                f"{to_vietnam_time(revoked_at)} (giờ Việt Nam)",
            )
        ]
    return []


def _pass_notes(findings: IntegrityFindings, trust: TrustFindings) -> list[Explanation]:
    notes = [SIGNATURE_HOLDS]
    level = findings.modifications.level
    if findings.modifications.note is not None:
        notes.append(explain(findings.modifications.note))
    elif level is not None and level.name != "NONE":
        notes.append(HARMLESS_UPDATES)
    notes.append(_trusted_note(trust))
    if trust.validated_at is not None:
        when = to_vietnam_time(trust.validated_at)
        notes.append(
            Explanation(
                en=f"validated at {when}, the time its signature timestamp "
                "proves: the revocation evidence in the document was current "
                "then and has since expired",
                vi=f"Chữ ký được kiểm tra tại thời điểm {when} do dấu thời gian "
                "của chữ ký chứng minh: dữ liệu thu hồi trong tài liệu còn hiệu "
                "lực vào lúc đó và nay đã hết hạn",
            )
        )
    return notes


def _trusted_note(trust: TrustFindings) -> Explanation:
    rev = trust.revocation
    via = f"{rev.source.upper()}, " if rev.source is not None else ""
    return Explanation(
        en="the certificate chains to a trusted anchor; revocation status "
        f"{rev.status} ({via}{rev.origin} evidence)",
        vi="Chứng thư số của người ký được cấp bởi tổ chức chứng thực tin cậy; "
        f"tình trạng thu hồi: {STATUS_VI[rev.status]} "
        f"(theo {via}{ORIGIN_VI[rev.origin]})",
    )


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
