"""Start the hub: prepare the embedded state, then serve HTTP(S) until stopped."""

from __future__ import annotations

import asyncio
import logging
import re
import socket

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

from edocx.bootstrap import demo_tokens_path, ensure_demo_agencies, ensure_pki
from edocx.config import Settings
from edocx.errors import ConfigurationError
from edocx.signing.fonts import font_path
from edocx.store.db import Database
from edocx.store.lock import state_dir_lock
from edocx.web.clientcerts import server_ssl_context
from edocx.web.runner import serve_app

logger = logging.getLogger(__name__)

_PARAMETER = re.compile(r"[a-z][a-z0-9_]{0,31}")


def run_server(settings: Settings) -> int:
    """Serve the hub on the configured address; return the exit status."""
    from edocx.web.app import create_app

    # Fail at start, not at the first signature, when the font is missing,
    # nor at the first connection when the TLS files are unusable.
    font_path()
    tls = server_ssl_context(settings.http)

    # Held for the life of the process, before anything touches var/.
    with state_dir_lock(settings.storage.var_dir):
        ensure_pki(settings)
        asyncio.run(_prepare_database(settings))
        try:
            serve_app(
                create_app(settings),
                host=settings.http.host,
                port=settings.http.port,
                ssl_context=tls,
                on_listening=lambda: _announce(settings),
                access_log=logging.getLogger("aiohttp.access"),
                access_log_class=RedactingAccessLogger,
            )
        except OSError as e:
            where = f"{settings.http.host}:{settings.http.port}"
            raise ConfigurationError(
                f"cannot listen on {where}: {e.strerror or e}",
                hint="another service holds the port; set EDOCX_HTTP__PORT",
            ) from e
    return 0


class RedactingAccessLogger(AbstractAccessLogger):
    """One access line a request, with the query string's values left out.

    A client may put a token or a PIN in the query string by mistake (or
    to probe): the log keeps the names of the parameters, never a value,
    and a name only when it looks like one (not a token sent as a name).
    """

    def log(
        self, request: web.BaseRequest, response: web.StreamResponse, time: float
    ) -> None:
        query = "&".join(
            name if _PARAMETER.fullmatch(name) else "…"
            for name in sorted(set(request.query))
        )
        # The path as sent (percent-encoded): decoded, a %0a would start a
        # forged line of its own in the log.
        sent = _printable(request.raw_path.split("?", 1)[0])
        path = sent + ("?" + query if query else "")
        self.logger.info(
            "%s %s %s %d %s %.1fms", request.remote, request.method, path,
            response.status, response.body_length, time * 1000,
        )  # fmt: skip


def _printable(text: str) -> str:
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text)


def _announce(settings: Settings) -> None:
    # Called once the listening socket is bound.
    scheme = "https" if settings.http.tls else "http"
    where = f"{scheme}://{settings.http.host}:{settings.http.port}/"
    print(f"edocx: listening on {where} (API under {where}api/v1/)", flush=True)
    if settings.demo:
        print(f"edocx: demo tokens in {demo_tokens_path(settings)}", flush=True)
    print("edocx: stop with Ctrl-C", flush=True)


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
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
