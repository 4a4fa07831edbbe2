"""Run the hub's app through aiohttp with the hub's answer to broken requests.

aiohttp answers two kinds of request itself, outside the application and
its middlewares: a request its HTTP parser refuses, and one whose handler
let an exception escape every middleware. Its request handler builds those
answers in ``RequestHandler.handle_error``; :class:`ProblemRequestHandler`
answers them as problem documents instead. aiohttp makes one request
handler a connection through its ``web.Server``, which ``AppRunner`` makes:
:class:`ProblemAppRunner` makes a server that makes the hub's handler, and
:func:`serve_app` runs an app through it as ``web.run_app`` would.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable
from ssl import SSLContext
from typing import Any

from aiohttp import web
from aiohttp.web_protocol import RequestHandler

from edocx.web.badrequests import parser_refusal

logger = logging.getLogger(__name__)

# What web.run_app gives a connection and the stop, kept for the hub.
_RUN_APP_OPTIONS: dict[str, Any] = {"keepalive_timeout": 75.0, "shutdown_timeout": 60.0}

_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


# A parser error met in a body already being read (a bad chunk after the
# first ones) is queued behind its request by aiohttp 3.14 instead of failing
# that body: the body readers answer it as a stalled body (408) once
# http.body_idle_timeout_s passes (edocx.web.bodies).
class ProblemRequestHandler(RequestHandler):
    """aiohttp's request handler, answering its own refusals as problems."""

    def handle_error(
        self,
        request: web.BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        # aiohttp's own first: it logs the error (badrequests rewrites the
        # record) and raises when part of an answer has gone out already.
        super().handle_error(request, status, exc, message)

        # Its plain-text answer quotes the request back; this one does not.
        # The connection closes after it, said even to an HTTP/1.0 request
        # (aiohttp answers a request its parser refused as one).
        response = parser_refusal(status, exc)
        response.force_close()
        response.headers["Connection"] = "close"
        return response


class ProblemServer(web.Server):
    """aiohttp's low-level server, making a :class:`ProblemRequestHandler`."""

    def __call__(self) -> RequestHandler:
        # As web.Server.__call__ does, with the hub's handler class.
        return ProblemRequestHandler(self, loop=self._loop, **self._kwargs)


class ProblemAppRunner(web.AppRunner):
    """An ``AppRunner`` whose connections answer broken requests as problems."""

    async def _make_server(self) -> web.Server:
        # The app's own server (its startup runs here), rebuilt as ours.
        server = await super()._make_server()
        return ProblemServer(
            server.request_handler,
            request_factory=server.request_factory,
            handler_cancellation=server.handler_cancellation,
            loop=server._loop,
            **server._kwargs,
        )


def serve_app(
    app: web.Application,
    *,
    host: str,
    port: int,
    ssl_context: SSLContext | None = None,
    on_listening: Callable[[], None] | None = None,
    **options: Any,
) -> None:
    """Serve ``app`` until SIGINT or SIGTERM, then stop it gracefully.

    ``on_listening`` runs once the socket is bound; ``options`` go to the
    runner (``access_log``, ``access_log_class``...). An address that cannot
    be bound raises ``OSError`` after the app's cleanup.
    """
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        serving = _serve(app, host, port, ssl_context, on_listening, options)
        loop.run_until_complete(serving)
    finally:
        _cancel_left_tasks(loop)
        loop.run_until_complete(loop.shutdown_asyncgens())
        asyncio.set_event_loop(None)
        loop.close()


async def _serve(
    app: web.Application,
    host: str,
    port: int,
    ssl_context: SSLContext | None,
    on_listening: Callable[[], None] | None,
    options: dict[str, Any],
) -> None:
    # Signals are caught before the app starts, as web.run_app does: a stop
    # asked during startup is a graceful stop right after it.
    stop = _stop_on_signals()
    runner = ProblemAppRunner(app, **{**_RUN_APP_OPTIONS, **options})
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port, ssl_context=ssl_context).start()
        if on_listening is not None:
            on_listening()
        await stop.wait()
        logger.info("stopping on a signal; serving the requests under way")
    finally:
        await runner.cleanup()


def _stop_on_signals() -> asyncio.Event:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in _STOP_SIGNALS:
        loop.add_signal_handler(signum, stop.set)
    return stop


def _cancel_left_tasks(loop: asyncio.AbstractEventLoop) -> None:
    # What the app's cleanup left running, cancelled so that none is
    # destroyed pending when the loop closes.
    left = asyncio.all_tasks(loop)
    for task in left:
        task.cancel()
    if left:
        loop.run_until_complete(asyncio.gather(*left, return_exceptions=True))
