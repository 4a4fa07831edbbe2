"""Run the PKI services alone, in a thread (tests, the bench, ``edocx pki serve``)."""

from __future__ import annotations

import asyncio
import logging
import threading
from urllib.parse import urlsplit

from aiohttp import web
from certomancer.registry import PKIArchitecture

from edocx.pki.services import build_pki_app

logger = logging.getLogger(__name__)


class PKIServerThread:
    """Serve OCSP, CRL and TSA at the address the certificates name."""

    def __init__(self, arch: PKIArchitecture, pki_url: str) -> None:
        parts = urlsplit(pki_url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.mount = parts.path.rstrip("/") or "/"
        self._arch = arch
        self._loop = asyncio.new_event_loop()
        self._started = threading.Event()
        self._runner: web.AppRunner | None = None
        self._thread = threading.Thread(target=self._run, daemon=True, name="pki")

    def start(self) -> None:
        self._thread.start()
        if not self._started.wait(timeout=30) or self._runner is None:
            raise RuntimeError(f"PKI services did not start on port {self.port}")

    def stop(self) -> None:
        if self._runner is not None:
            runner = self._runner
            fut = asyncio.run_coroutine_threadsafe(runner.cleanup(), self._loop)
            fut.result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        if not self._thread.is_alive():
            # An unclosed loop leaks its self-pipe sockets (ResourceWarning).
            self._loop.close()

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._serve())
        except Exception:
            logger.exception("PKI services failed to start")
            self._started.set()
            return
        self._started.set()
        self._loop.run_forever()

    async def _serve(self) -> None:
        root = web.Application()
        root.add_subapp(self.mount, build_pki_app(self._arch))
        runner = web.AppRunner(root, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, self.host, self.port).start()
        self._runner = runner
