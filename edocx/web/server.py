"""Start the hub: prepare the embedded state, then serve HTTP until stopped."""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from edocx.bootstrap import demo_tokens_path, ensure_demo_agencies, ensure_pki
from edocx.config import Settings
from edocx.store.db import Database

logger = logging.getLogger(__name__)


def run_server(settings: Settings) -> int:
    """Serve the hub on the configured address; return the exit status."""
    from edocx.web.app import create_app

    ensure_pki(settings)
    asyncio.run(_prepare_database(settings))

    where = f"http://{settings.http.host}:{settings.http.port}/"
    print(f"edocx: listening on {where} (API under {where}api/v1/)", flush=True)
    if settings.demo:
        print(f"edocx: demo tokens in {demo_tokens_path(settings)}", flush=True)

    web.run_app(
        create_app(settings),
        host=settings.http.host,
        port=settings.http.port,
        print=None,
        access_log=logging.getLogger("aiohttp.access"),
    )
    return 0


async def _prepare_database(settings: Settings) -> None:
    db = Database(settings.storage.db_path)
    await db.open()
    try:
        if settings.demo:
            await ensure_demo_agencies(settings, db)
    finally:
        await db.close()


def free_loopback_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on now."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
