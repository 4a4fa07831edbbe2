"""A message whose time to live runs out is a dead letter a clerk can resend."""

from __future__ import annotations

import pytest

from edocx.config import Settings
from edocx.pki.devpki import PKILayout
from edocx.pki.server import PKIServerThread
from tests.web.hubkit import C, Hub, hub_settings, problem

from .conftest import delivery_settings, eventually, issue, ok, register
from .receiver import PushCA, Receiver

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest.fixture(scope="module")
def module_settings(
    test_settings: Settings,
    dev_pki: PKILayout,
    pki_server: PKIServerThread,
    tmp_path_factory: pytest.TempPathFactory,
    test_ca: PushCA,
) -> Settings:
    base = hub_settings(test_settings, tmp_path_factory.mktemp("hub"))
    # Three seconds to live: a few attempts, then a dead letter.
    short = delivery_settings(test_ca, push_ttl_s=3.0)
    return base.model_copy(update={"delivery": short})


async def test_expired_message_is_dead_then_resent(
    hub: Hub, test_ca: PushCA, sample_pdf: bytes
) -> None:
    receiver = Receiver(test_ca, fail_first=10**6)
    await receiver.start()
    try:
        receiver.secret = await register(hub, "c", C, receiver.url)
        doc = await issue(hub, sample_pdf, recipients=[C])

        # 1. Refused until its time to live ran out: a dead letter.
        async def dead() -> bool:
            body = await ok(await hub.get(("c", "clerk"), "/push/dead-letters"))
            return bool(body["items"])

        await eventually(dead)
        body = await ok(await hub.get(("c", "clerk"), "/push/dead-letters"))
        (letter,) = body["items"]
        assert (letter["agency"], letter["kind"], letter["state"]) == (
            C, "document", "dead",
        )  # fmt: skip
        assert letter["attempts"] >= 2 and letter["last_error"] == "503: busy"
        assert [h["outcome"] for h in letter["history"]] == ["503: busy"] * len(
            letter["history"]
        )
        assert len(receiver.requests) == letter["attempts"]

        # 2. Another agency's clerk sees none of it, nor may resend it.
        other = await ok(await hub.get(("b", "clerk"), "/push/dead-letters"))
        assert other["items"] == []
        path = f"/push/dead-letters/{letter['message_id']}/resend"
        await problem(
            await hub.post(("b", "clerk"), path), 404, "push-message-not-found"
        )

        # 3. The receiver is back; the clerk resends; it arrives, same id.
        receiver.fail_first = 0
        resent = await ok(await hub.post(("c", "clerk"), path))
        assert (resent["state"], resent["attempts"]) == ("pending", 0)
        await eventually(lambda: _kept(receiver))
        assert list(receiver.kept) == [letter["message_id"]]
        assert (
            doc["edxml_document_id"].encode()
            in receiver.kept[letter["message_id"]].body
        )
        body = await ok(await hub.get(("c", "clerk"), "/push/dead-letters"))
        assert body["items"] == []
    finally:
        await receiver.stop()


async def _kept(receiver: Receiver) -> bool:
    return bool(receiver.kept)
