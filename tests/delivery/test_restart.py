"""A message still pending when the hub stops is sent after it starts again."""

from __future__ import annotations

from pathlib import Path

import pytest

from edocx.config import Settings
from edocx.pki.devpki import PKILayout
from edocx.pki.server import PKIServerThread
from tests.web.hubkit import B, hub_settings, running_hub

from .conftest import delivery_settings, eventually, issue, register, rows
from .receiver import PushCA, Receiver


@pytest.fixture
def settings(
    test_settings: Settings,
    dev_pki: PKILayout,
    pki_server: PKIServerThread,
    tmp_path: Path,
    test_ca: PushCA,
) -> Settings:
    base = hub_settings(test_settings, tmp_path / "hub")
    # Retries every 2 s at most: the stop comes between two of them.
    slow = delivery_settings(
        test_ca, push_backoff_initial_s=2.0, push_backoff_max_s=2.0
    )
    return base.model_copy(update={"delivery": slow})


async def test_pending_message_is_sent_after_a_restart(
    settings: Settings, test_ca: PushCA, sample_pdf: bytes
) -> None:
    receiver = Receiver(test_ca, fail_first=10**6)
    await receiver.start()
    try:
        # 1. The first run posts once, is refused, and stops.
        async with running_hub(settings) as hub:
            receiver.secret = await register(hub, "b", B, receiver.url)
            await issue(hub, sample_pdf, recipients=[B])

            async def tried() -> bool:
                return bool(receiver.requests)

            await eventually(tried)
        (first_id,) = {mid for _, mid in receiver.requests}

        # 2. The second run finds it pending and delivers it, same id.
        receiver.fail_first = 0
        async with running_hub(settings) as hub:

            async def delivered() -> bool:
                found = await rows(hub, "SELECT message_id, state FROM push_messages")
                return [tuple(row) for row in found] == [(first_id, "delivered")]

            await eventually(delivered)
        assert list(receiver.kept) == [first_id]
    finally:
        await receiver.stop()
