"""Every command that reads one FILE says alike why it cannot, and exits 3."""

from __future__ import annotations

from pathlib import Path

import pytest

from edocx.cli import main


@pytest.mark.parametrize(
    "command",
    [["copy", "check"], ["duplicate", "check"], ["edxml", "check"]],
    ids=" ".join,
)
def test_a_missing_file_is_named_with_the_reason(
    command: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    monkeypatch.setenv("EDOCX_STORAGE__VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("EDOCX_PKI__DIR", str(tmp_path / "pki"))
    monkeypatch.delenv("EDOCX_CONFIG", raising=False)
    missing = tmp_path / "missing.pdf"

    assert main([*command, str(missing)]) == 3

    said = capsys.readouterr()
    assert said.err == f"edocx: cannot read {missing}: No such file or directory\n"
    assert said.out == ""


def test_a_folder_is_not_read_as_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    monkeypatch.setenv("EDOCX_STORAGE__VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("EDOCX_PKI__DIR", str(tmp_path / "pki"))
    monkeypatch.delenv("EDOCX_CONFIG", raising=False)

    assert main(["copy", "check", str(tmp_path)]) == 3

    assert capsys.readouterr().err == f"edocx: cannot read {tmp_path}: Is a directory\n"
