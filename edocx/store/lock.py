"""One process per state directory.

Two hubs sharing ``var/`` would each take the other's reserved numbers and
pending idempotency keys for leftovers of a crash and void them at start.
An exclusive ``flock`` on ``var/edocx.lock`` keeps a second process out; the
kernel drops it when the holder dies, even by kill -9, so a crash never
leaves a stale lock behind.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from edocx.errors import ConfigurationError

LOCK_NAME = "edocx.lock"

# Locks this process holds, by path, with a count: the server takes the lock
# before its bootstrap and the application takes it again when it starts.
_held: dict[Path, tuple[int, int]] = {}
_guard = threading.Lock()


class StateDirBusyError(ConfigurationError):
    code = "state-dir-busy"
    title = "Another edocx process uses this state directory"


@contextmanager
def state_dir_lock(var_dir: Path) -> Iterator[None]:
    """Hold the exclusive lock of ``var_dir`` for the duration of the block."""
    path = (var_dir / LOCK_NAME).resolve()
    _acquire(path)
    try:
        yield
    finally:
        _release(path)


def _acquire(path: Path) -> None:
    with _guard:
        if path in _held:
            fd, count = _held[path]
            _held[path] = (fd, count + 1)
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
            os.close(fd)
            raise StateDirBusyError(
                f"{path.parent} is in use by another edocx process (pid {holder})",
                hint="stop it first, or give this one its own storage.var_dir",
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode("ascii"), 0)
        _held[path] = (fd, 1)


def _release(path: Path) -> None:
    with _guard:
        fd, count = _held[path]
        if count > 1:
            _held[path] = (fd, count - 1)
            return
        del _held[path]
        os.close(fd)
