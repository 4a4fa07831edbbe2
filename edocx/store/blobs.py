"""Content-addressed storage of document bytes.

A blob lives at ``{root}/ab/cdef...`` where ``abcdef...`` is the SHA-256 of
its bytes. A blob is written to a temporary file in the same directory,
fsynced, renamed into place and the directory fsynced, all before the
database commit that points to it: a committed row never names a blob that
a crash could lose. A crash between the two leaves an unreferenced blob,
which is harmless.
"""

# TODO(#2): unreferenced blobs (a crash or a failed commit after the bytes
# were stored) are never collected.

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import re
import tempfile
from pathlib import Path

logger = logging.getLogger(__name__)

_DIGEST = re.compile(r"^[0-9a-f]{64}$")


class BlobNotFoundError(LookupError):
    """No blob with this digest is stored."""


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class BlobStore:
    """Blobs by SHA-256 under one directory."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path_for(self, digest: str) -> Path:
        if not _DIGEST.match(digest):
            raise ValueError("not a lowercase hex SHA-256 digest")
        return self.root / digest[:2] / digest[2:]

    async def put(self, data: bytes) -> str:
        """Store ``data`` durably and return its digest."""
        return await asyncio.to_thread(self.put_sync, data)

    async def get(self, digest: str) -> bytes:
        return await asyncio.to_thread(self.get_sync, digest)

    def exists(self, digest: str) -> bool:
        return self.path_for(digest).is_file()

    def put_sync(self, data: bytes) -> str:
        digest = sha256_hex(data)
        target = self.path_for(digest)
        if target.is_file():
            return digest

        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=".tmp-", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as tmp:
                tmp.write(data)
                tmp.flush()
                os.fsync(tmp.fileno())
            os.replace(tmp_name, target)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise

        _fsync_dir(target.parent)
        _fsync_dir(self.root)
        logger.debug("stored blob %s (%d bytes)", digest, len(data))
        return digest

    def get_sync(self, digest: str) -> bytes:
        try:
            return self.path_for(digest).read_bytes()
        except FileNotFoundError as e:
            raise BlobNotFoundError(digest) from e

    def count(self) -> int:
        """Return how many blobs are stored (temporary files excluded)."""
        if not self.root.is_dir():
            return 0
        return sum(
            1
            for path in self.root.glob("??/*")
            if path.is_file() and not path.name.startswith(".tmp-")
        )


def _fsync_dir(path: Path) -> None:
    # The rename is durable only once the directory entry is on disk.
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
