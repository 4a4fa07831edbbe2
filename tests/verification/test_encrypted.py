"""Encrypted PDFs sent without their password: say so, and say it is encrypted.

Real files from the shared test data: ``protected_open_protected.pdf`` has
a user password (a single space); ``encrypted.pdf`` opens with the empty
user password, so only a wrong password keeps it shut.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from edocx.verification import Verdict, VerifyOptions, render_text, verify_pdf


@pytest.mark.parametrize(
    ("folder", "name", "password"),
    [
        ("pdf-unsigned", "protected_open_protected.pdf", None),
        ("pdf-unsigned", "protected_open_protected.pdf", "wrong"),
        ("dss-pdf", "encrypted.pdf", "wrong"),
    ],
)
def test_locked_pdf_is_reported_encrypted_and_needing_its_password(
    test_data_dir: Path, folder: str, name: str, password: str | None
) -> None:
    options = VerifyOptions(
        trust_root_paths=(), allow_fetching=False, password=password
    )

    report = verify_pdf((test_data_dir / folder / name).read_bytes(), options)

    assert report.verdict is Verdict.UNUSABLE
    assert report.encrypted is True
    assert [p.code for p in report.problems] == ["pdf-password-required"]
    assert "password" in report.problems[0].message
    assert report.model_dump(mode="json")["encrypted"] is True
    assert "encrypted" in render_text(report).splitlines()[0]


def test_pdf_with_an_empty_user_password_opens_without_one(
    test_data_dir: Path,
) -> None:
    options = VerifyOptions(trust_root_paths=(), allow_fetching=False)

    report = verify_pdf(
        (test_data_dir / "dss-pdf" / "encrypted.pdf").read_bytes(), options
    )

    assert report.encrypted is True
    assert report.signature_count == 1
    assert not report.has_problem("pdf-password-required")
