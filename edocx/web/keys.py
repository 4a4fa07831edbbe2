"""Typed keys of the application state."""

from __future__ import annotations

from aiohttp import web

from edocx.config import Settings
from edocx.exchange.hub import Hub
from edocx.store.blobs import BlobStore
from edocx.store.db import Database
from edocx.workers.pool import WorkerPool

SETTINGS = web.AppKey("settings", Settings)
DB = web.AppKey("db", Database)
BLOBS = web.AppKey("blobs", BlobStore)
POOL = web.AppKey("pool", WorkerPool)
HUB = web.AppKey("hub", Hub)
