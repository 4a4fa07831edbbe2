"""The verdicts of the hub's verifier, as the exchange acts on them."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from edocx.verification import ValidationReport


class Verdict(StrEnum):
    PASSED = "PASSED"
    FAILED = "FAILED"
    INDETERMINATE = "INDETERMINATE"
    UNUSABLE = "UNUSABLE"


def verdict_of(report: ValidationReport) -> Verdict:
    """Return the overall verdict of a report."""
    value: Any = report.verdict
    return Verdict(getattr(value, "value", value))
