"""The push figures of /metrics follow real pushes to a failing receiver."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from prometheus_client.parser import text_string_to_metric_families

from edocx.config import Settings
from edocx.pki.devpki import PKILayout
from edocx.pki.server import PKIServerThread
from tests.delivery.conftest import delivery_settings, eventually, issue, register
from tests.delivery.receiver import PushCA, Receiver, make_push_ca
from tests.web.hubkit import C, Hub, hub_settings, running_hub

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest.fixture(scope="module")
def push_ca(tmp_path_factory: pytest.TempPathFactory) -> PushCA:
    return make_push_ca(tmp_path_factory.mktemp("push-tls"))


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def hub(
    test_settings: Settings,
    dev_pki: PKILayout,
    pki_server: PKIServerThread,
    tmp_path_factory: pytest.TempPathFactory,
    push_ca: PushCA,
) -> AsyncIterator[Hub]:
    base = hub_settings(test_settings, tmp_path_factory.mktemp("push-hub"))
    # Two seconds to live: a few failed attempts, then a dead letter.
    short = delivery_settings(push_ca, push_ttl_s=2.0)
    async with running_hub(base.model_copy(update={"delivery": short})) as running:
        yield running


async def _push_figures(hub: Hub) -> dict[tuple[str, str, str], float]:
    response = await hub.client.get("/metrics")
    found = {}
    for family in text_string_to_metric_families(await response.text()):
        for s in family.samples:
            if s.name.startswith(("edocx_documents_failed", "edocx_documents_dead")):
                found[(s.name, s.labels["agency"], s.labels["kind"])] = s.value
    return found


async def test_failed_attempts_and_dead_letters_are_counted(
    hub: Hub, push_ca: PushCA, sample_pdf: bytes
) -> None:
    receiver = Receiver(push_ca, fail_first=10**6)
    await receiver.start()
    try:
        receiver.secret = await register(hub, "c", C, receiver.url)
        assert await _push_figures(hub) == {}
        await issue(hub, sample_pdf, recipients=[C])

        async def dead() -> bool:
            figures = await _push_figures(hub)
            return figures.get(("edocx_documents_dead_lettered", C, "document")) == 1

        await eventually(dead)
        figures = await _push_figures(hub)
    finally:
        await receiver.stop()

    failed = figures[("edocx_documents_failed_total", C, "document")]
    assert failed == len(receiver.requests) >= 1
