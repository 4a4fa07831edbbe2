"""Render a validation report as one self-contained HTML page.

The page may be saved, mailed or printed: it loads nothing (no scripts, no
fonts, no images, no links to follow) and every value from the file, a
field name or a certificate subject chosen by whoever made the PDF, is
escaped. The facts and their order are those of the text rendering
(:mod:`edocx.verification.reportview`); labels are given in Vietnamese and
English.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from edocx.verification.report import (
    Explanation,
    Indication,
    SignatureReport,
    ValidationReport,
    Verdict,
)
from edocx.verification.reportview import (
    Row,
    change_lines,
    document_rows,
    signature_rows,
    signature_title,
    verdict_text,
)

STYLE = """
body{font-family:sans-serif;max-width:60em;margin:1em auto;padding:0 1em;
color:#222;line-height:1.4}
table{border-collapse:collapse;width:100%}
th{text-align:left;vertical-align:top;width:14em;padding:.2em .5em}
td{padding:.2em .5em;overflow-wrap:anywhere}
th small,.en{color:#555}
section{border:1px solid #ccc;border-radius:4px;margin:1em 0;padding:.5em 1em}
.passed{border-left:6px solid #2a7a2a}
.failed{border-left:6px solid #b00020}
.indeterminate{border-left:6px solid #c78100}
.unusable{border-left:6px solid #555}
"""
CLASSES = {
    Verdict.PASSED: "passed",
    Verdict.FAILED: "failed",
    Verdict.INDETERMINATE: "indeterminate",
    Verdict.UNUSABLE: "unusable",
    Indication.TOTAL_PASSED: "passed",
    Indication.TOTAL_FAILED: "failed",
    Indication.INDETERMINATE: "indeterminate",
}


def render_html(report: ValidationReport) -> str:
    """Return the report as a complete HTML page (UTF-8, no external resources)."""
    verdict = verdict_text(report)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="vi"><head><meta charset="utf-8">',
        "<title>Kết quả kiểm tra chữ ký số / Signature validation report</title>",
        f"<style>{STYLE}</style></head><body>",
        "<h1>Kết quả kiểm tra chữ ký số<br>"
        "<small>Signature validation report</small></h1>",
        f'<section class="{CLASSES[report.verdict]}">',
        f"<h2>{_both(verdict)}</h2>",
        _table(document_rows(report)),
        "</section>",
    ]
    for number, signature in enumerate(report.signatures, start=1):
        parts.append(_signature(number, signature, report.revision_count))
    if report.problems:
        parts.append(_problems(report))
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _signature(number: int, sig: SignatureReport, revisions: int | None) -> str:
    parts = [
        f'<section class="{CLASSES[sig.indication]}">',
        f"<h2>[{number}] {escape(signature_title(sig))}</h2>",
        _table(signature_rows(sig, revisions)),
    ]
    changes = change_lines(sig)
    if changes:
        parts.append("<h3>Thay đổi sau khi ký / Later changes</h3>")
        parts.append(_list(_both(change) for change in changes))
    if sig.reasons:
        parts.append("<h3>Lý do / Reasons</h3>")
        parts.append(_list(_both(reason) for reason in sig.reasons))
    parts.append("</section>")
    return "\n".join(parts)


def _problems(report: ValidationReport) -> str:
    items = (
        f"[{escape(p.severity)}] <code>{escape(p.code)}</code>: "
        + _both(p.explanation)
        + (f" (field <code>{escape(p.field_name)}</code>)" if p.field_name else "")
        for p in report.problems
    )
    return "<section><h2>Vấn đề / Problems</h2>" + _list(items) + "</section>"


def _table(rows: list[Row]) -> str:
    body = "".join(
        f"<tr><th>{escape(row.label.vi)}<br><small>{escape(row.label.en)}</small>"
        f"</th><td>{escape(row.value)}</td></tr>"
        for row in rows
    )
    return f"<table>{body}</table>"


def _list(items: Iterable[str]) -> str:
    return "<ul>" + "".join(f"<li>{item}</li>" for item in items) + "</ul>"


def _both(text: Explanation) -> str:
    return f'{escape(text.vi)}<br><span class="en">{escape(text.en)}</span>'
