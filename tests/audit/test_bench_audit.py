"""``scripts/bench audit`` on a small log: its table and its JSON line."""

from __future__ import annotations

import json
import os

import pytest

from edocx.cli import main

FIGURES = {
    "appends_per_s", "inclusion_proof_ms", "consistency_proof_ms", "bytes_per_entry",
}  # fmt: skip


def test_the_bench_prints_its_figures_last(capsys: pytest.CaptureFixture[str]) -> None:
    cores = os.sched_getaffinity(0)
    status = main(
        ["bench", "audit", "--entries", "3000", "--appends", "400", "--batch", "50"]
    )
    out = capsys.readouterr().out.strip().splitlines()

    assert status == 0
    figures = json.loads(out[-1])
    assert FIGURES <= set(figures)
    assert figures["entries"] == 3000 and figures["appends_batch"] == 50
    assert figures["appends_per_s"] > 0
    assert 0 < figures["inclusion_proof_ms"] < 1000
    assert 0 < figures["consistency_proof_ms"] < 1000
    # The log's own tables cost more than the events alone, not ten times.
    events_alone = figures["bare_events_bytes_per_entry"]
    assert events_alone < figures["bytes_per_entry"] < 4 * events_alone
    assert any("inclusion proof" in line for line in out)
    # The bench pins itself to one core and gives the others back.
    assert os.sched_getaffinity(0) == cores
