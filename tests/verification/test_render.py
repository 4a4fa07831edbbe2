"""Text, HTML and the published JSON Schema of real validation reports."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from edocx.verification import VerifyOptions, render_text, verify_pdf
from edocx.verification.render import render_html
from edocx.verification.report import ValidationReport
from edocx.verification.schema import SCHEMA_PATH, schema_text
from tests.verification.pdfs import PKISigner, blank_pdf, flip_signed_byte

REPO = Path(__file__).resolve().parents[2]
HOSTILE_FIELD = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.fixture(scope="module")
def passed(signed_blt: bytes, offline: VerifyOptions) -> ValidationReport:
    return verify_pdf(signed_blt, offline)


@pytest.fixture(scope="module")
def hostile(test_signer: PKISigner, offline: VerifyOptions) -> ValidationReport:
    signed = test_signer.sign(blank_pdf(), "person-a-signer", field=HOSTILE_FIELD)
    return verify_pdf(flip_signed_byte(signed), offline)


def test_text_shows_every_part_of_a_signature(passed: ValidationReport) -> None:
    text = render_text(passed)

    for label in (
        "Role / Vai trò:",
        "Signer / Người ký:",
        "Certificate / Chứng thư số:",
        "Integrity / Toàn vẹn:",
        "Algorithms / Thuật toán:",
        "Coverage / Phạm vi ký:",
        "Claimed time / Thời điểm khai:",
        "Timestamp / Dấu thời gian:",
        "Trust / Độ tin cậy:",
        "Path / Chuỗi chứng thư:",
        "Revocation / Tình trạng thu hồi:",
        "Level / Mức chữ ký:",
    ):
        assert f"\n    {label}" in text, label
    assert "personal signature (chữ ký cá nhân)" in text
    assert "Nguyễn Văn Thành" in text
    assert "sha256 / " in text
    assert "good (chưa bị thu hồi) (OCSP, embedded in the document" in text
    assert "B-LT (PAdES_BASELINE_LT)" in text
    path = next(line for line in text.splitlines() if "Path / " in line)
    assert path.endswith(passed.signatures[0].certification_path[-1])
    assert "-> Common Name: edocx Development Root CA" in path


def test_text_gives_the_verdict_and_reasons_in_both_languages(
    passed: ValidationReport,
) -> None:
    text = render_text(passed)

    assert "Verdict:    PASSED" in text
    assert "Kết luận:   HỢP LỆ" in text
    assert "- the signed bytes are unchanged and the signature value verifies" in text
    assert "Chữ ký số hợp lệ: nội dung đã ký không bị thay đổi" in text


def test_text_shows_the_tampering(hostile: ValidationReport) -> None:
    text = render_text(hostile)

    assert "TOTAL-FAILED / HASH_FAILURE" in text
    assert "DIGEST MISMATCH" in text
    assert "Tài liệu đã bị sửa đổi sau khi ký" in text


def test_html_escapes_a_hostile_field_name(hostile: ValidationReport) -> None:
    page = render_html(hostile)

    assert "<script" not in page.lower()
    assert "<img" not in page.lower()
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "Tài liệu đã bị sửa đổi sau khi ký" in page


def test_html_is_one_self_contained_page(passed: ValidationReport) -> None:
    page = render_html(passed)
    tags = _tags(page)

    assert page.startswith("<!DOCTYPE html>")
    assert {"script", "link", "img", "iframe", "object", "a"}.isdisjoint(tags)
    assert not re.search(r"(src|href)\s*=|url\(|@import", page, re.IGNORECASE)
    assert tags.count("section") == 1 + len(passed.signatures)
    assert "HỢP LỆ" in page and "PASSED" in page


def test_published_schema_matches_the_models() -> None:
    published = REPO / SCHEMA_PATH
    assert published.read_text("utf-8") == schema_text(), (
        f"{SCHEMA_PATH} is stale: run `python -m edocx.verification.schema`"
    )


def _tags(page: str) -> list[str]:
    found: list[str] = []

    class Collector(HTMLParser):
        def handle_starttag(self, tag: str, attrs: object) -> None:
            found.append(tag)

    Collector().feed(page)
    return found
