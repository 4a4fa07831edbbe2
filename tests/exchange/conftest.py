"""A database with one agency, a clerk and drafts to number.
(The hub over HTTP is the one of tests/conftest.py.)"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from edocx.store import documents
from edocx.store.db import Database
from edocx.store.models import Agency, Role, User
from edocx.store.seed import create_agency, create_user

AT = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


@dataclass
class Registry:
    db: Database
    agency: Agency
    recipient: Agency
    clerk: User

    async def new_document(self) -> tuple[int, str]:
        doc_uuid = str(uuid.uuid4())
        new = documents.NewDocument(
            uuid=doc_uuid, agency_id=self.agency.id, type_name="Quyết định",
            type_abbreviation="QĐ", drafting_unit=None, subject="Về việc thử",
            signer_name="Nguyễn Văn Thành", signer_position="Chủ tịch",
            signer_competence=None, priority=0,
            recipient_agency_ids=(self.recipient.id,), blob="0" * 64,
            created_by=self.clerk.id,
        )  # fmt: skip
        async with self.db.write() as tx:
            return await documents.insert_document(tx, new, at=AT), doc_uuid


@pytest.fixture
async def registry(tmp_path: Path) -> AsyncIterator[Registry]:
    db = Database(tmp_path / "hub.sqlite3")
    await db.open()
    agency = await create_agency(
        db, organ_id="000.00.00.H41", name="Ủy ban nhân dân tỉnh Nghệ An",
        abbreviation="UBND", place="Nghệ An", seal_credential="seal-a", at=AT,
    )  # fmt: skip
    recipient = await create_agency(
        db, organ_id="000.00.00.G22", name="Văn phòng Chính phủ",
        abbreviation="VPCP", place="Hà Nội", seal_credential="seal-b", at=AT,
    )  # fmt: skip
    clerk = await create_user(
        db, organ_id=agency.organ_id, display_name="Văn thư", role=Role.CLERK,
        token="clerk-token", at=AT,
    )  # fmt: skip
    yield Registry(db, agency, recipient, clerk)
    await db.close()
