"""Kill -9: what the hub acknowledged is still there after a restart."""

from __future__ import annotations

import io
import json
from pathlib import Path

import aiohttp
import pytest

from edocx.config import Settings
from edocx.pki.devpki import PKILayout
from edocx.pki.server import PKIServerThread
from tests.faults.servekit import ServedHub

from .hubkit import header, hub_settings, running_hub, seed_demo

pytestmark = pytest.mark.asyncio(loop_scope="function")


async def test_acknowledged_draft_survives_kill(
    test_settings: Settings,
    dev_pki: PKILayout,
    pki_server: PKIServerThread,
    pdfs: Path,
    tmp_path: Path,
) -> None:
    settings = hub_settings(test_settings, tmp_path / "var")
    tokens = await seed_demo(settings)
    hub = ServedHub(settings, log_dir=tmp_path, extra_env={
        "EDOCX_WORKERS__PROCESSES": "1",
    })  # fmt: skip
    base = hub.api
    try:
        await hub.start()
        async with aiohttp.ClientSession() as http:
            form = aiohttp.FormData()
            form.add_field(
                "header", json.dumps(header()), content_type="application/json"
            )
            form.add_field(
                "file", io.BytesIO((pdfs / "EmptyPage.pdf").read_bytes()),
                filename="d.pdf", content_type="application/pdf",
            )  # fmt: skip
            auth = {"Authorization": "Bearer " + tokens["a"]["clerk"]}
            async with http.post(base + "/drafts", data=form, headers=auth) as resp:
                assert resp.status == 201
                created = await resp.json()
    finally:
        # No shutdown: the whole process group dies at once.
        hub.kill()

    doc_id = created["document"]["id"]
    async with running_hub(settings) as hub:
        meta = await hub.get(("a", "clerk"), f"/documents/{doc_id}")
        assert await meta.json() == created["document"]
        pdf = await hub.get(("a", "clerk"), f"/documents/{doc_id}/pdf")
        assert pdf.status == 200
        assert await hub.count("documents") == 1
