"""A small filesystem of its own for the hub's ``var/``: a tmpfs mount.

The hub's database and blob store must meet a full disk as a real one
would, with ENOSPC from the kernel and SQLITE_FULL from SQLite, not with a
simulated error. A tmpfs of a few megabytes gives that without touching
any other filesystem; mounting needs root (CI runs as root on a fresh
machine), elsewhere the tests that need it are skipped, naming why.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


@contextmanager
def small_filesystem(mount_point: Path, *, size_mb: int) -> Iterator[Path]:
    """Mount a tmpfs of ``size_mb`` at ``mount_point`` for the block's life."""
    mount_point.mkdir(parents=True, exist_ok=True)
    _mount(mount_point, size_mb)
    try:
        yield mount_point
    finally:
        # Lazy: a process the test failed to stop must not leave it mounted.
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def _mount(mount_point: Path, size_mb: int) -> None:
    reason = ""
    if os.name != "posix" or shutil.which("mount") is None:
        reason = "no mount command"
    elif os.geteuid() != 0:
        reason = "mounting a tmpfs needs root"
    else:
        options = f"size={size_mb}m,mode=0700"
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", options, "edocx-test", str(mount_point)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        reason = done.stderr.strip() if done.returncode else ""
    if reason:
        # CI runs as root: there a refused mount is a broken machine.
        if os.environ.get("CI") and os.geteuid() == 0:
            pytest.fail(f"cannot mount a small filesystem: {reason}")
        pytest.skip(f"cannot mount a small filesystem: {reason}")


def fill(folder: Path, *, leave_bytes: int = 0) -> Path:
    """Write a file that takes all free space of ``folder``'s filesystem.

    ``leave_bytes`` are left free. Returns the file; removing it gives the
    space back.
    """
    filler = folder / "filler"
    chunk = b"\0" * (1 << 20)
    # Unbuffered: bytes a refused write left in a buffer would be written
    # again when the file closes, and fail there with ENOSPC.
    with filler.open("wb", buffering=0) as out:
        while True:
            free = shutil.disk_usage(folder).free - leave_bytes
            if free <= 0:
                break
            try:
                out.write(chunk[: min(len(chunk), free)])
                out.flush()
            except OSError:
                break
    return filler
