"""The application's lifecycle: PKI services mounted, recovery at start."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from asn1crypto import crl

from edocx.config import Settings
from edocx.exchange.numbering import reserve_number
from edocx.pki.devpki import PKILayout
from edocx.store import documents
from edocx.store.db import Database
from edocx.store.register import list_register

from .hubkit import hub_settings, running_hub, seed_demo

pytestmark = pytest.mark.asyncio(loop_scope="function")


async def test_pki_services_mounted_when_configured(
    test_settings: Settings, dev_pki: PKILayout, tmp_path: Path
) -> None:
    settings = hub_settings(test_settings, tmp_path / "var", serve=True)
    async with running_hub(settings) as hub:
        arch = settings.pki.arch
        response = await hub.client.get(f"/pki/{arch}/crls/issuing/latest.crl")
        assert response.status == 200
        issued = crl.CertificateList.load(await response.read())
        assert issued["tbs_cert_list"]["this_update"].native is not None

        spec = await hub.client.get("/api/v1/openapi.json")
        assert spec.status == 200


async def test_start_voids_numbers_left_reserved(
    test_settings: Settings, dev_pki: PKILayout, tmp_path: Path
) -> None:
    settings = hub_settings(test_settings, tmp_path / "var")
    await seed_demo(settings)
    at = datetime.now(UTC)

    # A process stopped between taking a number and settling it.
    db = Database(settings.storage.db_path)
    await db.open()
    async with db.write() as tx:
        row = await tx.fetch_one(
            "SELECT agency_id, id FROM users WHERE role = 'clerk' LIMIT 1"
        )
        assert row is not None
        agency_id, user_id = row
        new = documents.NewDocument(
            uuid="7b0c7c8e-0a52-4d0b-9a55-5d7e1f2f0d11", agency_id=agency_id,
            type_name="Quyết định", type_abbreviation="QĐ", drafting_unit=None,
            subject="Thử", signer_name="A", signer_position="B",
            signer_competence=None, priority=0, recipient_agency_ids=(),
            blob="0" * 64, created_by=user_id,
        )  # fmt: skip
        doc_id = await documents.insert_document(tx, new, at=at)
        reserved = await reserve_number(
            tx, agency_id=agency_id, document_id=doc_id, document_uuid=new.uuid,
            actor_id=user_id, at=at,
        )  # fmt: skip
    await db.close()

    async with running_hub(settings):
        pass

    await db.open()
    async with db.read() as reader:
        entries = await list_register(reader, agency_id=agency_id, year=reserved.year)
    await db.close()
    assert [(e.number, e.state.value) for e in entries] == [(1, "voided")]
    assert "stopped" in (entries[0].reason or "")
