"""The certification statement and the QR code on the copy's last page.

The statement (lời chứng; domain §6.4) says in Vietnamese that the copy
matches the original, with the certification number, the book, the date,
the body, and the certifier's title and name. It goes on the last page
(Decree 23/2015: the statement of a copy of two pages or more is on its
last page), above the foot where the certifier's and the body's visible
signatures then go, with the QR code at its left. Both sit on a white
ground, so that they stay legible over the scanned page.

All of it is one incremental update after the scan (the second revision);
the signatures come in later revisions. The QR's text is also kept in the
catalog (``/EdocxCertifiedCopy``), so that ``edocx copy check`` reads it
without an image decoder.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date

from pyhanko.pdf_utils import generic, layout
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.stamp import TextStamp, TextStampStyle

from edocx.copies import qr
from edocx.signing import fields
from edocx.signing.fields import PageBox
from edocx.signing.fonts import DocumentFont
from edocx.signing.reading import read_strict
from edocx.signing.wrapping import fit_text

ADDED_PAGE_LINE = "Lời chứng ở trang thêm sau bản sao"
CATALOG_KEY = "/EdocxCertifiedCopy"
QR_KEY = "/QR"

# The statement stands above the foot of the page, where the signatures go.
BAND_BOTTOM_SHARE = 0.20
QR_SIDE = 120.0
GAP = 8.0
PADDING = 4.0
MAX_TEXT_WIDTH = 300.0


@dataclass(frozen=True)
class StatementFacts:
    """What the statement says."""

    number_text: str  # 12/ĐT
    book: str
    certified_on: date
    body_name: str
    certifier_title: str
    certifier_name: str
    copies: int = 1
    # The scan's last page was too small: the statement is on a page the
    # hub added after it (``intake``).
    added_page: bool = False


def statement_text(facts: StatementFacts) -> str:
    """Return the statement's lines, in Vietnamese."""
    day = facts.certified_on
    lines = [
        "CHỨNG THỰC BẢN SAO ĐÚNG VỚI BẢN CHÍNH",
        f"Số chứng thực: {facts.number_text}",
        f"Quyển số: {_book_number(facts.book)}",
        f"Ngày {day.day:02d} tháng {day.month:02d} năm {day.year}",
        f"Cơ quan chứng thực: {facts.body_name}",
        f"{facts.certifier_title}: {facts.certifier_name}",
    ]
    if facts.copies > 1:
        lines.insert(2, f"Số bản sao: {facts.copies}")
    if facts.added_page:
        lines.append(ADDED_PAGE_LINE)
    return "\n".join(lines)


def _book_number(book: str) -> str:
    # A book named "Quyển số 01/2026-SCT/BS" is shown after "Quyển số:"
    # without the words twice.
    prefix = "Quyển số"
    return book[len(prefix) :].strip() if book.startswith(prefix) else book


def add_statement(scan: bytes, facts: StatementFacts, qr_text: str) -> bytes:
    """Return ``scan`` with the statement and the QR code on its last page."""
    writer = IncrementalPdfFileWriter.from_reader(read_strict(scan))
    box = fields.page_box(writer, -1)
    page_ix = int(writer.root["/Pages"]["/Count"]) - 1
    text = statement_text(facts)

    # 1. Where: the QR at the left margin, the text beside it.
    margin = max(box.width * 0.05, 10.0)
    side = min(QR_SIDE, box.width * 0.3)
    left = box.left + margin
    bottom = box.bottom + box.height * BAND_BOTTOM_SHARE
    width = min(MAX_TEXT_WIDTH, box.right - margin - (left + side + GAP))
    fitted = fit_text(text, width - 2 * PADDING, box.stamp_text_size, side)
    height = max(side, fitted.height + 2 * PADDING)

    # 2. The scan's own content is set apart, then the white ground and the
    # QR code are drawn in the page's default space.
    _isolate_page_content(writer, page_ix)
    ground = b"q 1 g %s re f Q" % _rect(left + side, bottom, width + GAP, height)
    drawing = ground + b"\n" + qr.qr_drawing(qr_text, left, bottom, side)
    writer.add_stream_to_page(
        page_ix, writer.add_object(generic.StreamObject(stream_data=drawing))
    )

    # 3. The statement's text, with the packaged font (embedded subset).
    _stamp_text(writer, page_ix, fitted.text, fitted.size, box, (left + side + GAP,
                bottom, width, height))  # fmt: skip

    # 4. The QR's text in the catalog, for offline checks.
    writer.root[CATALOG_KEY] = generic.DictionaryObject(
        {generic.NameObject(QR_KEY): generic.TextStringObject(qr_text)}
    )
    writer.update_root()
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _stamp_text(
    writer: IncrementalPdfFileWriter, page_ix: int, text: str, size: int,
    box: PageBox, place: tuple[float, float, float, float],
) -> None:  # fmt: skip
    x, y, width, height = place
    style = TextStampStyle(
        # pyHanko fills the template with %-interpolation.
        stamp_text=text.replace("%", "%%"),
        text_box_style=TextBoxStyle(
            font=DocumentFont(size), font_size=size, leading=round(size * 1.25)
        ),
        border_width=0,
        inner_content_layout=layout.SimpleBoxLayoutRule(
            x_align=layout.AxisAlignment.ALIGN_MIN,
            y_align=layout.AxisAlignment.ALIGN_MID,
            margins=layout.Margins.uniform(PADDING),
            inner_content_scaling=layout.InnerScaling.SHRINK_TO_FIT,
        ),
    )
    stamp = TextStamp(
        writer, style, box=layout.BoxConstraints(width=width, height=height)
    )
    stamp.apply(page_ix, round(x), round(y))


def _isolate_page_content(writer: IncrementalPdfFileWriter, page_ix: int) -> None:
    # The scan's content may leave the graphics state changed; q ... Q
    # around it gives later drawing the page's default space.
    for data, prepend in ((b"q", True), (b"Q", False)):
        stream = writer.add_object(generic.StreamObject(stream_data=data))
        writer.add_stream_to_page(page_ix, stream, prepend=prepend)


def _rect(x: float, y: float, w: float, h: float) -> bytes:
    return b"%.3f %.3f %.3f %.3f" % (x, y, w, h)
