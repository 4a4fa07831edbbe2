"""Write files only their owner may read: keys, passphrases, tokens."""

from __future__ import annotations

import os
from pathlib import Path


def write_private_file(path: Path, data: bytes | str) -> None:
    """Write ``data`` to ``path`` with mode 0600 and fsync it.

    The mode is given to ``open`` itself, so the content is never readable by
    others, not even between the creation and a later chmod.
    """
    raw = data.encode("utf-8") if isinstance(data, str) else data
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(raw)
        out.flush()
        os.fsync(out.fileno())
