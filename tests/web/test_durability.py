"""What survives a restart, and what a failed issue leaves in the register."""

from __future__ import annotations

from pathlib import Path

import pytest

from edocx.config import Settings
from edocx.pki.devpki import PKILayout
from edocx.pki.server import PKIServerThread
from edocx.store.db import Database
from edocx.store.register import list_register

from .hubkit import header, hub_settings, problem, running_hub

pytestmark = pytest.mark.asyncio(loop_scope="function")


@pytest.fixture
def settings(
    test_settings: Settings,
    dev_pki: PKILayout,
    pki_server: PKIServerThread,
    tmp_path: Path,
) -> Settings:
    return hub_settings(test_settings, tmp_path / "var")


async def test_acknowledged_draft_survives_restart(
    settings: Settings, pdfs: Path
) -> None:
    pdf = (pdfs / "EmptyPage.pdf").read_bytes()
    async with running_hub(settings) as hub:
        response = await hub.upload(("a", "signer"), pdf, header())
        assert response.status == 201
        created = await response.json()
    doc_id = created["document"]["id"]

    async with running_hub(settings) as hub:
        meta = await hub.get(("a", "clerk"), f"/documents/{doc_id}")
        assert meta.status == 200
        assert await meta.json() == created["document"]
        download = await hub.get(("a", "clerk"), f"/documents/{doc_id}/pdf")
        assert download.status == 200
        assert len(await download.read()) >= len(pdf)


async def test_tsa_down_voids_the_number(settings: Settings, pdfs: Path) -> None:
    # A TSA address where nothing listens (the port of a closed socket).
    from tests.conftest import free_port

    dead = hub_settings(
        settings, settings.storage.var_dir, url=f"http://127.0.0.1:{free_port()}/pki"
    )
    pdf = (pdfs / "EmptyPage.pdf").read_bytes()

    async with running_hub(settings) as hub:
        doc_id = (await (await hub.upload(("a", "signer"), pdf, header())).json())[
            "document"
        ]["id"]
        signed = await hub.post(("a", "signer"), f"/documents/{doc_id}/sign")
        assert signed.status == 200

    async with running_hub(dead) as hub:
        failed = await hub.post(("a", "clerk"), f"/documents/{doc_id}/issue")
        await problem(failed, 502, "timestamp-unavailable")
        still = await (await hub.get(("a", "clerk"), f"/documents/{doc_id}")).json()
        assert (still["state"], still["number"]) == ("signed", None)

    async with running_hub(settings) as hub:
        issued = await hub.post(("a", "clerk"), f"/documents/{doc_id}/issue")
        assert issued.status == 200, await issued.text()
        assert (await issued.json())["number"] == "02"

    db = Database(settings.storage.db_path)
    await db.open()
    async with db.read() as reader:
        agency_id = await reader.fetch_value("SELECT agency_id FROM documents")
        year = await reader.fetch_value("SELECT year FROM documents")
        entries = await list_register(reader, agency_id=agency_id, year=year)
    await db.close()
    assert [(e.number, e.state.value) for e in entries] == [
        (1, "voided"),
        (2, "issued"),
    ]
    assert "timestamp" in (entries[0].reason or "")
