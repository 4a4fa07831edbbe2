"""Files made to break a verifier: each gives a report, never an exception."""

from __future__ import annotations

import time

import pytest

from edocx.verification import Verdict, VerifyOptions, verify_pdf
from edocx.verification.document import MAX_REVISIONS
from edocx.verification.report import Severity
from tests.signing.baddrafts import with_empty_updates
from tests.verification.pdfs import blank_pdf, pdf_with_field_loop

OPTIONS = VerifyOptions(trust_root_paths=(), allow_fetching=False)


def hostile_inputs() -> list[object]:
    pdf = blank_pdf()
    return [
        pytest.param(b"", id="empty"),
        pytest.param(b"%PDF-1.7\n", id="header-only"),
        pytest.param(bytes(range(256)) * 64, id="binary-noise"),
        pytest.param(pdf[: len(pdf) // 2], id="truncated"),
        pytest.param(pdf.replace(b"startxref", b"startxrex"), id="no-startxref"),
        pytest.param(pdf.replace(b"/Root", b"/Rooo"), id="no-document-catalog"),
    ]


@pytest.mark.parametrize("data", hostile_inputs())
def test_hostile_input_gives_a_report(data: bytes) -> None:
    started = time.monotonic()

    report = verify_pdf(data, OPTIONS)

    assert time.monotonic() - started < 10
    assert report.verdict in (Verdict.UNUSABLE, Verdict.FAILED)
    assert report.problems
    assert all(p.message for p in report.problems)


def test_unsigned_pdf_has_nothing_to_verify() -> None:
    report = verify_pdf(blank_pdf(), OPTIONS)

    assert report.verdict is Verdict.UNUSABLE
    assert [p.code for p in report.problems] == ["no-signature"]
    assert report.problems[0].severity is Severity.ERROR
    assert report.revision_count == 1


def test_field_tree_loop_ends() -> None:
    report = verify_pdf(pdf_with_field_loop(), OPTIONS)

    assert report.verdict is Verdict.UNUSABLE
    assert report.has_problem("no-signature")


def test_too_many_revisions_are_refused_early() -> None:
    data = with_empty_updates(blank_pdf(), 3000)
    started = time.monotonic()

    report = verify_pdf(data, OPTIONS)

    assert time.monotonic() - started < 5
    assert report.verdict is Verdict.UNUSABLE
    assert [p.code for p in report.problems] == ["too-many-revisions"]
    assert "3001 revisions" in report.problems[0].message
    assert str(MAX_REVISIONS) in report.problems[0].message


def test_a_few_revisions_are_read() -> None:
    report = verify_pdf(with_empty_updates(blank_pdf(), MAX_REVISIONS - 1), OPTIONS)

    assert report.revision_count == MAX_REVISIONS
    assert [p.code for p in report.problems] == ["no-signature"]
