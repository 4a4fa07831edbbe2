"""Content-addressed storage of document bytes.

A blob lives at ``{root}/ab/cdef...`` where ``abcdef...`` is the SHA-256 of
its bytes. A blob is written to a temporary file in the same directory,
fsynced, renamed into place and the directory fsynced, all before the
database commit that points to it: a committed row never names a blob that
a crash could lose. A crash between the two leaves an unreferenced blob,
which is harmless.

A blob may also be staged (:meth:`BlobStore.stage`): its bytes written to a
temporary file and fsynced while something else runs, then published
(renamed into place, the directory fsynced) or discarded. A staged blob is
no blob yet: it is never counted nor found, and a discarded one leaves the
store as it was.
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
from dataclasses import dataclass
from pathlib import Path

from edocx.errors import storage_full

logger = logging.getLogger(__name__)

_DIGEST = re.compile(r"^[0-9a-f]{64}$")


class BlobNotFoundError(LookupError):
    """No blob with this digest is stored."""


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class StagedBlob:
    """Bytes on disk under a temporary name; ``temp`` None: stored already."""

    digest: str
    temp: Path | None


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
        return self.publish_sync(self.stage_sync(data))

    async def stage(self, data: bytes) -> StagedBlob:
        """Write ``data`` durably under a temporary name; publish or discard."""
        return await asyncio.to_thread(self.stage_sync, data)

    async def publish(self, staged: StagedBlob) -> str:
        """Put a staged blob in place, durably; return its digest."""
        return await asyncio.to_thread(self.publish_sync, staged)

    async def discard(self, staged: StagedBlob) -> None:
        await asyncio.to_thread(self.discard_sync, staged)

    def stage_sync(self, data: bytes) -> StagedBlob:
        digest = sha256_hex(data)
        target = self.path_for(digest)
        if target.is_file():
            return StagedBlob(digest, None)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            return StagedBlob(digest, _write_temp(target.parent, data))
        except OSError as e:
            full = storage_full(e, "blob store")
            if full is None:
                raise
            raise full from e

    def publish_sync(self, staged: StagedBlob) -> str:
        if staged.temp is None:
            return staged.digest
        target = self.path_for(staged.digest)
        os.replace(staged.temp, target)
        _fsync_dir(target.parent)
        _fsync_dir(self.root)
        logger.debug("stored blob %s", staged.digest)
        return staged.digest

    def discard_sync(self, staged: StagedBlob) -> None:
        if staged.temp is not None:
            staged.temp.unlink(missing_ok=True)

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


def _write_temp(folder: Path, data: bytes) -> Path:
    fd, name = tempfile.mkstemp(prefix=".tmp-", dir=folder)
    try:
        with os.fdopen(fd, "wb") as tmp:
            tmp.write(data)
            tmp.flush()
            os.fsync(tmp.fileno())
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return Path(name)


def _fsync_dir(path: Path) -> None:
    # The rename is durable only once the directory entry is on disk.
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
