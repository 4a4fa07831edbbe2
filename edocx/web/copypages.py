"""The human page at a QR code's address: ``GET /c/{code}``, no login.

It shows in Vietnamese what the API answers for the code: the register
entry, the status, and since when and why a revoked copy was revoked; and
it offers a form to upload a PDF, whose answer (``POST /c/{code}``) is the
same page with the check's verdict and the signature report's essentials.

Every value on the page is escaped: names and reasons come from clerks and
a signature report quotes the uploaded file. The page loads nothing and
runs nothing (Content-Security-Policy), whatever a value holds.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape

from aiohttp import web

from edocx.copies import duplicates
from edocx.copies.check import CopyCheck, CopyStatus, check_copy
from edocx.copies.duplicates import DuplicateNotFoundError
from edocx.copies.errors import CopyNotFoundError
from edocx.errors import EdocxError
from edocx.verification.report import Indication, ValidationReport
from edocx.verification.reportparts import SignerRole
from edocx.verification.reportview import VERDICTS
from edocx.vntime import vietnam_time
from edocx.web.bodies import Part, read_parts
from edocx.web.duplicateroutes import (
    DuplicateOut,
    check_out,
    check_upload_mb,
    duplicate_out,
)
from edocx.web.keys import POOL
from edocx.web.problems import UploadTooLargeError
from edocx.web.routing import Call

logger = logging.getLogger(__name__)

FILE_PART = Part("file", "binary", True, "the PDF to check")
# The page reads its form itself (``check_copy_form``): a refused upload is
# answered with a page, not a problem document.
PAGE_PARTS: tuple[Part, ...] = ()
# Room for the multipart framing around the file.
FRAMING = 64 * 1024

# The form posts to the page itself; nothing else is loaded or run.
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}

_STYLE = (
    "body{font-family:'DejaVu Serif',serif;max-width:46em;margin:2em auto;"
    "padding:0 1em;color:#222}th{text-align:left;padding-right:1em;"
    "vertical-align:top;font-weight:normal;color:#555}td{padding:.15em 0}"
    ".ok{color:#0a6b2d}.bad{color:#a4000f}.note{color:#555;font-size:.9em}"
)


INDICATIONS_VI = {
    Indication.TOTAL_PASSED: "hợp lệ",
    Indication.TOTAL_FAILED: "không hợp lệ",
    Indication.INDETERMINATE: "chưa xác định được",
}
ROLES_VI = {
    SignerRole.PERSONAL: "Chữ ký số cá nhân",
    SignerRole.SEAL: "Chữ ký số của cơ quan (con dấu)",
    SignerRole.TIMESTAMP: "Dấu thời gian",
    SignerRole.UNKNOWN: "Chữ ký số",
}


def vietnamese_moment(iso: str | None) -> str:
    """Write an ISO 8601 moment as a page shows it: ngày 05/12/2026 lúc 10:41."""
    if not iso:
        return ""
    try:
        moment = vietnam_time(datetime.fromisoformat(iso))
    except ValueError:
        return iso
    return f"ngày {moment:%d/%m/%Y} lúc {moment:%H:%M}"


@dataclass(frozen=True)
class Facts:
    """What the page shows of a copy: the API's answer, in Vietnamese."""

    code: str
    heading: str
    rows: tuple[tuple[str, str], ...]
    revoked_at: str | None
    revocation_reason: str | None


@dataclass(frozen=True)
class Verdict:
    """The bottom line of a check, shown above the report's essentials."""

    good: bool
    sentence: str
    report: ValidationReport
    problems: tuple[str, ...] = ()


async def show_copy(call: Call) -> web.Response:
    """Show the register entry and status of the copy ``code``."""
    code = call.param("code")
    try:
        facts, _ = await _facts(call, code, None)
    except (CopyNotFoundError, DuplicateNotFoundError):
        return _not_found(code)
    return _page(render_page(facts, None))


async def check_copy_form(call: Call) -> web.Response:
    """Check the uploaded PDF against the copy ``code`` and show the answer."""
    code = call.param("code")
    mb = check_upload_mb(call.settings)
    try:
        parts = await read_parts(
            call.request, (FILE_PART,), mb * 1024 * 1024 + FRAMING,
            f"{mb} MB, verification.max_upload_mb",
        )  # fmt: skip
    except EdocxError as e:
        return _upload_refused(code, e, mb)
    try:
        facts, verdict = await _facts(call, code, parts["file"])
    except (CopyNotFoundError, DuplicateNotFoundError):
        return _not_found(code)
    return _page(render_page(facts, verdict))


def _upload_refused(code: str, error: EdocxError, mb: int) -> web.Response:
    if isinstance(error, UploadTooLargeError):
        said = f"Tệp quá lớn: trang này nhận tệp PDF đến {mb} MB."
    else:
        said = "Không đọc được tệp đã gửi: hãy chọn một tệp PDF rồi gửi lại."
    body = (
        "<h1>Không kiểm tra được tệp</h1>"
        f"<p class=bad><strong>{_e(said)}</strong></p>" + _form(code)
    )
    return _page(_document("Không kiểm tra được tệp", body), error.status)


async def _facts(
    call: Call, code: str, pdf: bytes | None
) -> tuple[Facts, Verdict | None]:
    """Return the facts of the certified copy or e-duplicate ``code``.

    Certified copies and e-duplicates share the page: a code names one or
    the other, never both (each is 80 random bits).
    """
    try:
        checked = await check_copy(
            call.hub, code, pdf, runner=call.request.app[POOL],
            timeout_s=call.settings.verification.timeout_s,
        )  # fmt: skip
    except CopyNotFoundError:
        return await _duplicate_facts(call, code, pdf)
    return copy_facts(checked), copy_verdict(checked)


async def _duplicate_facts(
    call: Call, code: str, pdf: bytes | None
) -> tuple[Facts, Verdict | None]:
    if pdf is None:
        row = await duplicates.find_duplicate(call.hub, code)
        return duplicate_facts(await duplicate_out(call.hub, call.settings, row)), None
    checked = await duplicates.check_duplicate(call.hub, code, pdf)
    answer = await check_out(call.hub, call.settings, checked)
    good = answer.matches and not answer.revoked
    verdict = Verdict(good, answer.summary_vi, answer.report)
    return duplicate_facts(answer.duplicate), verdict


def copy_facts(checked: CopyCheck) -> Facts:
    """Return the page's facts of a certified copy (``GET /api/v1/copies``)."""
    entry = checked.entry
    certifier = entry.certifier_name
    if entry.certifier_title:
        certifier += f", {entry.certifier_title}"
    rows = (
        ("Loại", "Bản sao điện tử chứng thực từ bản chính"),
        ("Giấy tờ", entry.document_name),
        ("Số chứng thực", entry.number_text),
        ("Sổ chứng thực", entry.book),
        ("Cơ quan chứng thực", f"{entry.body_name} ({entry.body_code})"),
        ("Thời điểm chứng thực", vietnamese_moment(entry.certified_at)),
        ("Người chứng thực", certifier),
        ("Số trang", str(entry.page_count)),
        ("Số bản", str(entry.copies)),
    )
    return Facts(
        entry.code, f"{entry.document_name} — bản sao chứng thực điện tử", rows,
        checked.revoked_at, checked.revocation_reason,
    )  # fmt: skip


def copy_verdict(checked: CopyCheck) -> Verdict | None:
    """Return the bottom line of a certified copy's check, if a file came."""
    if checked.file is None:
        return None
    if not checked.file.unmodified:
        sentence = "Tệp này không phải bản sao chứng thực đã cấp, hoặc đã bị sửa đổi."
    elif checked.status is CopyStatus.REVOKED:
        sentence = "Tệp này đúng là bản sao chứng thực, nhưng đã bị thu hồi."
    else:
        sentence = "Tệp này đúng là bản sao chứng thực, không bị sửa đổi, còn hiệu lực."
    return Verdict(
        checked.valid, sentence, checked.file.report, tuple(checked.file.problems_vi)
    )


def duplicate_facts(shown: DuplicateOut) -> Facts:
    """Return the page's facts of an e-duplicate (``GET /api/v1/duplicates``)."""
    rows = (
        ("Loại", "Bản sao điện tử từ sổ gốc"),
        ("Giấy tờ", shown.document_name),
        ("Số bản sao", shown.number),
        ("Sổ cấp bản sao", shown.book),
        ("Cơ quan cấp", f"{shown.body.name} ({shown.body.code})"),
        ("Thời điểm cấp", vietnamese_moment(shown.issued_at)),
        ("Mức chữ ký số", shown.level),
        ("Mã băm SHA-256 của tệp", shown.pdf_sha256),
    )
    return Facts(
        shown.code, f"{shown.document_name} — bản sao điện tử từ sổ gốc", rows,
        shown.revoked_at, shown.revocation_reason,
    )  # fmt: skip


def _page(html: str, status: int = 200) -> web.Response:
    return web.Response(
        text=html, status=status, content_type="text/html", headers=PAGE_HEADERS
    )


def _not_found(code: str) -> web.Response:
    body = (
        "<h1>Không tìm thấy bản sao</h1>"
        f"<p>Không có bản sao điện tử nào mang mã {_e(code[:64])}.</p>"
        "<p class=note>Hãy kiểm tra lại địa chỉ trong mã QR.</p>"
    )
    return _page(_document("Không tìm thấy bản sao", body), 404)


def render_page(facts: Facts, verdict: Verdict | None) -> str:
    """Return the page of a copy, and of a check of a file if any."""
    body = (
        f"<h1>{_e(facts.heading)}</h1>"
        + _status(facts)
        + _table(facts.rows)
        + ("" if verdict is None else _verdict(verdict))
        + _form(facts.code)
    )
    return _document(f"Kiểm tra bản sao {facts.code}", body)


def _status(facts: Facts) -> str:
    if facts.revoked_at is not None:
        return (
            "<p class=bad><strong>Trạng thái: ĐÃ THU HỒI</strong></p>"
            + _table([("Thu hồi từ", vietnamese_moment(facts.revoked_at)),
                      ("Lý do thu hồi", facts.revocation_reason or "")])
        )  # fmt: skip
    return "<p class=ok><strong>Trạng thái: CÒN HIỆU LỰC</strong></p>"


def _verdict(verdict: Verdict) -> str:
    report = verdict.report
    css = "ok" if verdict.good else "bad"
    rows = [("Kết luận kiểm tra chữ ký", VERDICTS[report.verdict].vi),
            ("Mã băm SHA-256 của tệp đã tải lên", report.document_sha256)]  # fmt: skip
    for signature in report.signatures:
        who = signature.signer.common_name if signature.signer else None
        rows.append(
            (ROLES_VI[signature.role],
             f"{who or 'không rõ'}: {INDICATIONS_VI[signature.indication]}")
        )  # fmt: skip
    notes = [*verdict.problems, *(p.message_vi or p.message for p in report.problems)]
    return (
        "<h2>Kết quả kiểm tra tệp</h2>"
        f"<p class={css}><strong>{_e(verdict.sentence)}</strong></p>"
        + _table(rows)
        + "".join(f"<p class=note>{_e(text)}</p>" for text in notes)
    )


def _form(code: str) -> str:
    return (
        "<h2>Kiểm tra một tệp PDF</h2>"
        f'<form method=post action="/c/{_e(code)}" enctype="multipart/form-data">'
        "<label>Tệp PDF cần kiểm tra: <input type=file name=file"
        ' accept="application/pdf" required></label> '
        "<button type=submit>Kiểm tra</button></form>"
        "<p class=note>Tệp được đối chiếu với bản sao đã cấp và kiểm tra chữ ký số;"
        " hệ thống không lưu tệp.</p>"
    )


def _table(rows: Sequence[tuple[str, str]]) -> str:
    cells = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in rows)
    return f"<table>{cells}</table>"


def _document(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{_STYLE}</style></head>"
        f"<body>{body}</body></html>"
    )


def _e(text: str) -> str:
    return escape(text, quote=True)
