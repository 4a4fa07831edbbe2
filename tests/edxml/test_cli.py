"""``edocx edxml check``: what it prints and its exit status."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from edocx.cli import main
from tests.edxml.packets import document_packet
from tests.edxml.test_hostile import LAUGHS


@pytest.fixture(autouse=True)
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("EDOCX_STORAGE__VAR_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("EDOCX_CONFIG", raising=False)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    status = main(["edxml", "check", *args])
    return status, capsys.readouterr().out


def test_usable_packet_with_warnings(
    edxml_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out = run(capsys, str(edxml_dir / "received_sample.edxml"))

    assert status == 0
    assert "sender: 000.00.00.G22" in out
    assert "recipients: 000.00.00.H41, 000.00.00.H14, 000.00.00.G17" in out
    assert "number and notation: 7816/VPCP-TTĐT" in out
    assert "warning: impossible-date" in out
    assert out.rstrip().endswith("verdict: usable")


def test_strict_turns_warnings_into_refusal(
    edxml_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    packet = str(edxml_dir / "edoc_new.edxml")

    status, out = run(capsys, packet, "--strict", "--format", "json")

    assert status == 1
    report = json.loads(out)
    assert report["usable"] is False and report["strict"] is True
    assert report["errors"] == []
    assert "code-number-not-numeric" in [w["code"] for w in report["warnings"]]
    assert report["facts"]["recipients"] == [
        {
            "organ_id": "28.22.H17",
            "name": "UBND xã Hòa Sơn - UBND huyện Hòa Vang - Thành phố Đà Nẵng",
        }
    ]


def test_clean_status_is_usable_even_strict(
    edxml_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    packet = str(edxml_dir / "status_acceptance_03.edxml")

    status, out = run(capsys, packet, "--strict", "--format", "json")

    assert status == 0
    report = json.loads(out)
    assert report["facts"]["kind"] == "status"
    assert report["facts"]["status_code"] == "03"
    assert (report["errors"], report["warnings"]) == ([], [])


def test_not_xml_exits_3(edxml_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out = run(capsys, str(edxml_dir / "edoc.edxml"), "--format", "json")

    assert status == 3
    assert json.loads(out)["errors"][0]["code"] == "not-xml"


def test_unusable_packet_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    packet = tmp_path / "p.edxml"
    packet.write_bytes(document_packet(priority="9"))

    status, out = run(capsys, str(packet))

    assert status == 1
    assert "error: code-list: OtherInfo/Priority 9" in out
    assert "verdict: unusable" in out


def test_billion_laughs_exits_1_with_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    packet = tmp_path / "laughs.edxml"
    packet.write_bytes(document_packet(doctype=LAUGHS, subject="&j;"))

    status, out = run(capsys, str(packet))

    assert status == 1
    assert "error: dtd-forbidden" in out


def test_missing_file_exits_3(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _ = run(capsys, str(tmp_path / "absent.edxml"))

    assert status == 3
