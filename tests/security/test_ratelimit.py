"""The public operations answer 429 with Retry-After beyond the configured rate."""

from __future__ import annotations

import asyncio

import pytest

from edocx.config import RateLimitSettings, Settings
from edocx.pki.devpki import PKILayout
from edocx.pki.server import PKIServerThread
from edocx.web.ratelimit import RateLimiter, limited_routes
from edocx.web.table import ROUTES
from tests.web.hubkit import PROBLEM, Hub, hub_settings, problem

pytestmark = pytest.mark.asyncio(loop_scope="module")

# One request a second after a burst of three.
LIMIT = RateLimitSettings(public_per_minute=60, burst=3)


@pytest.fixture(scope="module")
def module_settings(
    test_settings: Settings,
    dev_pki: PKILayout,
    pki_server: PKIServerThread,
    tmp_path_factory: pytest.TempPathFactory,
) -> Settings:
    settings = hub_settings(test_settings, tmp_path_factory.mktemp("hub"))
    return settings.model_copy(update={"ratelimit": LIMIT})


async def _public(hub: Hub, n: int) -> list[int]:
    # The verification, a copy's check and a copy's page share one bucket.
    calls = [
        lambda: hub.client.post("/api/v1/verify", data=b"not a form"),
        lambda: hub.client.post("/api/v1/copies/X/check", data=b"%PDF-"),
        lambda: hub.client.get("/c/X"),
    ]
    statuses = []
    for i in range(n):
        response = await calls[i % len(calls)]()
        await response.read()
        statuses.append(response.status)
    return statuses


async def test_beyond_the_burst_public_calls_get_429(hub: Hub) -> None:
    statuses = await _public(hub, 5)
    assert 429 not in statuses[:3]
    assert statuses[3:] == [429, 429]

    response = await hub.client.post("/api/v1/verify", data=b"x")
    body = await problem(response, 429, "rate-limited")
    assert int(response.headers["Retry-After"]) >= 1
    assert "60" in body["detail"]

    # Monitors and logged-in callers are not held back meanwhile, on the
    # same public operation too; a wrong token counts as none.
    assert (await hub.client.get("/healthz")).status in (200, 503)
    assert (await hub.client.get("/api/v1/openapi.json")).status == 200
    assert (await hub.get(("a", "clerk"), "/me")).status == 200
    for _ in range(5):
        logged_in = await hub.post(("a", "clerk"), "/verify", data=b"x")
        assert logged_in.status != 429
    wrong = {"Authorization": "Bearer edx_" + "w" * 43}
    response = await hub.client.post("/api/v1/verify", data=b"x", headers=wrong)
    await problem(response, 429, "rate-limited")

    # One more request a second.
    await asyncio.sleep(1.1)
    assert (await _public(hub, 2))[0] != 429


async def test_a_limited_upload_is_refused_before_its_body(hub: Hub) -> None:
    """Announce 10 MB (under the upload limit), send none: 429 at once.

    The check reads a raw body whole before it answers: without the limit
    in front, this request would wait for the body.
    """
    await asyncio.sleep(3.1)  # a full bucket again: three requests
    await _public(hub, 3)
    host, port = hub.client.server.host, hub.client.server.port
    assert port is not None
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(
            b"POST /api/v1/copies/X/check HTTP/1.1\r\nHost: hub\r\n"
            b"Content-Type: application/pdf\r\nContent-Length: 10485760\r\n\r\n"
        )
        await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), timeout=5)
    finally:
        writer.close()
    assert status_line.startswith(b"HTTP/1.1 429"), status_line


async def test_the_bucket_refills_at_the_rate() -> None:
    limiter = RateLimiter(RateLimitSettings(public_per_minute=120, burst=2))
    waits = [limiter.wait_s("192.0.2.1", now=10.0) for _ in range(3)]
    assert waits[:2] == [0.0, 0.0] and waits[2] == pytest.approx(0.5)
    # Another address has its own bucket; half a second later, one more.
    assert limiter.wait_s("192.0.2.2", now=10.0) == 0.0
    assert limiter.wait_s("192.0.2.1", now=10.5) == 0.0
    assert limiter.wait_s("192.0.2.1", now=10.5) > 0


async def test_every_public_operation_but_description_and_health_is_limited() -> None:
    limited = {path for _, path in limited_routes(ROUTES)}
    public = {route.path for route in ROUTES if route.roles is None}
    assert public - limited == {"/api/v1/openapi.json", "/healthz", "/metrics"}
    assert "/api/v1/verify" in limited
    assert not [r for r in ROUTES if r.roles is not None and r.path in limited
                and (r.method, r.path) in limited_routes(ROUTES)]  # fmt: skip


async def test_the_openapi_document_lists_429_on_exactly_the_limited_operations(
    hub: Hub,
) -> None:
    response = await hub.client.get("/api/v1/openapi.json")
    document = await response.json()
    with_429 = {
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if "429" in operation["responses"]
    }

    assert with_429 == limited_routes(ROUTES)
    answer = document["paths"]["/api/v1/verify"]["post"]["responses"]["429"]
    assert answer["description"].startswith("rate-limited:")
    assert "Retry-After" in answer["headers"]
    assert PROBLEM + "rate-limited" in document["x-problem-types"]
    assert PROBLEM + "authorization-ambiguous" in document["x-problem-types"]
