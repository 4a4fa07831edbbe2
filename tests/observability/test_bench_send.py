"""``edocx bench send``: its options, and a tiny run that ends with the JSON."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

from edocx.bench.send import RECIPIENTS
from edocx.bench.sendflows import document_packet
from edocx.edxml.rules import check_packet
from edocx.vntime import VIETNAM_TIME

REPO_ROOT = Path(__file__).resolve().parents[2]


def _bench(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EDOCX_")}
    return subprocess.run(
        [sys.executable, "-m", "edocx.cli", "bench", "send", *args],
        capture_output=True, text=True, cwd=REPO_ROOT, env=env, timeout=600,
    )  # fmt: skip


def test_help_names_the_options() -> None:
    done = _bench("--help")

    assert done.returncode == 0, done.stderr
    assert "--documents" in done.stdout and "--data" in done.stdout


def test_a_tiny_run_ends_with_the_figures(test_data_dir: Path) -> None:
    done = _bench("--documents", "1", "--data", str(test_data_dir))

    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    figures = json.loads(lines[-1])
    assert figures["bench"] == "send"
    assert figures["flow"] in ("edxml", "issue")
    assert figures["overhead_ratio_n3"] > 0
    assert figures["bare_validation_s"] > 0
    for n in RECIPIENTS:
        for clients in (1, 16):
            key = f"n{n}_c{clients}"
            assert figures[f"p99_s_{key}"] >= figures[f"p50_s_{key}"] > 0
            assert figures[f"docs_per_s_{key}"] > 0
    assert figures["post_ratio_n3"] > 0
    assert set(figures["route_mean_s"]) >= {
        "GET /api/v1/documents/{document_id}/pdf",
        "POST /api/v1/documents/{document_id}/statuses",
    }
    assert "overhead_ratio_n3" in lines[-2]


def test_the_bench_packet_is_clean(test_data_dir: Path) -> None:
    pdf = (test_data_dir / "pdf-unsigned" / "sample.pdf").read_bytes()
    packet = document_packet(
        pdf, "000.00.00.H41", ["000.00.00.G22", "000.00.00.H14"], 7,
        on=datetime(2026, 12, 5, 9, 30, tzinfo=VIETNAM_TIME),
    )  # fmt: skip
    report = check_packet(packet)

    # The packet signature is the hub's to add; nothing else may be amiss.
    others = [w for w in report.warnings if not w.code.startswith("packet-sig")]
    assert (report.errors, others) == ((), []), report
    assert report.facts is not None
    assert report.facts.document_id == "000.00.00.H41,2026/12/05,7/QĐ-UBND"
    assert [a.size for a in report.facts.attachments] == [len(pdf)]
