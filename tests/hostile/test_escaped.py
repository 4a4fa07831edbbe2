"""Failures that escape every middleware, answered by the hub's runner.

The hub's own app turns every exception into a problem in its middleware;
what escapes it anyway (a failing signal handler, a middleware ordered
before it) reaches aiohttp's request handler, which would answer in plain
text or HTML. The runner's handler answers a problem without a traceback.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import web
from aiohttp.test_utils import TestClient

from tests.hostile.conftest import assert_no_leak
from tests.web.hubkit import PROBLEM, HubTestServer

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def fails(request: web.Request) -> web.Response:
    raise RuntimeError(f"Traceback-worthy failure in {__file__}")


async def times_out(request: web.Request) -> web.Response:
    raise TimeoutError


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def client() -> AsyncIterator[TestClient[Any, Any]]:
    app = web.Application()
    app.router.add_get("/fails", fails)
    app.router.add_get("/times-out", times_out)
    client: TestClient[Any, Any] = TestClient(HubTestServer(app))
    await client.start_server()
    try:
        yield client
    finally:
        await client.close()


@pytest.mark.parametrize("accept", ["*/*", "text/html"])
async def test_escaped_exception_is_an_internal_problem(
    client: TestClient[Any, Any], accept: str
) -> None:
    response = await client.get("/fails", headers={"Accept": accept})

    text = await response.text()
    assert response.status == 500, text
    assert response.content_type == "application/problem+json", text
    assert (await response.json())["type"] == PROBLEM + "internal"
    assert response.headers["Connection"] == "close"
    assert_no_leak(text)
    assert "RuntimeError" not in text


async def test_escaped_timeout_keeps_its_status(client: TestClient[Any, Any]) -> None:
    response = await client.get("/times-out")

    assert response.status == 504
    assert response.content_type == "application/problem+json"
    assert (await response.json())["type"] == PROBLEM + "http-error"
