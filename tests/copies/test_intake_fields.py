"""The intake's counts and fee are strict and bounded; its texts are clean.

A fee of 10**30 overflowed SQLite (500); "2" or true passed for a count.
Each is now refused as every malformed body is (400 request-invalid, the
field named), and a refused intake takes no number.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.copies.test_certify import INTAKE, _certify
from tests.web.hubkit import Hub, problem

pytestmark = pytest.mark.asyncio(loop_scope="module")

ODD = [
    {"fee": 10**30},
    {"fee": 10**12 + 1},
    {"fee": -1},
    {"fee": "1000"},
    {"fee": 1000.5},
    {"copies": "2"},
    {"copies": True},
    {"page_count": "1"},
    {"requester": "Nguyễn\u202eThị"},
    {"document_name": "Giấy\u200bkhai sinh"},
    {"document_name": "Giấy\nkhai sinh"},
    {"requester": "Nguyễn\x00"},
]


@pytest.mark.parametrize("odd", ODD, ids=[repr(o)[:30] for o in ODD])
async def test_an_odd_refusal_is_refused(hub: Hub, odd: dict[str, Any]) -> None:
    body = {**INTAKE, "reason": "secret", **odd}
    response = await hub.post(("a", "certifier"), "/copies/refusals", json=body)
    found = await problem(response, 400, "request-invalid")
    assert next(iter(odd)) in found["detail"]


@pytest.mark.parametrize("odd", ODD[:8], ids=[repr(o)[:30] for o in ODD[:8]])
async def test_an_odd_intake_is_refused_and_takes_no_number(
    hub: Hub, pdfs: Path, odd: dict[str, Any]
) -> None:
    before = await hub.count("copy_intakes")
    scan = (pdfs / "empty-two-pages.pdf").read_bytes()
    status, body = await _certify(hub, scan, **odd)
    assert status == 400 and body["type"].endswith("/request-invalid"), body
    assert await hub.count("copy_intakes") == before


async def test_fee_and_copies_default_when_absent(hub: Hub) -> None:
    body = {k: v for k, v in INTAKE.items() if k != "fee"} | {"reason": "secret"}
    response = await hub.post(("a", "certifier"), "/copies/refusals", json=body)
    assert response.status == 201, await response.text()
    refused = await response.json()
    assert (refused["fee"], refused["copies"]) == (0, 1)


@pytest.mark.parametrize(
    "name", ["EmptyPage-corrupted.pdf", "protected_open_protected.pdf"]
)
async def test_a_broken_or_locked_pdf_scan_is_copy_scan_unusable(
    hub: Hub, test_data_dir: Path, name: str
) -> None:
    before = await hub.count("copy_intakes")
    scan = (test_data_dir / "pdf-unsigned" / name).read_bytes()
    status, body = await _certify(hub, scan)
    assert status == 422 and body["type"].endswith("/copy-scan-unusable"), body
    assert body["title"] == "The scan cannot be certified"
    assert "draft" not in body.get("hint", "") + body["detail"]
    assert await hub.count("copy_intakes") == before


async def test_a_page_count_mismatch_says_so(hub: Hub, pdfs: Path) -> None:
    scan = (pdfs / "empty-two-pages.pdf").read_bytes()
    status, body = await _certify(hub, scan, page_count=3)
    assert status == 422 and body["type"].endswith("/copy-page-count-mismatch"), body
    assert "page count" in body["title"] and "2 page(s)" in body["detail"]
