"""The benches run end to end and end with their JSON line of figures."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from edocx.bench.corpus import run_corpus_bench
from edocx.bench.verify import run_verify_bench
from edocx.config import Settings


def _figures(out: str) -> dict[str, Any]:
    figures: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return figures


def test_verify_bench_compares_both_verifiers(
    test_settings: Settings, test_data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_verify_bench(test_settings, documents=3, data_dir=test_data_dir) == 0

    figures = _figures(capsys.readouterr().out)
    assert figures["bench"] == "verify"
    for key in ("ratio_first_seen", "ratio_repeated"):
        assert figures[key] > 0
    # Repeated signers must have been served from the caches.
    assert figures["cache_hits_repeated"]["paths"] > 0


def test_corpus_bench_counts_the_facts(
    test_data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_corpus_bench(test_data_dir) == 0

    figures = _figures(capsys.readouterr().out)
    assert figures["facts_total"] >= 694
    assert figures["agreement"] >= 0.98
    assert figures["passes_where_dss_flags"] == 0
