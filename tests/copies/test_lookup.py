"""Codes are found whatever their case; an empty file to check is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.copies.test_certify import _certify
from tests.copies.test_duplicates import CLERK_A, issued
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


async def test_the_duplicate_book_lists_every_number(hub: Hub) -> None:
    out, _ = await issued(hub)
    response = await hub.get(CLERK_A, "/duplicates/books")
    assert response.status == 200, await response.text()
    book = await response.json()
    assert book["book"] == f"Quyển số 01/{book['year']}-BSSG"
    numbers = [int(e["number"].split("/")[0]) for e in book["entries"]]
    assert numbers == list(range(1, len(numbers) + 1))
    mine = next(e for e in book["entries"] if e["code"] == out["code"])
    assert mine["state"] == "issued" and mine["number"] == out["number"]
    assert mine["issued_at"].endswith("+07:00")

    other = await hub.get(CLERK_A, f"/duplicates/books?year={book['year'] - 1}")
    assert (await other.json())["entries"] == []
    public = await hub.client.get("/api/v1/duplicates/books")
    assert public.status == 401
