"""Push: an acknowledgement and a dead letter are logged, and the latest
tree head is offered with each message.

A receiver on loopback (TLS, the test CA of tests/delivery) takes B's
documents; C's receiver refuses every post until the message's time to
live runs out.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from edocx.config import Settings
from edocx.pki.devpki import PKILayout
from edocx.pki.server import PKIServerThread
from tests.delivery.conftest import delivery_settings, eventually, issue, register
from tests.delivery.conftest import test_ca as test_ca  # the fixture
from tests.delivery.receiver import PushCA, Receiver
from tests.web.hubkit import B, C, Hub, hub_settings

pytestmark = pytest.mark.asyncio(loop_scope="module")

AUDITOR = ("hub", "auditor")


class HeadWatcher(Receiver):
    """A receiver that also keeps the Audit-Tree-Head of each post."""

    offered: list[str]

    async def _handle(self, request: web.Request) -> web.Response:
        self.offered.append(request.headers.get("Audit-Tree-Head", ""))
        return await super()._handle(request)


@pytest.fixture(scope="module")
def module_settings(
    test_settings: Settings,
    dev_pki: PKILayout,
    pki_server: PKIServerThread,
    tmp_path_factory: pytest.TempPathFactory,
    test_ca: PushCA,
) -> Settings:
    base = hub_settings(test_settings, tmp_path_factory.mktemp("hub"))
    # Two seconds to live: a few refused attempts, then a dead letter.
    short = delivery_settings(test_ca, push_ttl_s=2.0)
    return base.model_copy(update={"delivery": short})


async def _logged(hub: Hub, action: str) -> list[dict[str, Any]]:
    response = await hub.get(AUDITOR, "/audit/entries?start=0")
    assert response.status == 200, await response.text()
    entries = [json.loads(item["entry"]) for item in (await response.json())["items"]]
    return [entry for entry in entries if entry["action"] == action]


async def test_a_push_ack_and_a_dead_letter_have_their_entries(
    hub: Hub, test_ca: PushCA, pdfs: Path
) -> None:
    sth = await hub.post(AUDITOR, "/audit/tree-head")
    head = await sth.json()
    taker, refuser = HeadWatcher(test_ca), Receiver(test_ca, fail_first=10**6)
    taker.offered = []
    for receiver in (taker, refuser):
        await receiver.start()
    try:
        taker.secret = await register(hub, "b", B, taker.url)
        refuser.secret = await register(hub, "c", C, refuser.url)
        doc = await issue(hub, (pdfs / "EmptyPage.pdf").read_bytes())

        async def both_settled() -> bool:
            acks = await _logged(hub, "delivery.ack")
            dead = await _logged(hub, "push.dead")
            return bool(acks) and bool(dead)

        await eventually(both_settled)
    finally:
        for receiver in (taker, refuser):
            await receiver.stop()

    (ack,) = await _logged(hub, "delivery.ack")
    assert ack["details"] == {"by": "push", "document": doc["id"]}
    (dead,) = await _logged(hub, "push.dead")
    assert dead["details"] == {"document": doc["id"], "kind": "document"}
    assert dead["object_type"] == "push_message"
    # The pushed message offered the latest signed tree head.
    assert taker.offered
    assert taker.offered[0].startswith(f"tree_size={head['tree_size']}; ")
