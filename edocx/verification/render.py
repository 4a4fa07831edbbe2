"""Render a validation report as text a clerk, a judge or an auditor can read.

One block per signature, the facts first (who, how it holds, what it
covers and what changed later, when, on whose word), the conclusion and its
reasons last, each reason in English and Vietnamese. Times are shown in
Vietnam time (UTC+07:00), the zone legal documents are dated in; the stored
report keeps UTC. :func:`render_html` gives the same facts as a web page.
"""

from __future__ import annotations

from edocx.verification.htmlrender import render_html
from edocx.verification.report import SignatureReport, ValidationReport
from edocx.verification.reportview import (
    Row,
    change_lines,
    document_rows,
    signature_rows,
    signature_title,
    verdict_text,
)

__all__ = ["render_html", "render_text"]

# Column of the values: the document's facts, then each signature's.
DOCUMENT_WIDTH = 12
SIGNATURE_WIDTH = 14


def render_text(report: ValidationReport) -> str:
    """Return the report as plain text, one block per signature."""
    verdict = verdict_text(report)
    lines = [
        *_rows(document_rows(report), indent="", width=DOCUMENT_WIDTH),
        f"{'Verdict:':<{DOCUMENT_WIDTH}}{verdict.en}",
        f"{'Kết luận:':<{DOCUMENT_WIDTH}}{verdict.vi}",
        "",
    ]
    for number, signature in enumerate(report.signatures, start=1):
        lines.extend(_signature_block(number, signature, report.revision_count))
        lines.append("")
    if report.problems:
        lines.append("Problems / Vấn đề:")
        for p in report.problems:
            where = f" (field {p.field_name!r})" if p.field_name else ""
            lines.append(f"  - [{p.severity}] {p.code}: {p.message}{where}")
            lines.append(f"    {p.message_vi}")
    return "\n".join(lines).rstrip() + "\n"


def _signature_block(
    number: int, sig: SignatureReport, revisions: int | None
) -> list[str]:
    lines = [f"[{number}] {signature_title(sig)}"]
    rows = signature_rows(sig, revisions)
    lines.extend(_rows(rows, indent="    ", width=SIGNATURE_WIDTH))
    changes = change_lines(sig)
    if changes:
        lines.append("    Later changes / Thay đổi sau khi ký:")
        for change in changes:
            lines.append(f"      - {change.en}")
            lines.append(f"        {change.vi}")
    if sig.reasons:
        lines.append("    Reasons / Lý do:")
        for reason in sig.reasons:
            lines.append(f"      - {reason.en}")
            lines.append(f"        {reason.vi}")
    return lines


def _rows(rows: list[Row], *, indent: str, width: int) -> list[str]:
    """Label in English / Vietnamese, values aligned a column after the longest."""
    labels = [f"{row.label.en} / {row.label.vi}:" for row in rows]
    column = max([width, *(len(label) + 1 for label in labels)])
    return [
        f"{indent}{label:<{column}}{row.value}"
        for label, row in zip(labels, rows, strict=True)
    ]
