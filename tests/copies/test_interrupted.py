"""A certification the hub stopped in the middle of is settled at the next start.

The hub's database file is left as a process killed between taking a
number and keeping the certified copy leaves it: the intake `certifying`
with number 1 of the body's book. The next start marks it failed as
interrupted, with an audit event; the book shows it to the body's
certifier; the next certification takes number 2, never 1 again.
"""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp import FormData

from edocx.config import Settings
from edocx.copies import books
from edocx.copies.certify import INTERRUPTED
from edocx.pki.devpki import PKILayout
from edocx.pki.server import PKIServerThread
from edocx.store import copies as store
from edocx.store.copies import IntakeFacts
from edocx.store.db import Database
from tests.web.hubkit import A, Hub, hub_settings, problem, running_hub, seed_demo

pytestmark = pytest.mark.asyncio(loop_scope="function")

CERTIFIER = ("a", "certifier")
INTAKE = {"requester": "Phan Thị Hoa", "document_name": "Sổ hộ khẩu"}


@pytest.fixture
def settings(
    test_settings: Settings, dev_pki: PKILayout, pki_server: PKIServerThread,
    tmp_path: Path,
) -> Settings:  # fmt: skip
    return hub_settings(test_settings, tmp_path / "var")


async def _leave_certifying(settings: Settings, at: datetime) -> str:
    """Take number 1 of agency A's book as a certification does, and stop."""
    db = Database(settings.storage.db_path)
    await db.open()
    try:
        async with db.write() as tx:
            row = await tx.fetch_one(
                "SELECT u.id AS user_id, a.id AS agency_id FROM users u"
                " JOIN agencies a ON a.id = u.agency_id"
                " WHERE a.organ_id = ? AND u.role = 'certifier'", (A,),
            )  # fmt: skip
            assert row is not None
            year = books.book_year(at)
            book = await store.book_for(
                tx, agency_id=row["agency_id"], year=year,
                name=books.book_name(settings.copies.book_pattern, year), at=at,
            )  # fmt: skip
            facts = IntakeFacts("Trần Văn Bình", "Giấy khai sinh", 1, 1, 0, "VND")
            code = books.new_code()
            number = await store.take_number(
                tx, code=code, book=book, certifier_id=row["user_id"],
                facts=facts, scan_sha256="0" * 64, at=at,
            )  # fmt: skip
            assert number == 1
    finally:
        await db.close()
    return code


async def _certify(hub: Hub, scan: bytes) -> dict[str, Any]:
    form = FormData()
    form.add_field("intake", json.dumps(INTAKE), content_type="application/json")
    form.add_field(
        "file", io.BytesIO(scan), filename="scan.pdf", content_type="application/pdf"
    )
    response = await hub.post(CERTIFIER, "/copies", data=form)
    body: dict[str, Any] = await response.json()
    assert response.status == 201, body
    return body


async def test_interrupted_certification_is_settled_at_start(
    settings: Settings, pdfs: Path
) -> None:
    at = datetime.now(UTC)
    await seed_demo(settings)
    code = await _leave_certifying(settings, at)
    year = books.book_year(at)

    async with running_hub(settings) as hub:
        # The certifier reads the book: number 1 failed, interrupted.
        response = await hub.get(CERTIFIER, f"/copies/books?year={year}")
        assert response.status == 200, await response.text()
        book = await response.json()
        assert [(e["number"], e["state"]) for e in book["entries"]] == [(1, "failed")]
        assert book["entries"][0]["code"] == code
        assert book["entries"][0]["failure_reason"] == INTERRUPTED
        assert book["entries"][0]["failure_reason"].startswith("interrupted")

        # Nobody can check it as a copy.
        assert (await hub.client.get(f"/api/v1/copies/{code}")).status == 404

        # The audit log says so.
        events = await _events(settings, code)
        assert ("copy.fail", INTERRUPTED) in events

        # The next certification takes the next number.
        scan = (pdfs / "empty-two-pages.pdf").read_bytes()
        done = await _certify(hub, scan)
        assert done["intake"]["number"] == 2
        assert done["intake"]["number_text"] == "2/ĐT"

    # A second start finds nothing left to settle.
    async with running_hub(settings) as hub:
        book = await (await hub.get(CERTIFIER, f"/copies/books?year={year}")).json()
        assert [(e["number"], e["state"]) for e in book["entries"]] == [
            (1, "failed"), (2, "certified"),
        ]  # fmt: skip
        assert (await _events(settings, code)).count(("copy.fail", INTERRUPTED)) == 1


async def test_book_of_a_year_without_numbers_is_empty(settings: Settings) -> None:
    async with running_hub(settings) as hub:
        response = await hub.get(CERTIFIER, "/copies/books?year=2001")
        assert response.status == 200
        assert await response.json() == {"year": 2001, "book": None, "entries": []}
        this_year = await (await hub.get(CERTIFIER, "/copies/books")).json()
        assert this_year["year"] == books.book_year(datetime.now(UTC))
        odd = await hub.get(CERTIFIER, "/copies/books?year=19x9")
        await problem(odd, 400, "request-invalid")
        other = await hub.get(("a", "clerk"), "/copies/books")
        assert other.status == 403


async def _events(settings: Settings, code: str) -> list[tuple[str, str | None]]:
    db = Database(settings.storage.db_path)
    await db.open()
    try:
        async with db.read() as reader:
            rows = await reader.fetch_all(
                "SELECT action, details_json FROM audit_events WHERE object_id = ?"
                " ORDER BY rowid", (code,),
            )  # fmt: skip
    finally:
        await db.close()
    return [
        (r["action"], json.loads(r["details_json"] or "{}").get("reason")) for r in rows
    ]
