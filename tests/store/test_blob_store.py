"""Blobs by SHA-256: layout, idempotent writes, no stray temporary files."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from edocx.store.blobs import BlobNotFoundError, BlobStore


async def test_put_and_get(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "blobs")
    data = b"%PDF-1.7 not really"
    digest = await store.put(data)

    assert digest == hashlib.sha256(data).hexdigest()
    path = tmp_path / "blobs" / digest[:2] / digest[2:]
    assert path.read_bytes() == data
    assert await store.get(digest) == data

    assert await store.put(data) == digest
    assert store.count() == 1
    assert not list((tmp_path / "blobs").glob("*/.tmp-*"))


async def test_missing_and_malformed_digests(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "blobs")
    with pytest.raises(BlobNotFoundError):
        await store.get("0" * 64)
    with pytest.raises(ValueError):
        store.path_for("../../etc/passwd")
