"""`scripts/demo` plays the whole path against a running hub."""

from __future__ import annotations

from pathlib import Path

import pytest

from edocx.bootstrap import demo_tokens_path
from edocx.config import Settings
from edocx.demo.run import run_demo
from edocx.pki.devpki import PKILayout
from edocx.pki.server import PKIServerThread
from tests.web.hubkit import hub_settings, running_hub


async def test_demo_issues_delivers_and_accepts_four_pdfs(
    tmp_path: Path,
    test_settings: Settings,
    dev_pki: PKILayout,
    pki_server: PKIServerThread,
    test_data_dir: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = hub_settings(test_settings, tmp_path / "var")

    async with running_hub(settings) as hub:
        url = str(hub.client.make_url("/"))
        status = await run_demo(
            settings,
            url=url,
            tokens=demo_tokens_path(settings),
            data_dir=test_data_dir / "pdf-unsigned",
        )

    out = capsys.readouterr().out
    assert status == 0, out
    assert out.count("numbered, sealed and sent") == 4
    assert out.count("verdict=PASSED") == 8
    assert out.count("B=03  C=03") == 4
    for notation in ("01/QĐ-UBND", "02/UBND-VP", "03/BC-UBND", "04/TB-UBND"):
        assert f"number={notation}" in out


async def test_demo_reports_a_missing_hub(
    tmp_path: Path, test_settings: Settings, test_data_dir: Path
) -> None:
    settings = hub_settings(test_settings, tmp_path / "var")
    tokens = tmp_path / "tokens.json"
    tokens.write_text(
        '{"a": {"signer": "x", "clerk": "x", "organ_id": "A"},'
        ' "b": {"system": "x", "organ_id": "B"},'
        ' "c": {"system": "x", "organ_id": "C"}}'
    )

    status = await run_demo(
        settings,
        url="http://127.0.0.1:9/",
        tokens=tokens,
        data_dir=test_data_dir,
    )

    assert status == 1
