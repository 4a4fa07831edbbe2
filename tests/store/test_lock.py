"""Only one process at a time may use a state directory."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from edocx.store.lock import StateDirBusyError, state_dir_lock

HOLDER = """
import sys, time
from pathlib import Path
from edocx.store.lock import state_dir_lock
with state_dir_lock(Path(sys.argv[1])):
    print("held", flush=True)
    time.sleep(60)
"""


def _hold_in_child(var: Path) -> subprocess.Popen[str]:
    child = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(var)], stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "held"
    return child


def test_second_process_is_refused_until_the_first_dies(tmp_path: Path) -> None:
    child = _hold_in_child(tmp_path)
    try:
        with pytest.raises(StateDirBusyError) as refused, state_dir_lock(tmp_path):
            pass
        assert str(child.pid) in refused.value.detail
    finally:
        child.kill()
        child.wait()
        assert child.stdout is not None
        child.stdout.close()

    # The kernel drops the lock of a killed holder: no stale lock remains.
    deadline = time.monotonic() + 5
    while True:
        try:
            with state_dir_lock(tmp_path):
                break
        except StateDirBusyError:
            assert time.monotonic() < deadline
            time.sleep(0.05)


def test_same_process_may_nest(tmp_path: Path) -> None:
    with state_dir_lock(tmp_path), state_dir_lock(tmp_path):
        pass
    with state_dir_lock(tmp_path):
        pass
