"""The TSA and OCSP responder down: clear refusals, then recovery.

The hub here has a development PKI of its own, whose certificates name
OCSP, CRL and TSA addresses on a port of this test: stopping that server
takes the services away from this hub only. While they are down a
signature (PAdES B-LT: a timestamp and the signer's revocation data) is
refused with a problem naming the missing service, the draft stays as it
was, the health check answers 503 naming the TSA; verification, which
never fetches, still answers. Once the services are back the same
signature is made, without a restart of the hub.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from edocx.config import Settings
from edocx.demo.agencies import demo_subscribers
from edocx.pki.devpki import init_pki, load_architecture, tsa_url
from edocx.pki.server import PKIServerThread
from tests.conftest import TEST_PASSPHRASE, free_port
from tests.web.hubkit import PROBLEM, Hub, header, hub_settings, running_hub

pytestmark = [pytest.mark.slow, pytest.mark.asyncio(loop_scope="function")]

# The problems a signature may meet when the TSA or the OCSP responder
# does not answer: each names the service that failed.
OUTAGE_PROBLEMS = {
    PROBLEM + "timestamp-unavailable",
    PROBLEM + "revocation-unavailable",
}


@dataclass
class Services:
    """This hub's own OCSP, CRL and TSA, which the test stops and starts."""

    settings: Settings
    server: PKIServerThread | None = None

    def start(self) -> None:
        if self.server is not None:
            return
        arch = load_architecture(self.settings, TEST_PASSPHRASE)
        self.server = PKIServerThread(arch, self.settings.pki_url)
        self.server.start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None


@pytest.fixture(scope="module")
def services(
    test_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Services]:
    """Running at the start of each test; a test that stops them restarts them."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/pki"
    folder = tmp_path_factory.mktemp("own-pki")
    own = hub_settings(test_settings, folder / "var", dir=folder / "pki", url=url)
    init_pki(own, TEST_PASSPHRASE, demo_subscribers(), at=datetime.now(UTC))
    running = Services(own)
    running.start()
    yield running
    running.stop()


@asynccontextmanager
async def _restarting(services: Services) -> AsyncIterator[None]:
    """Leave the services running for the next test, whatever happens."""
    try:
        yield
    finally:
        services.start()


async def _draft(hub: Hub, pdf: bytes) -> str:
    response = await hub.upload(("a", "signer"), pdf, header())
    assert response.status == 201, await response.text()
    doc_id: str = (await response.json())["document"]["id"]
    return doc_id


async def _document(hub: Hub, doc_id: str) -> dict[str, Any]:
    response = await hub.get(("a", "signer"), f"/documents/{doc_id}")
    body: dict[str, Any] = await response.json()
    return body


async def _health(hub: Hub) -> tuple[int, str]:
    response = await hub.client.get("/healthz")
    return response.status, await response.text()


async def test_signing_waits_for_tsa_and_ocsp(
    services: Services, sample_pdf: bytes
) -> None:
    async with running_hub(services.settings) as hub, _restarting(services):
        # 1. Up: a B-LT signature is made.
        first = await _draft(hub, sample_pdf)
        signed = await hub.post(("a", "signer"), f"/documents/{first}/sign")
        assert signed.status == 200, await signed.text()

        # 2. Down: refused, naming the service; nothing changed.
        services.stop()
        second = await _draft(hub, sample_pdf)
        before = (await _document(hub, second), hub.blob_count())
        refused = await hub.post(("a", "signer"), f"/documents/{second}/sign")
        body = await refused.json(content_type=None)
        assert refused.status in (502, 503), body
        assert body["type"] in OUTAGE_PROBLEMS, body
        assert body["detail"] and body["hint"] and "Traceback" not in str(body)
        assert (await _document(hub, second), hub.blob_count()) == before
        text = await _eventually_health(hub, 503)
        assert "tsa" in text, text
        # Verification reads what the file carries: no service needed.
        verified = await hub.verify(("a", "clerk"), await _pdf(hub, first))
        assert verified.status == 200, await verified.text()

        # 3. Back: the same signature is made, the hub not restarted.
        services.start()
        again = await hub.post(("a", "signer"), f"/documents/{second}/sign")
        assert again.status == 200, await again.text()
        assert (await _document(hub, second))["state"] == "signed"
        await _eventually_health(hub, 200)


async def _pdf(hub: Hub, doc_id: str) -> bytes:
    response = await hub.get(("a", "signer"), f"/documents/{doc_id}/pdf")
    assert response.status == 200
    return await response.read()


async def _eventually_health(hub: Hub, wanted: int) -> str:
    # The TSA probe is cached for a while: wait for it to look again.
    deadline = time.monotonic() + 30
    while True:
        status, text = await _health(hub)
        if status == wanted or time.monotonic() > deadline:
            assert status == wanted, text
            return text
        await asyncio.sleep(0.5)


async def test_signing_waits_for_ocsp_alone(
    services: Services, sample_pdf: bytes
) -> None:
    # The TSA answers from a second server of the same PKI; only the
    # addresses the certificates name (OCSP, CRL) go down.
    port = free_port()
    elsewhere = services.settings.pki.model_copy(
        update={"url": f"http://127.0.0.1:{port}/pki"}
    )
    tsa = Services(services.settings.model_copy(update={"pki": elsewhere}))
    tsa.start()
    signing = services.settings.signing.model_copy(
        update={"tsa_urls": [tsa_url(tsa.settings)]}
    )
    try:
        settings = services.settings.model_copy(update={"signing": signing})
        async with running_hub(settings) as hub, _restarting(services):
            services.stop()
            doc_id = await _draft(hub, sample_pdf)
            before = (await _document(hub, doc_id), hub.blob_count())
            refused = await hub.post(("a", "signer"), f"/documents/{doc_id}/sign")
            body = await refused.json(content_type=None)
            assert refused.status == 502, body
            assert body["type"] == PROBLEM + "revocation-unavailable", body
            assert "OCSP" in body["hint"], body
            assert (await _document(hub, doc_id), hub.blob_count()) == before

            services.start()
            again = await hub.post(("a", "signer"), f"/documents/{doc_id}/sign")
            assert again.status == 200, await again.text()
    finally:
        tsa.stop()
