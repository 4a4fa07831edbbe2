"""The sign bench runs end to end on a small scale and ends with its figures."""

from __future__ import annotations

import json

import pytest

from edocx.bench.sign import run_sign_bench
from edocx.config import Settings
from edocx.signing import Level

KEYS = ("rsa2048", "ecdsa_p256")


def test_sign_bench_compares_every_level_and_key(
    test_settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    # Each side in its own process; pyHanko, untouched, validates one of
    # edocx's files per level and key, or the run fails.
    assert run_sign_bench(test_settings, documents=2, large_mb=4) == 0

    out = capsys.readouterr().out
    figures = json.loads(out.strip().splitlines()[-1])
    assert figures["bench"] == "sign"
    for level in Level:
        for key in KEYS:
            name = f"{level.value.lower().replace('-', '_')}_{key}"
            assert figures[f"ratio_{name}"] > 0
            assert figures[f"edocx_{name}_docs_per_s"] > 0
    assert figures["peak_rss_mb_4mb"] > figures["base_rss_mb"] > 0
    # The file is held twice at most (the input and the signed output).
    assert figures["peak_rss_within_limit"] is True
    assert "B-LTA  ecdsa-p256" in out
