"""An e-duplicate sealed with a key in a PKCS#11 token (SoftHSM2).

The body's seal key signs twice per duplicate: the QR code's payload
(COSE_Sign1) and the PDF's seal; both must work with a key that never
leaves its token.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography import x509

from edocx.config import Settings, TokenKeySettings, WorkerSettings
from edocx.copies import cose, qr
from edocx.pki.devpki import PKILayout
from edocx.pki.server import PKIServerThread
from edocx.pki.softhsm import create_token, import_p12
from tests.copies.test_duplicates import CLERK_A, REQUEST, check, issue, qr_texts
from tests.pki.devtoken import DevToken
from tests.web.hubkit import hub_settings, running_hub

pytestmark = pytest.mark.asyncio

SEAL_KEY = "seal-a"
PIN = "13571357"


def _token_settings(
    base: Settings, var: Path, dev_token: DevToken, label: str
) -> Settings:
    pin_file = var.parent / f"{label}.pin"
    pin_file.write_text(PIN + "\n", encoding="utf-8")
    settings = hub_settings(base, var)
    entry = TokenKeySettings(module=dev_token.module, token=label, pin_file=pin_file)
    keys = settings.keys.model_copy(update={"tokens": {SEAL_KEY: entry}})
    workers = WorkerSettings(processes=1, task_timeout_s=60, memory_limit_mb=1536)
    return settings.model_copy(update={"keys": keys, "workers": workers})


async def test_a_duplicate_sealed_in_a_token(
    test_settings: Settings,
    dev_pki: PKILayout,
    pki_server: PKIServerThread,
    dev_token: DevToken,
    passphrase: bytes,
    tmp_path: Path,
) -> None:
    label = "edocx-duplicate-seal"
    create_token(dev_token.module, label, user_pin=PIN, so_pin="so-pin-7")
    import_p12(
        dev_token.module, label, user_pin=PIN, key_label=SEAL_KEY,
        p12=dev_pki.p12_path(SEAL_KEY).read_bytes(), passphrase=passphrase,
    )  # fmt: skip
    settings = _token_settings(test_settings, tmp_path / "var", dev_token, label)

    async with running_hub(settings) as hub:
        response = await issue(hub, REQUEST)
        assert response.status == 201, await response.text()
        out = (await response.json())["duplicate"]
        pdf = await (await hub.get(CLERK_A, f"/duplicates/{out['code']}/pdf")).read()
        answer = await (await check(hub, out["code"], pdf)).json()

    assert answer["matches"] is True
    assert answer["report"]["verdict"] == "PASSED"
    content = qr.parse_qr_text(qr_texts(pdf)[0])
    pem = dev_pki.cert_path(SEAL_KEY).read_bytes()
    payload = cose.verify_payload(content.message, x509.load_pem_x509_certificate(pem))
    assert payload["c"] == out["code"]
