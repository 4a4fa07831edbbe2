"""The parts the exchange works with, handed to every operation."""

from __future__ import annotations

from dataclasses import dataclass

from edocx.exchange.compute import Compute
from edocx.store.blobs import BlobStore
from edocx.store.db import Database


@dataclass(frozen=True)
class Hub:
    db: Database
    blobs: BlobStore
    compute: Compute
