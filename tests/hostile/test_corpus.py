"""Every file of the shared data through every route that takes such a file.

Each answer is a 2xx where the file is good, else a clean 4xx problem; a
refusal keeps nothing (rows and blobs compared before and after).
"""

from __future__ import annotations

import io
import json
import re
import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientResponse, FormData

from tests.conftest import _data_dir
from tests.hostile.conftest import answer, snapshot
from tests.web.hubkit import PROBLEM, A, Hub, header

pytestmark = pytest.mark.asyncio(loop_scope="module")

DATA = _data_dir()


def files(folder: str, suffix: str) -> list[Path]:
    found = sorted((DATA / folder).glob("*" + suffix)) if DATA.is_dir() else []
    return found or [DATA / folder / ("(no data)" + suffix)]


PDFS = files("pdf-unsigned", ".pdf") + files("dss-pdf", ".pdf")
PACKETS = files("edxml", ".edxml")
ALL = PDFS + PACKETS
# Known answers for a few files (the problem's code, None for a 2xx); every
# other file may get either, as long as it is one of the two.
EXPECTED: dict[tuple[str, str], str | None] = {
    ("draft", "sample.pdf"): None,
    ("draft", "EmptyPage-corrupted.pdf"): "pdf-unusable",
    ("draft", "malformed-pades.pdf"): "pdf-unusable",
    ("draft", "protected_open_protected.pdf"): "pdf-password-required",
    ("draft", "edoc.edxml"): "pdf-unusable",
    ("verify", "pades-bes.pdf"): None,
    ("verify", "malformed-pades.pdf"): None,
    ("packet", "edoc.edxml"): "edxml-not-xml",
    ("packet", "sample.pdf"): "edxml-not-xml",
    ("packet", "status_inbox_01.edxml"): "document-not-found",
}
Send = Callable[[Hub, bytes], Awaitable[ClientResponse]]


def read(path: Path) -> bytes:
    if not path.is_file():
        pytest.skip(f"test data not found at {path.parent} (set EDOCX_TEST_DATA)")
    return path.read_bytes()


async def keeps_nothing_unless_taken(hub: Hub, path: Path, send: Send) -> None:
    data, name = read(path), path.name
    before = snapshot(hub)

    problem = await answer(await send(hub, data))

    if problem is not None:
        assert before.added(snapshot(hub)) == {}, problem
    expected = EXPECTED.get((send.__name__, name), "any")
    if expected != "any":
        assert (problem and problem["type"]) == (expected and PROBLEM + expected)


async def verify(hub: Hub, data: bytes) -> ClientResponse:
    return await hub.verify(("a", "clerk"), data)


async def draft(hub: Hub, data: bytes) -> ClientResponse:
    return await hub.upload(("a", "clerk"), data, header())


async def packet(hub: Hub, data: bytes) -> ClientResponse:
    # Most samples are sent by B (000.00.00.G22); the statuses by A.
    sender = "a" if b"StatusCode" in data and A.encode() in data[:900] else "b"
    return await hub.post(
        (sender, "system"),
        "/edxml",
        data=io.BytesIO(data),
        headers={"Content-Type": "application/xml"},
    )


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
async def test_verify_answers_every_file(hub: Hub, path: Path) -> None:
    await keeps_nothing_unless_taken(hub, path, verify)


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
async def test_draft_upload_answers_every_file(hub: Hub, path: Path) -> None:
    await keeps_nothing_unless_taken(hub, path, draft)


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
async def test_edxml_route_answers_every_file(hub: Hub, path: Path) -> None:
    await keeps_nothing_unless_taken(hub, path, packet)


async def intake(hub: Hub, data: bytes) -> ClientResponse:
    form = FormData()
    fields = {"requester": "Nguyễn Văn An", "document_name": "Giấy khai sinh"}
    form.add_field("intake", json.dumps(fields), content_type="application/json")
    form.add_field(
        "file", io.BytesIO(data), filename="scan.pdf", content_type="application/pdf"
    )
    return await hub.post(("a", "certifier"), "/copies", data=form)


# A copy's intake signs every scan it takes, twice: the tricky unsigned
# PDFs, the packets and the corpus's hostile PDFs go through it (the other
# files through verify and drafts above), to keep the run short.
HOSTILE_KINDS = {"malformed", "encrypted", "unsigned", "shadow-attack"}


def hostile_signed() -> list[Path]:
    manifest = DATA / "dss-pdf" / "manifest.json"
    if not manifest.is_file():
        return []
    entries = json.loads(manifest.read_text(encoding="utf-8"))
    names = [e["file"] for e in entries if HOSTILE_KINDS & set(e["kinds"])]
    return [DATA / "dss-pdf" / name for name in names]


# Of the unsigned PDFs, those a reader may stumble on, and one plain one.
TRICKY = re.compile(r"corrupt|protected|Signature|fields|pdfa2|^sample")
SCANS = [
    *(p for p in files("pdf-unsigned", ".pdf") if TRICKY.search(p.name)),
    *hostile_signed(),
    *PACKETS,
]


def failed_with_its_number(hub: Hub, added: dict[str, Any]) -> bool:
    """Tell whether a refusal kept only a failed intake and its audit entries.

    A failure after the certification book handed out a number keeps the
    number, settled as failed (docs/copies.md): the book has no gaps.
    """
    if added.pop("copy_intakes", 0) != 1 or "blobs" in added:
        return False
    if any(not table.startswith("audit_") for table in added):
        return False
    db = sqlite3.connect(f"file:{hub.settings.storage.db_path}?mode=ro", uri=True)
    try:
        query = "SELECT state FROM copy_intakes ORDER BY id DESC LIMIT 1"
        return bool(db.execute(query).fetchone()[0] == "failed")
    finally:
        db.close()


@pytest.mark.parametrize("path", SCANS, ids=lambda p: p.name)
async def test_copy_intake_answers_every_file(hub: Hub, path: Path) -> None:
    before = snapshot(hub)

    problem = await answer(await intake(hub, read(path)))

    added = before.added(snapshot(hub))
    if problem is not None and added:
        assert problem["type"] == PROBLEM + "document-not-issuable", problem
        assert failed_with_its_number(hub, added), (problem, added)
