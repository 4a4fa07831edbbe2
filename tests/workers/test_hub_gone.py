"""Workers whose hub died end at once, with one line at most, no traceback.

The hub (tests.workers.hubgone) is a real process with three real workers;
it kills itself with SIGKILL while one worker logs, one computes in silence
and one waits for a call. Each call would take 30 s: the workers must end
long before, as nothing bounds a call once its hub is gone.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_workers_left_by_their_hub_exit_quietly() -> None:
    hub = subprocess.Popen(
        [sys.executable, "-m", "tests.workers.hubgone"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert hub.stdout is not None
    assert hub.stdout.readline() == b"calling\n"
    called = time.monotonic()

    # The workers hold the same stdout and stderr: both end when they do.
    _, err = hub.communicate(timeout=60)
    left_after = time.monotonic() - called

    assert hub.returncode == -9
    lines = err.decode().splitlines()
    said = [re.fullmatch(r"edocx worker (\d+): the hub is gone; exiting", line)
            for line in lines]  # fmt: skip
    # Each busy worker says it; the idle one may instead end in silence,
    # when the end of its pipe reaches it before its watcher learns it.
    assert 2 <= len(said) <= 3 and all(said), lines
    assert len({found.group(1) for found in said if found}) == len(said), lines
    assert left_after < 15, f"the workers ran on {left_after:.1f} s"
