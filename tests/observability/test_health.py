"""GET /healthz: every part checked for real; 503 naming what fails."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web

from edocx.config import Settings
from edocx.observability.tsaprobe import TSAProbe
from edocx.web.keys import POOL
from tests.web.hubkit import Hub, hub_settings, running_hub

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def _health(hub: Hub) -> tuple[int, dict[str, Any]]:
    response = await hub.client.get("/healthz")
    body: dict[str, Any] = await response.json()
    return response.status, body


async def test_healthy_hub_answers_200_with_each_check(hub: Hub) -> None:
    status, body = await _health(hub)

    assert status == 200, body
    assert (body["status"], body["failing"]) == ("pass", [])
    assert set(body["checks"]) == {"database", "blobs", "tsa", "workers", "audit"}
    assert all(check["ok"] for check in body["checks"].values()), body
    assert "granted a timestamp" in body["checks"]["tsa"]["detail"]
    assert body["checks"]["workers"]["detail"].startswith("2 of 2")


async def test_a_tsa_down_gives_503_naming_the_tsa(
    module_settings: Settings, tmp_path_factory: pytest.TempPathFactory,
    closed_port: int,
) -> None:  # fmt: skip
    settings = hub_settings(module_settings, tmp_path_factory.mktemp("no-tsa"))
    url = f"http://127.0.0.1:{closed_port}/tsa"
    settings = settings.model_copy(
        update={"signing": settings.signing.model_copy(update={"tsa_urls": [url]})}
    )
    async with running_hub(settings) as no_tsa:
        status, body = await _health(no_tsa)

    assert status == 503, body
    assert (body["status"], body["failing"]) == ("fail", ["tsa"])
    assert "unreachable" in body["checks"]["tsa"]["detail"]
    assert body["checks"]["database"]["ok"] and body["checks"]["workers"]["ok"]


async def test_a_dead_worker_gives_503_naming_the_workers(
    module_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> None:
    settings = hub_settings(module_settings, tmp_path_factory.mktemp("dead-worker"))
    async with running_hub(settings) as hub:
        app = hub.client.server.app
        assert app is not None
        # Killed from outside while idle, as the kernel's OOM killer would.
        worker = next(iter(app[POOL]._all))
        worker.process.kill()
        worker.process.join(5)
        status, body = await _health(hub)

    assert status == 503, body
    assert body["failing"] == ["workers"]
    assert "1 dead" in body["checks"]["workers"]["detail"]


async def test_the_tsa_probe_is_cached_between_checks() -> None:
    asked = []

    async def refuse(request: web.Request) -> web.Response:
        asked.append(await request.read())
        return web.Response(status=503)

    app = web.Application()
    app.router.add_post("/tsa", refuse)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        probe = TSAProbe(timeout_s=2, cache_s=60)
        first = await probe.check(f"http://127.0.0.1:{port}/tsa")
        second = await probe.check(f"http://127.0.0.1:{port}/tsa")
    finally:
        await runner.cleanup()

    assert (first.ok, first.detail) == (False, "HTTP 503")
    assert second == first
    assert len(asked) == 1
    # A real RFC 3161 request: a DER SEQUENCE.
    assert asked[0][:1] == b"\x30"


async def test_openapi_lists_healthz_and_metrics(hub: Hub) -> None:
    response = await hub.client.get("/api/v1/openapi.json")
    paths = (await response.json())["paths"]

    assert paths["/healthz"]["get"]["security"] == []
    assert "text/plain; version=0.0.4" in str(paths["/metrics"]["get"]["responses"])
