"""Verification of signed PDFs: validation reports a court can read.

Entry points: :func:`verify_pdf` (run it in a worker process),
:func:`require_passing` (the gate), :func:`render_text` and
:func:`render_html` and the report models in
:mod:`edocx.verification.report` (JSON Schema: docs/validation-report.md).
"""

from edocx.verification.render import render_html, render_text
from edocx.verification.report import (
    Indication,
    SignatureKind,
    SignatureReport,
    SubIndication,
    ValidationReport,
    Verdict,
)
from edocx.verification.verify import VerifyOptions, require_passing, verify_pdf

__all__ = [
    "Indication",
    "SignatureKind",
    "SignatureReport",
    "SubIndication",
    "ValidationReport",
    "Verdict",
    "VerifyOptions",
    "render_html",
    "render_text",
    "require_passing",
    "verify_pdf",
]
