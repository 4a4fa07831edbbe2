"""The files of ``edocx sign`` and ``edocx augment``: where they go, how.

An output is written to a temporary file in its own folder and renamed over
the target, so that a reader never sees half a file and a file signed in
place (the same path in and out, or ``--out`` the same as ``--batch``) is
either the original or the signed one, never a mix, whatever stops the
command.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


class UsageError(Exception):
    """Options that do not fit together, or paths that cannot serve (status 2)."""


def check_target(path: Path) -> None:
    """Refuse an output path that cannot be written before any work is done."""
    if path.is_dir():
        raise UsageError(f"{path} is a folder; name the file to write")
    folder = path.parent
    if not folder.is_dir():
        raise UsageError(f"cannot write {path}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        raise UsageError(f"cannot write {path}: the folder {folder} is not writable")


def output_folder(path: Path) -> Path:
    """Make the ``--out`` folder of a batch, or say why it cannot be one."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise UsageError(f"--out names a file, not a folder: {path}") from None
    except OSError as e:
        raise UsageError(f"cannot make the --out folder {path}: {e.strerror}") from e
    return path


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename.

    The new file keeps the mode of the one it replaces, or gets the mode a
    plain write would give it. Raises ``OSError`` when it cannot be written.
    """
    mode = _mode_for(path)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _mode_for(path: Path) -> int:
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        # What open() would give a new file: 0o666 less the umask.
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
