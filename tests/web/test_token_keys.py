"""An agency whose seal and signer keys live in a PKCS#11 token, end to end.

The hub is configured with ``[keys.tokens]`` entries for agency A's seal and
its competent person, the PIN in a file; a document drafted, signed and
issued through the HTTP API carries both signatures made on the SoftHSM2
token, in the hub's worker processes, while the PKCS#12 files of those keys
are absent.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import ClientResponse

from edocx.config import Settings, TokenKeySettings
from edocx.pki.credentials import load_signer
from edocx.pki.devpki import PKILayout
from edocx.pki.server import PKIServerThread
from edocx.signing.issue import PERSONAL_FIELD, SEAL_FIELD
from tests.pki.devtoken import TOKEN_KEYS, DevToken
from tests.signing import pdfcheck

from .hubkit import Hub, header, hub_settings, running_hub

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest.fixture(scope="module")
def token_settings(
    test_settings: Settings,
    dev_pki: PKILayout,
    pki_server: PKIServerThread,
    dev_token: DevToken,
    tmp_path_factory: pytest.TempPathFactory,
) -> Settings:
    # The PKI without the PKCS#12 files of the token's keys: signing can
    # only have used the token.
    pki_dir = tmp_path_factory.mktemp("pki-token") / "pki"
    shutil.copytree(dev_pki.dir, pki_dir)
    for label in TOKEN_KEYS:
        PKILayout(pki_dir).p12_path(label).unlink()
    settings = hub_settings(
        test_settings, tmp_path_factory.mktemp("hub-token"), dir=pki_dir
    )
    entry = TokenKeySettings(
        module=dev_token.module, token=dev_token.label, pin_file=dev_token.pin_file
    )
    tokens = dict.fromkeys(TOKEN_KEYS, entry)
    keys = settings.keys.model_copy(update={"tokens": tokens})
    return settings.model_copy(update={"keys": keys})


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def hub(token_settings: Settings) -> AsyncIterator[Hub]:
    async with running_hub(token_settings) as running:
        yield running


async def _ok(response: ClientResponse, status: int = 200) -> Any:
    assert response.status == status, await response.text()
    return await response.json()


async def test_issued_document_is_signed_and_sealed_on_the_token(
    hub: Hub, pdfs: Path, dev_token: DevToken, dev_pki: PKILayout
) -> None:
    draft = await _ok(
        await hub.upload(("a", "signer"), (pdfs / "sample.pdf").read_bytes(), header()),
        201,
    )
    doc_id = draft["document"]["id"]
    await _ok(await hub.post(("a", "signer"), f"/documents/{doc_id}/sign"))
    await _ok(await hub.post(("a", "clerk"), f"/documents/{doc_id}/issue"))
    response = await hub.get(("a", "clerk"), f"/documents/{doc_id}/pdf")
    assert response.status == 200, await response.text()

    reader = pdfcheck.read(await response.read())
    for field, label in ((PERSONAL_FIELD, "person-a-signer"), (SEAL_FIELD, "seal-a")):
        sig = pdfcheck.signature(reader, field)
        # pyHanko's synchronous validation runs its own event loop.
        status = await asyncio.to_thread(pdfcheck.validate, sig, dev_pki.root_cert_path)
        pdfcheck.assert_passes(status)
        token_cert = load_signer(dev_token.ref(label)).signing_cert
        assert sig.signer_cert.dump() == token_cert.dump()
