"""``scripts/bench load`` drives a real hub and ends with its figures."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from edocx.bench.load import MIX, run_load_bench
from edocx.config import Settings

pytestmark = pytest.mark.slow


def test_load_bench_reports_every_call_without_errors(
    test_settings: Settings, test_data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = run_load_bench(test_settings, seconds=3, clients=8, data_dir=test_data_dir)

    out = capsys.readouterr().out
    figures: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    assert status == 0, out
    assert figures["bench"] == "load"
    assert figures["errors"] == 0
    assert figures["requests_per_s"] > 0
    assert 0 < figures["p50_ms"] <= figures["p99_ms"]
    # Each kind of call of the mix ran, and the hub's memory was sampled.
    for kind in MIX:
        assert figures[f"{kind}_per_s"] > 0, kind
    assert 0 < figures["rss_mb_start"] and 0 < figures["rss_mb_end"]
