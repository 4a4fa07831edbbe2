"""A duplicate's layout: the QR code lands whole on a page, whatever the record."""

from __future__ import annotations

import copy

import pypdfium2
import pytest
import zxingcpp

from tests.copies.test_duplicates import CLERK_A, REQUEST, issue
from tests.web.hubkit import Hub

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def test_a_maximal_record_keeps_its_qr_whole(hub: Hub) -> None:
    """Every text at its documented limit: the QR still decodes whole."""
    body = copy.deepcopy(REQUEST)
    record = body["record"]
    body["requester"] = _long("Trần Thị Huyền", 200)
    record["registration"]["body"] = _long("Ủy ban nhân dân phường Bến Thủy", 200)
    for part, field, limit in (
        ("child", "full_name", 200), ("child", "place_of_birth", 400),
        ("child", "hometown", 400), ("mother", "residence", 400),
        ("father", "residence", 400), ("mother", "full_name", 200),
        ("father", "full_name", 200), ("declarant", "full_name", 200),
    ):  # fmt: skip
        record[part][field] = _long(record[part][field], limit)
    response = await issue(hub, body)
    assert response.status == 201, await response.text()
    out = (await response.json())["duplicate"]
    got = await hub.get(CLERK_A, f"/duplicates/{out['code']}/pdf")
    pdf = await got.read()

    found = _qr_codes(pdf)
    assert len(found) == 1, found
    assert found[0].startswith(out["check_url"] + "#")


def _long(start: str, limit: int) -> str:
    return (start + " " + "Nghệ An " * limit)[:limit].strip()


def _qr_codes(pdf: bytes) -> list[str]:
    document = pypdfium2.PdfDocument(pdf)
    try:
        images = [page.render(scale=300 / 72).to_pil() for page in document]
    finally:
        document.close()
    return [
        r.text
        for image in images
        for r in zxingcpp.read_barcodes(image)
        if r.format.name == "QRCode"
    ]
