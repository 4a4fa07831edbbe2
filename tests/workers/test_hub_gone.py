"""A worker whose hub died during a call ends with one line, no traceback.

The hub (tests.workers.hubgone) is a real process with a real worker; it
kills itself with SIGKILL while the worker works. A chatty call learns of
it at its next log line and ends long before its 30 s; a quiet one when
its outcome cannot be sent.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("mode", ["chatty", "quiet"])
def test_a_worker_left_by_its_hub_exits_quietly(mode: str) -> None:
    hub = subprocess.Popen(
        [sys.executable, "-m", "tests.workers.hubgone", mode],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert hub.stdout is not None
    assert hub.stdout.readline() == b"calling\n"
    called = time.monotonic()

    # The worker holds the same stdout and stderr: both end when it does.
    _, err = hub.communicate(timeout=60)
    left_after = time.monotonic() - called

    assert hub.returncode == -9
    lines = err.decode().splitlines()
    assert len(lines) == 1, lines
    assert re.fullmatch(r"edocx worker \d+: the hub is gone; exiting", lines[0])
    assert left_after < 15, f"the worker ran on {left_after:.1f} s"
