"""The plain sentences of a validation report, in English and Vietnamese.

A report is read by clerks at the receiving agency, not only by engineers:
every reason and every problem says in both languages what a reader may
rely on. The English text is the one the checks produce (logs and tests
quote it); the Vietnamese is written here. A detail that only names a
technical cause (a parser message, an ASN.1 error) stays in English after
the Vietnamese sentence, marked as a technical detail.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from edocx.verification.reportparts import Explanation

TECHNICAL = "chi tiết kỹ thuật"

# ETSI EN 319 102-1 sub-indications of a trust failure, by name.
TRUST_REASONS: Mapping[str, Explanation] = {
    "NO_CERTIFICATE_CHAIN_FOUND": Explanation(
        en="the signer's certificate does not chain to a trusted anchor: no "
        "valid certification path to a trusted authority was found",
        vi="Chứng thư số của người ký không được cấp bởi tổ chức chứng thực "
        "nào trong danh sách tin cậy: không tìm thấy chuỗi chứng thực hợp lệ "
        "đến tổ chức chứng thực tin cậy",
    ),
    "CERTIFICATE_CHAIN_GENERAL_FAILURE": Explanation(
        en="the signer's certificate chain could not be validated: no valid "
        "certification path to a trusted anchor was found",
        vi="Không kiểm tra được chuỗi chứng thư số của người ký: không tìm thấy "
        "chuỗi chứng thực hợp lệ đến tổ chức chứng thực tin cậy",
    ),
    "CHAIN_CONSTRAINTS_FAILURE": Explanation(
        en="a certificate in the chain is not allowed for this use",
        vi="Một chứng thư số trong chuỗi không được phép dùng cho mục đích này",
    ),
    "TRY_LATER": Explanation(
        en="the revocation status of a certificate in the chain is not established",
        vi="Chưa xác định được chứng thư số trong chuỗi có bị thu hồi hay "
        "không; hãy kiểm tra lại sau",
    ),
    "REVOKED": Explanation(
        en="the signer's certificate was revoked before signing",
        vi="Chứng thư số của người ký đã bị thu hồi trước khi ký",
    ),
    "REVOKED_NO_POE": Explanation(
        en="the signer's certificate is revoked and nothing proves the "
        "signature was made before that",
        vi="Chứng thư số của người ký đã bị thu hồi và không có bằng chứng "
        "chữ ký được tạo trước thời điểm thu hồi",
    ),
    "REVOKED_CA_NO_POE": Explanation(
        en="a CA certificate in the chain is revoked",
        vi="Chứng thư số của một tổ chức chứng thực trong chuỗi đã bị thu hồi",
    ),
    "OUT_OF_BOUNDS_NO_POE": Explanation(
        en="the signer's certificate is outside its validity period and "
        "nothing proves the signature was made within it",
        vi="Chứng thư số của người ký đã hết hoặc chưa đến thời hạn hiệu lực "
        "và không có bằng chứng chữ ký được tạo trong thời hạn đó",
    ),
    "NOT_YET_VALID": Explanation(
        en="the signature was made before the signer's certificate became valid",
        vi="Chữ ký được tạo trước khi chứng thư số của người ký có hiệu lực",
    ),
    "EXPIRED": Explanation(
        en="the signer's certificate has expired",
        vi="Chứng thư số của người ký đã hết hạn",
    ),
    "CRYPTO_CONSTRAINTS_FAILURE": Explanation(
        en="an algorithm used by the signature or its chain is no longer accepted",
        vi="Chữ ký hoặc chuỗi chứng thư dùng thuật toán không còn được chấp nhận",
    ),
    "CRYPTO_CONSTRAINTS_FAILURE_NO_POE": Explanation(
        en="an algorithm used is no longer accepted and nothing proves the "
        "signature predates that",
        vi="Thuật toán được dùng không còn được chấp nhận và không có bằng "
        "chứng chữ ký được tạo trước đó",
    ),
    "NO_POE": Explanation(
        en="nothing proves the signature existed when its certificates were valid",
        vi="Không có bằng chứng chữ ký đã tồn tại khi các chứng thư số còn hiệu lực",
    ),
    "NO_SIGNING_CERTIFICATE_FOUND": Explanation(
        en="the signer's certificate is not in the signature",
        vi="Chữ ký không kèm chứng thư số của người ký",
    ),
}

# Problems with the file as a whole, by code.
PROBLEMS_VI: Mapping[str, str] = {
    "not-a-pdf": "Tệp không phải là tài liệu PDF",
    "unreadable": "Không đọc được cấu trúc của tệp PDF",
    "too-many-revisions": "Tệp PDF có quá nhiều lần cập nhật để kiểm tra",
    "pdf-encrypted-for-recipients": "Tệp PDF được mã hóa cho người giữ chứng "
    "thư số; edocx không mở được",
    "pdf-password-required": "Tệp PDF được mã hóa và cần mật khẩu để mở",
    "malformed-signature-field": "Một trường chữ ký bị lỗi cấu trúc",
    "empty-signature": "Trường chữ ký còn trống, chưa được ký",
    "ignored-timestamp": "Một dấu thời gian đặt sai chỗ (trong từ điển /Sig) "
    "nên được bỏ qua",
    "duplicate-signature-field": "Hai trường cùng trỏ tới một chữ ký",
    "too-many-signatures": "Tệp có quá nhiều chữ ký; chỉ một phần được kiểm tra",
    "form-too-large": "Cây trường biểu mẫu quá lớn hoặc quá sâu để kiểm tra đầy đủ",
    "no-signature": "Tài liệu không có chữ ký số nào",
    "dss-unreadable": "Không đọc được kho dữ liệu kiểm tra hiệu lực (/DSS) "
    "của tài liệu; kho này được bỏ qua",
    "internal-error": "Lỗi nội bộ khi kiểm tra tài liệu",
    "damaged-xref": "Bảng tham chiếu chéo (xref) của tệp bị hỏng; các phiên "
    "bản được đọc bằng cách dò tìm đối tượng trong tệp, nên không thể xác "
    "nhận những gì đã thay đổi sau khi ký",
}

# Known English findings of the checks, with their Vietnamese. A named
# group "detail" is kept as a technical detail; "names" is quoted as is.
_FINDINGS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.DOTALL), vi)
    for pattern, vi in (
        (
            r"the signature container \(CMS\) cannot be decoded(: (?P<detail>.*))?",
            "Không giải mã được khối chữ ký (CMS)",
        ),
        (
            r"the signer's certificate cannot be identified(: (?P<detail>.*))?",
            "Không xác định được chứng thư số của người ký",
        ),
        (
            r"the certificates in the signature cannot be read(: (?P<detail>.*))?",
            "Không đọc được các chứng thư số kèm theo chữ ký",
        ),
        (
            r"unknown digest algorithm (?P<detail>.*)",
            "Thuật toán băm không xác định",
        ),
        (
            r"the /ByteRange is not a list of offsets and lengths",
            "Trường /ByteRange không phải danh sách vị trí và độ dài hợp lệ",
        ),
        (
            r"the /ByteRange points beyond the end of the file",
            "Trường /ByteRange trỏ ra ngoài cuối tệp",
        ),
        (
            r"the content type of the signature container does not match the "
            r"content type the signer signed",
            "Khối chữ ký (CMS) đã bị sửa: loại nội dung ghi trong khối chữ ký "
            "không khớp với loại nội dung mà người ký đã ký",
        ),
        (
            r"the signature value does not verify with the signer's key",
            "Giá trị chữ ký không khớp với khóa của chứng thư số người ký: "
            "chữ ký không được tạo bằng khóa này, hoặc đã bị làm giả",
        ),
        (
            r"the signed attributes are not DER-encoded \(RFC 5652 §5\.4\) and "
            r"the signature does not verify over their DER encoding",
            "Các thuộc tính được ký không được mã hóa đúng chuẩn DER (RFC 5652 "
            "§5.4) và chữ ký không xác minh được trên bản mã hóa đúng chuẩn",
        ),
        (
            r"the content embedded in the signature container does not match "
            r"the signed digest",
            "Nội dung nằm trong khối chữ ký không khớp với giá trị băm đã ký",
        ),
        (
            r"the file's cross-reference data is damaged and was rebuilt; what "
            r"changed after this signature cannot be vouched for",
            "Bảng tham chiếu chéo (xref) của tệp bị hỏng và đã được dựng lại; "
            "không thể xác nhận những gì đã thay đổi sau chữ ký này",
        ),
        (
            r"the cross-reference data is damaged \((?P<detail>.*)\); the "
            r"revisions were read by searching the file for its objects, and "
            r"changes after a signature cannot be vouched for",
            "Bảng tham chiếu chéo (xref) của tệp bị hỏng; các phiên bản được đọc "
            "bằng cách dò tìm đối tượng trong tệp, nên không thể xác nhận những "
            "gì đã thay đổi sau khi ký",
        ),
        (
            r"the signature cannot be checked(: (?P<detail>.*))?",
            "Không kiểm tra được chữ ký",
        ),
        (
            r"the timestamp token cannot be decoded(: (?P<detail>.*))?",
            "Không giải mã được dấu thời gian",
        ),
        (
            r"the signature timestamp cannot be decoded(: (?P<detail>.*))?",
            "Không giải mã được dấu thời gian của chữ ký",
        ),
        (
            r"the timestamp authority's certificate cannot be identified"
            r"(: (?P<detail>.*))?",
            "Không xác định được chứng thư số của đơn vị cấp dấu thời gian",
        ),
        (
            r"the signature format (?P<names>\S+) is not supported",
            "Định dạng chữ ký {names} không được hỗ trợ",
        ),
        (
            r"a document timestamp must use (?P<detail>.*)",
            "Dấu thời gian tài liệu phải dùng định dạng ETSI.RFC3161",
        ),
        (
            r"the signature dictionary has no readable /Contents",
            "Từ điển chữ ký không có giá trị chữ ký (/Contents) đọc được",
        ),
        (
            r"the signature dictionary has no /ByteRange",
            "Từ điển chữ ký thiếu trường /ByteRange",
        ),
        (
            r"the signature cannot be placed in the file(: (?P<detail>.*))?",
            "Không xác định được vị trí của chữ ký trong tệp",
        ),
        (
            r"the signed byte ranges cannot be examined(: (?P<detail>.*))?",
            "Không kiểm tra được phần dữ liệu đã ký",
        ),
        (
            r"the signature does not cover the whole revision it belongs to",
            "Chữ ký không bao trùm toàn bộ phiên bản tài liệu mà nó thuộc về",
        ),
        (
            r"the later revisions cannot be analysed(: (?P<detail>.*))?",
            "Không phân tích được các lần cập nhật sau khi ký",
        ),
        (
            r"the file was changed after this signature by more than "
            r"signatures, form filling or validation data(?P<detail>.*)",
            "Tài liệu đã bị sửa đổi sau khi ký: các thay đổi không chỉ là thêm "
            "chữ ký, điền biểu mẫu hay dữ liệu kiểm tra hiệu lực",
        ),
        (
            r"the changes after signing exceed what the certification allows",
            "Các thay đổi sau khi ký vượt quá mức mà chữ ký chứng nhận cho phép",
        ),
        (
            r"annotations were added or changed after signing",
            "Tài liệu đã bị sửa đổi sau khi ký: chú thích được thêm hoặc thay đổi",
        ),
        (
            r"form field\(s\) (?P<names>.*) were filled in after this signature "
            r"and signed over by the later signature (?P<later>.*)",
            "Các trường biểu mẫu {names} được điền sau chữ ký này và đã được "
            "chữ ký sau ({later}) ký xác nhận",
        ),
        (
            r"form field\(s\) (?P<names>.*) were filled in after signing and "
            r"no later signature covers them.*",
            "Các trường biểu mẫu {names} được điền sau khi ký mà không có chữ "
            "ký nào sau đó xác nhận; trang tài liệu có thể hiển thị nội dung "
            "chưa được ký",
        ),
        (
            r"form field\(s\) (?P<names>.*) held a value that was changed "
            r"after this signature.*",
            "Tài liệu đã bị sửa đổi sau khi ký: giá trị của các trường biểu mẫu "
            "{names} đã bị thay đổi, trang tài liệu không còn hiển thị nội "
            "dung đã ký",
        ),
        (
            r"the form fields filled in after signing cannot be read"
            r"(: (?P<detail>.*))?",
            "Không đọc được các trường biểu mẫu được điền sau khi ký",
        ),
        (
            r"no trust anchors are configured",
            "Chưa cấu hình tổ chức chứng thực tin cậy nào",
        ),
        (
            r"no OCSP response or CRL vouches for the signer's certificate",
            "Không có phản hồi OCSP hay danh sách thu hồi (CRL) nào xác nhận "
            "tình trạng chứng thư số của người ký",
        ),
        (
            r"trust validation could not complete: the signature's structure "
            r"is not one the validator can follow",
            "Không hoàn tất được việc kiểm tra độ tin cậy: cấu trúc chữ ký "
            "không theo đúng quy cách mà chương trình kiểm tra xử lý được",
        ),
        (
            r"trust validation could not complete(: (?P<detail>.*))?",
            "Không hoàn tất được việc kiểm tra độ tin cậy",
        ),
        (
            r"the signature has no signature timestamp, so nothing proves when "
            r"it was made and the signer's certificate cannot be confirmed for "
            r"that time",
            "Chữ ký không có dấu thời gian nên không có bằng chứng chữ ký được "
            "tạo lúc nào, và không xác nhận được chứng thư số của người ký còn "
            "hiệu lực vào thời điểm đó",
        ),
        (
            r"the signature timestamp is damaged and does not verify, so it "
            r"proves nothing: nothing proves when the signature was made and the "
            r"signer's certificate cannot be confirmed for that time",
            "Dấu thời gian của chữ ký bị hỏng, không xác minh được nên không có "
            "giá trị chứng minh: không có bằng chứng chữ ký được tạo lúc nào, và "
            "không xác nhận được chứng thư số của người ký còn hiệu lực vào thời "
            "điểm đó",
        ),
        (
            r"trust was not evaluated: the signature itself does not hold",
            "Chưa kiểm tra độ tin cậy vì bản thân chữ ký không hợp lệ",
        ),
    )
)


DOUBLE_HEX_PREFIX = re.compile(r"\b0x0x(?=[0-9a-fA-F])")
CHANGED_AFTER = re.compile(
    r"the file was changed after this signature: (?P<change>.*)", re.DOTALL
)


def vietnamese(english: str) -> str:
    """Return the Vietnamese of a finding the checks wrote in English.

    A finding this module does not know keeps its English text as a
    technical detail after a general Vietnamese sentence.
    """
    text = english.strip()
    changed = CHANGED_AFTER.fullmatch(text)
    if changed is not None:
        what = change_vi("other", changed.group("change"))
        return f"Tài liệu đã bị sửa đổi sau khi ký: {what}"
    for pattern, vi in _FINDINGS:
        match = pattern.fullmatch(text)
        if match is not None:
            return _fill(vi, match)
    return f"Phát hiện vấn đề khi kiểm tra ({TECHNICAL}: {text})"


def explain(english: str) -> Explanation:
    """Pair a finding in English with its Vietnamese."""
    english = tidy(english)
    return Explanation(en=english, vi=vietnamese(english))


def tidy(text: str) -> str:
    """Put right what the libraries' messages print wrongly.

    pyHanko writes a byte offset as ``0x{hex(n)}``, i.e. "byte 0x0xaf1".
    """
    return DOUBLE_HEX_PREFIX.sub("0x", text)


def algorithm_reason(plain: Explanation, algorithms: tuple[str, ...]) -> Explanation:
    """Name the algorithms a rejected signature relies on."""
    if not algorithms:
        return plain
    names = ", ".join(algorithms)
    return Explanation(en=f"{plain.en}: {names}", vi=f"{plain.vi}: {names}")


def with_detail(plain: Explanation, detail: str | None) -> Explanation:
    """Add a technical detail (English) to a plain sentence."""
    if detail is None or detail == plain.en:
        return plain
    detail = tidy(detail)
    return Explanation(
        en=f"{plain.en} ({detail})", vi=f"{plain.vi} ({TECHNICAL}: {detail})"
    )


def problem_vi(code: object, message: str) -> str:
    """Return the Vietnamese of a problem with the file, from its code."""
    known = PROBLEMS_VI.get(str(code))
    if known is None:
        return vietnamese(message)
    detail = _problem_detail(message)
    return f"{known} ({TECHNICAL}: {detail})" if detail else known


def _problem_detail(message: str) -> str | None:
    # The part after the first colon names the cause (a parser message, a
    # field name); the lead sentence is what the code already says.
    _, sep, detail = message.partition(": ")
    return detail.strip() or None if sep else None


def _fill(vi: str, match: re.Match[str]) -> str:
    groups = {k: v for k, v in match.groupdict().items() if v is not None}
    text = vi.format_map(_Defaulting(groups))
    detail = groups.get("detail", "").strip(" ()")
    return f"{text} ({TECHNICAL}: {detail})" if detail else text


class _Defaulting(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""


# What each kind of later change is, for a change whose detail is not known.
CHANGE_KINDS_VI: Mapping[str, str] = {
    "signature-added": "Thêm chữ ký",
    "timestamp-added": "Thêm dấu thời gian tài liệu",
    "revocation-data-added": "Thêm dữ liệu kiểm tra hiệu lực",
    "form-filled": "Điền biểu mẫu",
    "annotation-added": "Thêm hoặc sửa chú thích",
    "content-changed": "Nội dung trang bị thay đổi",
    "page-changed": "Trang tài liệu bị thay đổi",
    "other": "Thay đổi khác trong cấu trúc tài liệu",
}

# The frequent details of a later change (changes.py, diffpolicy.py).
_CHANGES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.DOTALL), vi)
    for pattern, vi in (
        (r"signature (?P<names>'.*') added", "Thêm chữ ký {names}"),
        (r"signature added", "Thêm chữ ký"),
        (
            r"document timestamp (?P<names>'.*') added",
            "Thêm dấu thời gian tài liệu {names}",
        ),
        (r"document timestamp added", "Thêm dấu thời gian tài liệu"),
        (
            r"validation data \(/DSS\) added or updated",
            "Thêm hoặc cập nhật dữ liệu kiểm tra hiệu lực (/DSS)",
        ),
        (r"form field (?P<names>'.*') filled in", "Điền trường biểu mẫu {names}"),
        (
            r"appearance of form field (?P<names>'.*') updated",
            "Cập nhật hình thức hiển thị của trường biểu mẫu {names}",
        ),
        (
            r"appearance of form field (?P<names>'.*') changed while its value "
            r"did not",
            "Hình thức hiển thị của trường biểu mẫu {names} bị thay đổi trong "
            "khi giá trị của trường không đổi",
        ),
        (r"signature field (?P<names>'.*') signed", "Ký vào trường chữ ký {names}"),
        (
            r"empty signature field (?P<names>'.*') added",
            "Thêm trường chữ ký trống {names}",
        ),
        (
            r"field (?P<names>'.*') is locked by this signature "
            r"\(FieldMDP (?P<action>/\w+)\)",
            "chữ ký này đã khóa trường {names} (FieldMDP {action})",
        ),
        (
            r"the field is locked by this signature \(FieldMDP (?P<action>/\w+)\)",
            "chữ ký này đã khóa trường này (FieldMDP {action})",
        ),
        (
            r"its widget overlaps that of (?P<names>.*)",
            "ô hiển thị của nó chồng lên ô của {names}",
        ),
        (
            r"its widget covers another annotation",
            "ô hiển thị của nó che một chú thích khác",
        ),
        (r"page (?P<names>/\S+) changed", "Mục {names} của trang bị thay đổi"),
        (
            r"page entry (?P<names>/\S+) changed",
            "Mục {names} của trang bị thay đổi",
        ),
        (
            r"(?P<names>\S+) annotation added",
            "Thêm chú thích loại {names}",
        ),
        (
            r"(?P<names>/\S+) changed",
            "Mục {names} của tài liệu bị thay đổi",
        ),
        (
            r"(?P<names>\d+) byte\(s\) after the last %%EOF belong to no revision",
            "Có {names} byte nằm sau dấu %%EOF cuối cùng, không thuộc phiên bản nào",
        ),
    )
)


def change_vi(kind: object, detail: str) -> str:
    """Return the Vietnamese of a later change from its kind and detail."""
    general = CHANGE_KINDS_VI.get(str(kind), CHANGE_KINDS_VI["other"])
    parts = [part.strip() for part in detail.split("; ") if part.strip()]
    if not parts:
        return general
    said = [_change_part(part) for part in parts]
    unknown = [part for part, text in zip(parts, said, strict=True) if text is None]
    if said[0] is None:
        said[0] = general
    text = "; ".join(text for text in said if text is not None)
    if unknown:
        # What has no Vietnamese yet is kept, in English, for the record.
        text += f" (chi tiết kỹ thuật: {'; '.join(unknown)})"
    return text


def _change_part(part: str) -> str | None:
    for pattern, vi in _CHANGES:
        match = pattern.fullmatch(part)
        if match is not None:
            return _fill(vi, match)
    return None
