"""``edocx sign``'s hint when no TSA answers names where the TSAs came from."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from edocx.cli import main
from tests.conftest import free_port
from tests.signing.conftest import JobFactory
from tests.signing.test_sign_cli import cli_env  # noqa: F401


def _sign(jobs: JobFactory, unsigned_dir: Path, out: Path, *extra: str) -> int:
    key = ["--p12", str(jobs.pki.p12_path("person-a-signer"))]
    trust = ["--trust", str(jobs.pki.root_cert_path)]
    source = str(unsigned_dir / "sample.pdf")
    return main(["sign", source, str(out), *key, *trust, "--level", "B-T", *extra])


def _hint(said: str) -> str:
    (line,) = [line for line in said.splitlines() if line.startswith("hint: ")]
    return line


@pytest.mark.usefixtures("cli_env")
def test_the_tsa_hint_follows_where_the_tsas_came_from(
    jobs: JobFactory,
    unsigned_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    dead = f"http://127.0.0.1:{free_port()}/tsa"
    out = tmp_path / "x.pdf"
    # The demo's development TSA is asked on http.port, where nothing listens.
    monkeypatch.setenv("EDOCX_HTTP__PORT", str(free_port()))
    monkeypatch.setenv("EDOCX_DEMO", "true")
    monkeypatch.delenv("EDOCX_SIGNING__TSA_URLS", raising=False)

    given = _sign(jobs, unsigned_dir, out, "--tsa", dead)
    given_said = capsys.readouterr().err
    demo = _sign(jobs, unsigned_dir, out)
    demo_said = capsys.readouterr().err
    monkeypatch.setenv("EDOCX_SIGNING__TSA_URLS", json.dumps([dead]))
    configured = _sign(jobs, unsigned_dir, out)
    configured_said = capsys.readouterr().err

    assert (given, demo, configured) == (1, 1, 1)
    assert dead in given_said and dead in configured_said
    assert "addresses given with --tsa URL" in _hint(given_said)
    assert "EDOCX_HTTP__PORT" not in given_said
    assert "EDOCX_HTTP__PORT" in _hint(demo_said)
    assert "signing.tsa_urls" in _hint(configured_said)
    assert "EDOCX_HTTP__PORT" not in configured_said
    assert not out.exists()
