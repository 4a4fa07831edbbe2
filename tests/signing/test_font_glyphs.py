"""Glyphs of the packaged font as pdfium draws them in a stamp.

Text extraction reads a stamp through its ToUnicode map and cannot see a
glyph drawn wrong. Here a line set by pyHanko with the hub's font (as the
stamps and the copy statement are) is rendered by pypdfium2, and each
glyph's ink is compared with the same character drawn by Pillow's
ImageFont from the packaged TrueType file.
"""

from __future__ import annotations

import io

import pypdfium2
import pytest
from PIL import Image, ImageDraw, ImageFont
from pyhanko.pdf_utils import generic, layout
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.pdf_utils.writer import PdfFileWriter
from pyhanko.stamp import TextStamp, TextStampStyle

from edocx.signing.fonts import DocumentFont, font_path

# Points, rendered at 72 dpi: one point is one pixel. Hinting runs only
# at small sizes (the font's gasp table), where a stamp's text is read.
SIZE = 40
MASK = (24, 48)  # the ink compared, width by height
# Share of the pixels on which the two drawings may differ: the same
# outline hinted (Pillow) and not (pdfium) differs on less than a tenth; a
# colon drawn as a dotless i differs on almost half.
TOLERANCE = 0.12


def _page() -> bytes:
    writer = PdfFileWriter()
    contents = writer.add_object(generic.StreamObject(stream_data=b""))
    media_box = generic.ArrayObject(generic.NumberObject(v) for v in (0, 0, 400, 300))
    writer.insert_page(
        generic.DictionaryObject(
            {
                pdf_name("/Type"): pdf_name("/Page"),
                pdf_name("/MediaBox"): media_box,
                pdf_name("/Resources"): generic.DictionaryObject(),
                pdf_name("/Contents"): contents,
            }
        )
    )
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _pdfium_glyph(char: str, size: int = SIZE) -> Image.Image:
    writer = IncrementalPdfFileWriter(io.BytesIO(_page()))
    style = TextStampStyle(
        stamp_text=char,
        text_box_style=TextBoxStyle(font=DocumentFont(size), font_size=size),
        border_width=0,
    )
    box = layout.BoxConstraints(width=360, height=260)
    TextStamp(writer, style, box=box).apply(0, 20, 20)
    out = io.BytesIO()
    writer.write(out)

    document = pypdfium2.PdfDocument(out.getvalue())
    try:
        page = document[0]
        assert page.get_textpage().get_text_range().strip() == char
        image = page.render(scale=1).to_pil().convert("L")
    finally:
        document.close()
    return _ink(image)


def _pillow_glyph(char: str) -> Image.Image:
    font = ImageFont.truetype(str(font_path()), SIZE)
    image = Image.new("L", (SIZE * 2, SIZE * 2), 255)
    ImageDraw.Draw(image).text((SIZE // 2, SIZE // 2), char, font=font, fill=0)
    return _ink(image)


def _ink(image: Image.Image) -> Image.Image:
    """The glyph's ink cut to its box, as a black-and-white mask of MASK."""
    dark = image.point(lambda v: 255 if v < 128 else 0)
    bbox = dark.getbbox()
    assert bbox is not None, "nothing was drawn"
    return dark.crop(bbox).resize(MASK, Image.Resampling.NEAREST)


def _difference(a: Image.Image, b: Image.Image) -> float:
    pairs = zip(a.tobytes(), b.tobytes(), strict=True)
    return sum(1 for x, y in pairs if x != y) / (MASK[0] * MASK[1])


def _ink_runs(mask: Image.Image) -> int:
    """How many separate bands of rows hold ink (a colon has two)."""
    width, height = mask.size
    rows = [any(mask.getpixel((x, y)) for x in range(width)) for y in range(height)]
    return sum(1 for y, row in enumerate(rows) if row and (y == 0 or not rows[y - 1]))


@pytest.mark.parametrize("char", [":", ";", "ố", "Đ", "1"])
def test_rendered_glyph_matches_the_font(char: str) -> None:
    rendered = _pdfium_glyph(char)
    drawn = _pillow_glyph(char)
    assert _difference(rendered, drawn) < TOLERANCE, char


@pytest.mark.parametrize("size", [12, 20, 40])
def test_colon_renders_as_two_dots(size: int) -> None:
    assert _ink_runs(_pdfium_glyph(":", size)) == 2
