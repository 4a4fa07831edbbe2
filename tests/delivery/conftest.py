"""A hub with delivery settings for tests: loopback allowed, short delays."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from edocx.config import DeliverySettings, Settings
from edocx.pki.devpki import PKILayout
from edocx.pki.server import PKIServerThread
from edocx.store.db import Database
from tests.web.hubkit import Hub, header, hub_settings

from .receiver import PushCA, make_push_ca

LOOPBACK = ["127.0.0.0/8", "::1/128"]


def delivery_settings(test_ca: PushCA, **overrides: Any) -> DeliverySettings:
    values: dict[str, Any] = {
        "pull_visibility_s": 1.0,
        "push_allowed_networks": LOOPBACK,
        "push_ca_bundle": test_ca.ca_path,
        "push_ttl_s": 30.0,
        "push_backoff_initial_s": 0.2,
        "push_backoff_max_s": 1.0,
        "push_jitter": 0.1,
        "push_timeout_s": 5.0,
        "push_poll_s": 0.05,
    }
    values.update(overrides)
    return DeliverySettings(**values)


@pytest.fixture(scope="session")
def test_ca(tmp_path_factory: pytest.TempPathFactory) -> PushCA:
    return make_push_ca(tmp_path_factory.mktemp("push-tls"))


@pytest.fixture(scope="module")
def module_settings(
    test_settings: Settings,
    dev_pki: PKILayout,
    pki_server: PKIServerThread,
    tmp_path_factory: pytest.TempPathFactory,
    test_ca: PushCA,
) -> Settings:
    base = hub_settings(test_settings, tmp_path_factory.mktemp("hub"))
    return base.model_copy(update={"delivery": delivery_settings(test_ca)})


@pytest.fixture(scope="session")
def sample_pdf(test_data_dir: Path) -> bytes:
    return (test_data_dir / "pdf-unsigned" / "sample.pdf").read_bytes()


async def issue(hub: Hub, pdf: bytes, **head: Any) -> dict[str, Any]:
    """Draft, sign and issue a document of agency A (to B and C by default)."""
    response = await hub.upload(("a", "signer"), pdf, header(**head))
    assert response.status == 201, await response.text()
    doc_id = (await response.json())["document"]["id"]
    for who, step in ((("a", "signer"), "sign"), (("a", "clerk"), "issue")):
        response = await hub.post(who, f"/documents/{doc_id}/{step}")
        assert response.status == 200, await response.text()
    issued: dict[str, Any] = await response.json()
    return issued


async def ok(response: Any, status: int = 200) -> Any:
    assert response.status == status, await response.text()
    return await response.json()


async def eventually(
    check: Callable[[], Awaitable[bool]], *, within_s: float = 15.0
) -> None:
    """Wait until ``check`` holds; fail after ``within_s``."""
    deadline = time.monotonic() + within_s
    while not await check():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


async def rows(hub: Hub, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
    """Read the hub's database beside the running hub."""
    db = Database(hub.settings.storage.db_path)
    await db.open()
    try:
        async with db.read() as reader:
            return list(await reader.fetch_all(sql, params))
    finally:
        await db.close()


async def register(hub: Hub, agency: str, organ_id: str, url: str) -> str:
    """Register the agency's endpoint through its system; return the secret."""
    response = await hub.post(
        (agency, "system"), f"/agencies/{organ_id}/push-endpoint", json={"url": url}
    )
    body = await ok(response, 201)
    secret: str = body["secret"]
    return secret
