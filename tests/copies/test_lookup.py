"""Codes are found whatever their case; an empty file to check is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.copies.test_certify import _certify
from tests.copies.test_duplicates import issued
from tests.web.hubkit import Hub, problem

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def test_a_copy_code_in_small_letters_is_found(hub: Hub, pdfs: Path) -> None:
    status, body = await _certify(hub, (pdfs / "empty-two-pages.pdf").read_bytes())
    assert status == 201, body
    code = body["intake"]["code"]
    response = await hub.client.get(f"/api/v1/copies/{code.lower()}")
    assert response.status == 200
    assert (await response.json())["code"] == code
    page = await hub.client.get(f"/c/{code.lower()}")
    assert page.status == 200 and code in await page.text()


async def test_a_duplicate_code_in_capitals_is_found(hub: Hub) -> None:
    out, _ = await issued(hub)
    response = await hub.client.get(f"/api/v1/duplicates/{out['code'].upper()}")
    assert response.status == 200
    assert (await response.json())["code"] == out["code"]


@pytest.mark.parametrize("kind", ["copies", "duplicates"])
async def test_an_empty_file_to_check_is_422(hub: Hub, kind: str) -> None:
    response = await hub.client.post(
        f"/api/v1/{kind}/AAAAAAAAAAAAAAAA/check", data=b"",
        headers={"Content-Type": "application/pdf"},
    )  # fmt: skip
    found = await problem(response, 422, "pdf-unusable")
    assert "empty" in found["detail"]
