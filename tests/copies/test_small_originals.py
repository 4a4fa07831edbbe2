"""Small originals, odd resolutions and active content in a scan.

An ID card, a receipt or a photo is smaller than the statement and the two
signatures: the hub adds a page after it. An image's stated resolution is
believed only while it gives a page between an inch and A3. A scan's
links, form fields and scripts do not reach the certified copy.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    FloatObject,
    NameObject,
    TextStringObject,
)

from edocx.copies.intake import scan_from_uploads
from edocx.copies.statement import ADDED_PAGE_LINE
from tests.copies.test_certify import _certify, _check, _decode_qr, _pdf
from tests.web.hubkit import Hub

pytestmark = pytest.mark.asyncio(loop_scope="module")

MM = 72 / 25.4


def _image(width_mm: float, height_mm: float, dpi: float, kind: str = "PNG") -> bytes:
    size = (
        round(width_mm / 25.4 * min(dpi, 300)),
        round(height_mm / 25.4 * min(dpi, 300)),
    )
    out = io.BytesIO()
    Image.new("RGB", size, (200, 220, 240)).save(out, format=kind, dpi=(dpi, dpi))
    return out.getvalue()


def _sizes(pdf: bytes) -> list[tuple[float, float]]:
    return [
        (float(p.mediabox.width), float(p.mediabox.height))
        for p in PdfReader(io.BytesIO(pdf)).pages
    ]


@pytest.mark.parametrize(("width_mm", "height_mm"), [(86, 54), (210, 85), (51, 76)])
async def test_a_small_original_is_certified_on_an_added_page(
    hub: Hub, width_mm: float, height_mm: float
) -> None:
    status, body = await _certify(hub, _image(width_mm, height_mm, 300))
    assert status == 201, body
    assert body["intake"]["page_count"] == 1
    pdf = await _pdf(hub, body["intake"]["code"])

    sizes = _sizes(pdf)
    assert len(sizes) == 2
    assert sizes[0] == pytest.approx((width_mm * MM, height_mm * MM), abs=1)
    assert sizes[1] == pytest.approx((595, 842))
    text = PdfReader(io.BytesIO(pdf)).pages[1].extract_text()
    assert "CHỨNG THỰC BẢN SAO ĐÚNG VỚI BẢN CHÍNH" in text
    assert ADDED_PAGE_LINE in text
    assert _decode_qr(pdf) == body["qr_text"]
    checked = await _check(hub, body["intake"]["code"], pdf)
    assert checked["file"]["unmodified"] is True, checked["file"]["problems"]


async def test_a_jpeg_tagged_100000_dpi_is_certified(hub: Hub) -> None:
    status, body = await _certify(hub, _image(86, 54, 100_000, "JPEG"))
    assert status == 201, body
    pdf = await _pdf(hub, body["intake"]["code"])
    assert max(_sizes(pdf)[0]) == pytest.approx(842, abs=1), _sizes(pdf)


@pytest.mark.parametrize(
    ("pixels", "dpi", "size"),
    [
        # A phone photo tagged 72 dpi would be a 42-inch page: fitted to A4.
        ((3024, 4032), 72, (595, 793.3)),
        # 1 dpi would pass the PDF's page limit (200 inches).
        ((4032, 3024), 1, (793.3, 595)),
        # An A4 page scanned at 300 dpi keeps its size.
        ((2480, 3508), 300, (595.3, 841.9)),
    ],
)
async def test_image_pages_get_a_sane_size(
    pixels: tuple[int, int], dpi: float, size: tuple[float, float]
) -> None:
    out = io.BytesIO()
    Image.new("L", pixels, 128).save(out, format="JPEG", dpi=(dpi, dpi))
    scan = scan_from_uploads((out.getvalue(),), max_pages=10)
    assert _sizes(scan.pdf) == [pytest.approx(size, abs=0.5)]
    assert not scan.added_page


async def test_a_pdf_with_signature_fields_is_certified(
    hub: Hub, test_data_dir: Path
) -> None:
    scan = (test_data_dir / "pdf-unsigned" / "pdf-two-fields.pdf").read_bytes()
    status, body = await _certify(hub, scan)
    assert status == 201, body
    pdf = await _pdf(hub, body["intake"]["code"])
    checked = await _check(hub, body["intake"]["code"], pdf)
    assert checked["file"]["unmodified"] is True, checked["file"]["problems"]


def _hostile_scan() -> bytes:
    writer = PdfWriter()
    page = writer.add_blank_page(595, 842)
    link = DictionaryObject({
        NameObject("/Type"): NameObject("/Annot"),
        NameObject("/Subtype"): NameObject("/Link"),
        NameObject("/Rect"): ArrayObject([FloatObject(v) for v in (0, 0, 100, 100)]),
        NameObject("/A"): DictionaryObject({
            NameObject("/S"): NameObject("/URI"),
            NameObject("/URI"): TextStringObject("https://example.invalid/x"),
        }),
    })  # fmt: skip
    page[NameObject("/Annots")] = ArrayObject([writer._add_object(link)])
    page[NameObject("/AA")] = DictionaryObject({
        NameObject("/O"): DictionaryObject({
            NameObject("/S"): NameObject("/JavaScript"),
            NameObject("/JS"): TextStringObject("app.alert(1)"),
        }),
    })  # fmt: skip
    writer._root_object[NameObject("/OpenAction")] = DictionaryObject({
        NameObject("/S"): NameObject("/JavaScript"),
        NameObject("/JS"): TextStringObject("app.alert(2)"),
    })  # fmt: skip
    writer.add_attachment("payload.txt", b"hidden")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


async def test_active_content_does_not_survive_the_rewrite() -> None:
    hostile = _hostile_scan()
    assert b"/JavaScript" in hostile and b"/URI" in hostile

    scan = scan_from_uploads((hostile,), max_pages=10)
    assert b"/JavaScript" not in scan.pdf and b"/JS" not in scan.pdf
    assert b"/URI" not in scan.pdf and b"/Annots" not in scan.pdf
    assert b"/EmbeddedFile" not in scan.pdf and b"hidden" not in scan.pdf
