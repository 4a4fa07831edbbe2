"""The HTML validation report as a browser shows it (Debian's headless Chromium).

The page is opened from a file, as an auditor opens a report saved from
``edocx verify --format html`` or ``POST /api/v1/verify?format=html``: the
browser must build the report's text from it, including Vietnamese, and a
hostile field name must stay text, never become an element.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from edocx.verification import VerifyOptions, verify_pdf
from edocx.verification.render import render_html
from tests.verification.pdfs import PKISigner, blank_pdf

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
HOSTILE_FIELD = '<img src=x onerror=alert(1)><script>document.title="owned"</script>'

# CI installs Chromium, so there the tests run, and fail without it.
pytestmark = pytest.mark.skipif(
    CHROMIUM is None and not os.environ.get("CI"),
    reason="Debian's chromium is not installed (scripts/test installs it as root)",
)


def _dom(page: Path, profile: Path) -> str:
    """The document as Chromium built it, after parsing and any script."""
    assert CHROMIUM is not None
    result = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        timeout=60,
        check=True,
    )
    return result.stdout.decode("utf-8")


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: object) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(dom: str) -> _Elements:
    parser = _Elements()
    parser.feed(dom)
    return parser


def test_browser_shows_the_report_of_a_passing_document(
    signed_blt: bytes, offline: VerifyOptions, tmp_path: Path
) -> None:
    report = verify_pdf(signed_blt, offline)
    assert report.verdict.value == "PASSED"
    page = tmp_path / "report.html"
    page.write_text(render_html(report), "utf-8")

    shown = _parse(_dom(page, tmp_path / "profile"))
    text = " ".join(shown.text)

    assert "PASSED" in text
    assert report.signatures[0].field in text
    assert "Nguyễn Văn Thành" in text
    assert "TOTAL-PASSED" in text
    assert "script" not in shown.tags


def test_browser_keeps_a_hostile_field_name_as_text(
    test_signer: PKISigner, offline: VerifyOptions, tmp_path: Path
) -> None:
    signed = test_signer.sign(blank_pdf(), "person-a-signer", field=HOSTILE_FIELD)
    report = verify_pdf(signed, offline)
    page = tmp_path / "hostile.html"
    page.write_text(render_html(report), "utf-8")

    dom = _dom(page, tmp_path / "profile")
    shown = _parse(dom)

    assert "img" not in shown.tags
    assert "script" not in shown.tags
    assert HOSTILE_FIELD in " ".join(shown.text)
    assert "owned" not in dom.split("<title>")[1].split("</title>")[0]
