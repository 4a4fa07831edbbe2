"""``edocx verify FILE``: the verdict as an exit code, on real files.

0 every signature passes, 1 one fails, 2 one is indeterminate (none
fails), 3 the file is unusable or carries nothing to verify.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path

from edocx.config import Settings
from edocx.verification.cli import run_verify_cli
from tests.verification.pdfs import append_page_content, blank_pdf

Write = Callable[[str, bytes], Path]


def run(
    path: Path, settings: Settings, *, json_output: bool = False
) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run_verify_cli(path, settings, json_output=json_output, out=out, err=err)
    return code, out.getvalue() + err.getvalue()


def test_exit_0_when_every_signature_passes(
    signed_blt: bytes, test_settings: Settings, write: Write
) -> None:
    code, output = run(write("good.pdf", signed_blt), test_settings)

    assert code == 0
    assert "Verdict:    PASSED" in output
    assert "TOTAL-PASSED" in output
    assert "+07:00" in output


def test_exit_1_when_the_document_changed_after_signing(
    signed_blt: bytes, test_settings: Settings, write: Write
) -> None:
    path = write("changed.pdf", append_page_content(signed_blt))

    code, output = run(path, test_settings)

    assert code == 1
    assert "TOTAL-FAILED / FORMAT_FAILURE" in output


def test_exit_2_when_revocation_cannot_be_established_offline(
    signed_bt: bytes, test_settings: Settings, write: Write
) -> None:
    code, output = run(write("no-revocation-data.pdf", signed_bt), test_settings)

    assert code == 2
    assert "INDETERMINATE / TRY_LATER" in output


def test_exit_3_when_the_file_is_not_a_pdf(
    test_settings: Settings, write: Write
) -> None:
    code, output = run(write("letter.pdf", b"Dear colleagues, ..."), test_settings)

    assert code == 3
    assert "not-a-pdf" in output


def test_exit_3_when_there_is_nothing_to_verify(
    test_settings: Settings, write: Write
) -> None:
    code, output = run(write("unsigned.pdf", blank_pdf()), test_settings)

    assert code == 3
    assert "nothing to verify" in output


def test_exit_3_when_the_file_cannot_be_read(
    test_settings: Settings, tmp_path: Path
) -> None:
    code, output = run(tmp_path / "missing.pdf", test_settings)

    assert code == 3
    assert "cannot read" in output


def test_json_output_is_the_report(
    signed_blt: bytes, test_settings: Settings, write: Write
) -> None:
    code, output = run(write("good.pdf", signed_blt), test_settings, json_output=True)

    report = json.loads(output)
    assert code == 0
    assert report["verdict"] == "PASSED"
    assert report["signatures"][0]["revocation"]["source"] == "document"
    assert report["policy"]["allow_fetching"] is False
