"""The hub's aiohttp application: state, lifecycles and routes.

``create_app(settings)`` builds the application; its cleanup contexts open
the database (applying migrations, voiding numbers a stopped process left
reserved), start the worker pool, and close both on shutdown. When
``settings.pki.serve`` is on, the development PKI's OCSP, CRL and RFC 3161
services are mounted at ``/pki``.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime

from aiohttp import web

from edocx.audit.checkpoints import audit_running
from edocx.config import Settings, read_key_passphrase
from edocx.copies.certify import settle_interrupted
from edocx.copies.duplicates import void_interrupted
from edocx.exchange.compute import Compute, SigningSetup
from edocx.exchange.hub import Hub
from edocx.exchange.numbering import void_stale_reservations
from edocx.store.blobs import BlobStore
from edocx.store.db import Database
from edocx.store.idempotency import recover_keys
from edocx.store.lock import state_dir_lock
from edocx.web.auditheaders import install_audit_headers
from edocx.web.deliveryroutes import delivery_lifecycle
from edocx.web.dispatch import install
from edocx.web.keys import BLOBS, DB, HUB, POOL, SETTINGS
from edocx.web.observability import MIDDLEWARES, install_observability
from edocx.web.problems import problem_middleware
from edocx.web.ratelimit import rate_limit_middleware
from edocx.web.table import ROUTES
from edocx.workers.pool import WorkerPool

logger = logging.getLogger(__name__)

# Room for the multipart framing and the header around the largest PDF.
_SLACK_BYTES = 1024 * 1024


def create_app(settings: Settings) -> web.Application:
    """Build the hub's application for ``settings``."""
    max_body = settings.http.max_upload_mb * 1024 * 1024 + _SLACK_BYTES
    # The request id and the latency wrap the problems, so that a refusal
    # is timed and carries the id too; the public operations' rate limit
    # answers inside them, before any body is read.
    limit = rate_limit_middleware(settings.ratelimit, ROUTES)
    app = web.Application(
        middlewares=[*MIDDLEWARES, problem_middleware, limit],
        client_max_size=max_body,
    )
    app[SETTINGS] = settings
    install_observability(app)
    install_audit_headers(app)
    app.cleanup_ctx.append(_storage)
    app.cleanup_ctx.append(_exchange)
    # The pusher starts after the exchange it posts from, and stops before it.
    app.cleanup_ctx.append(delivery_lifecycle)
    # The audit log's leaves are caught up and its tree heads scheduled once
    # the exchange is up (the heads use its signing setup).
    app.cleanup_ctx.append(_audit)
    install(app, ROUTES)

    if settings.pki.serve:
        app.add_subapp("/pki", _pki_app(settings))
    return app


def _pki_app(settings: Settings) -> web.Application:
    from edocx.pki.devpki import load_architecture
    from edocx.pki.services import build_pki_app

    arch = load_architecture(settings, read_key_passphrase(settings))
    return build_pki_app(arch)


async def _storage(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    # The lock comes first: recovery must never touch a live hub's state.
    with state_dir_lock(settings.storage.var_dir):
        db = Database(settings.storage.db_path)
        await db.open()
        try:
            await _recover(db)
            app[DB] = db
            app[BLOBS] = BlobStore(settings.storage.blob_dir)
            yield
        finally:
            await db.close()


async def _recover(db: Database) -> None:
    # A process that stopped during an issue left its number reserved,
    # during a certified copy or an e-duplicate its book's number taken, and
    # during a creating request its idempotency key claimed.
    at = datetime.now(UTC)
    voided = await void_stale_reservations(db, at=at)
    interrupted = await settle_interrupted(db, at=at)
    interrupted += await void_interrupted(db, at=at)
    async with db.write() as tx:
        keys = await recover_keys(tx)
    if voided or interrupted or keys.released or keys.lost:
        logger.warning(
            "recovered after a stop: voided %d number(s), settled %d interrupted"
            " certification(s) and duplicate(s), released %d idempotency"
            " key(s) of requests cut short, %d key(s) whose answer was lost",
            voided, interrupted,
            keys.released, keys.lost,
        )  # fmt: skip


async def _audit(app: web.Application) -> AsyncIterator[None]:
    hub = app[HUB]
    async with audit_running(hub.db, hub.compute.setup, app[SETTINGS].audit):
        yield


async def _exchange(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    setup = SigningSetup.from_settings(settings, read_key_passphrase(settings))
    pool = WorkerPool(settings.workers)
    await pool.start()
    try:
        compute = Compute(pool, setup)
        # A wrong token PIN stops the start here, tried once, not at the
        # first document and again at each one after it.
        await compute.open_tokens()
        app[POOL] = pool
        app[HUB] = Hub(app[DB], app[BLOBS], compute)
        yield
    finally:
        await pool.close()
