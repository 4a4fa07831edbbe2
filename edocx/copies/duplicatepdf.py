"""The e-duplicate as a PDF: the register record laid out by a template.

The template (``templates/<kind>.json``) names the document, its title and
the rows: a Vietnamese label and the record's field shown beside it. The
page carries the national motto, the issuing body and the duplicate's own
number and book, the mark "BẢN SAO ĐIỆN TỬ TỪ SỔ GỐC", the record, a QR
code with the checking address, and room at the foot for the body's seal
signature. The text is drawn with the font the hub signs with (DejaVu
Serif, packaged), embedded, so that the Vietnamese text reads back from the
file letter for letter.

Everything here runs in a worker process (``duplicates`` calls it through
the pool): it parses nothing from outside, but laying out a page and
signing it are CPU work the event loop must not do.
"""

from __future__ import annotations

import io
import json
import logging
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from typing import Any

from fpdf import FPDF

from edocx.copies.vnwords import date_words, number_words
from edocx.signing import texts
from edocx.signing.fonts import font_path

logger = logging.getLogger(__name__)

FONT = "DejaVuSerif"
MARK = "BẢN SAO ĐIỆN TỬ TỪ SỔ GỐC"
MOTTO = ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc")

# A4 in points, and the page's margins.
PAGE_WIDTH = 595.28
MARGIN = 56.0
LABEL_WIDTH = 215.0
ROW_HEIGHT = 15.0
QR_SIZE = 96.0
# Below the code: its quiet zone's margin and the line after it.
QR_ROOM = 8.0


@dataclass(frozen=True)
class Template:
    """How one kind of register record is laid out."""

    kind: str
    document_name: str
    register_name: str  # the master register, e.g. Sổ đăng ký khai sinh
    title: str
    # Each row: the label, the record's field, and "words" for a date or a
    # number written in words ("" as it stands).
    rows: tuple[tuple[str, str, str], ...]


@cache
def load_template(kind: str) -> Template:
    """Return the packaged template of ``kind`` (``birth``)."""
    source = resources.files("edocx.copies") / "templates" / f"{kind}.json"
    data = json.loads(source.read_text(encoding="utf-8"))
    rows = tuple(
        (row["label"], row["field"], row.get("format", "")) for row in data["rows"]
    )
    return Template(
        data["kind"],
        data["document_name"],
        data["register_name"],
        data["title"],
        rows,
    )


@dataclass(frozen=True, kw_only=True)
class DuplicatePage:
    """What the page shows besides the record itself."""

    body_name: str
    place: str
    number_text: str  # the duplicate's number as written, e.g. 12/ĐT
    book: str
    issued_on: date
    requester: str
    check_url: str
    qr_png: bytes

    def __repr__(self) -> str:
        return f"DuplicatePage(number={self.number_text!r}, book={self.book!r})"


def field_text(record: dict[str, Any], path: str, form: str = "") -> str:
    """Return the record's field at ``path`` (``child.full_name``) as shown.

    Dates are written dd/mm/yyyy, or in words when ``form`` is ``words``; a
    part the record lacks (no father registered) is shown empty, as on the
    paper form.
    """
    value: Any = record
    for name in path.split("."):
        if not isinstance(value, dict) or value.get(name) is None:
            return ""
        value = value[name]
    if isinstance(value, str) and len(value) == 10 and value[4] == "-":
        day = date.fromisoformat(value)
        return date_words(day) if form == "words" else day.strftime("%d/%m/%Y")
    if isinstance(value, int) and form == "words":
        return number_words(value)
    return str(value)


def render_duplicate(
    template: Template, record_json: str, page: DuplicatePage
) -> bytes:
    """Lay out the duplicate of ``record_json`` and return the PDF."""
    record = json.loads(record_json)
    pdf = _new_pdf(template, page)
    _head(pdf, page)
    _title(pdf, template)
    for label, path, form in template.rows:
        _row(pdf, label, field_text(record, path, form))
    _issue_block(pdf, template, record, page)
    return bytes(pdf.output())


def _new_pdf(template: Template, page: DuplicatePage) -> FPDF:
    pdf = FPDF(orientation="portrait", unit="pt", format="A4")
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_auto_page_break(auto=True, margin=MARGIN)
    pdf.add_font(FONT, "", str(font_path()))
    pdf.set_lang("vi")
    pdf.set_title(f"{template.document_name} ({MARK.lower()})")
    pdf.set_author(page.body_name)
    pdf.add_page()
    return pdf


def _head(pdf: FPDF, page: DuplicatePage) -> None:
    # Left: the body and the duplicate's number; right: the national motto.
    half = (PAGE_WIDTH - 2 * MARGIN) / 2
    top = pdf.get_y()
    pdf.set_font(FONT, size=10)
    pdf.multi_cell(half, 14, page.body_name.upper(), align="C", new_x="LEFT")
    pdf.multi_cell(half, 14, f"Số: {page.number_text}", align="C", new_x="LEFT")
    pdf.multi_cell(half, 14, page.book, align="C", new_x="LEFT")
    left_bottom = pdf.get_y()

    pdf.set_xy(MARGIN + half, top)
    for line in MOTTO:
        pdf.set_x(MARGIN + half)
        pdf.multi_cell(half, 14, line, align="C", new_x="LEFT")
    pdf.set_y(max(left_bottom, pdf.get_y()) + 18)


def _title(pdf: FPDF, template: Template) -> None:
    pdf.set_font(FONT, size=16)
    pdf.cell(0, 22, template.title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=11)
    pdf.cell(0, 16, f"({MARK})", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(12)


def _row(pdf: FPDF, label: str, value: str) -> None:
    pdf.set_font(FONT, size=10)
    top = pdf.get_y()
    pdf.multi_cell(LABEL_WIDTH, ROW_HEIGHT, f"{label}:", align="L", new_x="LMARGIN")
    label_bottom = pdf.get_y()
    pdf.set_xy(MARGIN + LABEL_WIDTH, top)
    pdf.set_font(FONT, size=11)
    pdf.multi_cell(0, ROW_HEIGHT, value, align="L", new_x="LMARGIN")
    pdf.set_y(max(label_bottom, pdf.get_y()))


def _issue_block(
    pdf: FPDF, template: Template, record: dict[str, Any], page: DuplicatePage
) -> None:
    pdf.ln(10)
    pdf.set_font(FONT, size=10)
    entry = record["registration"]
    statement = (
        f"Bản sao điện tử từ sổ gốc, cấp cho {page.requester}; nội dung đầy đủ,"
        f" chính xác như {template.register_name}, quyển số"
        f" {entry['book']}, số {entry['entry']}."
    )
    pdf.multi_cell(0, 14, statement, new_x="LMARGIN")
    pdf.multi_cell(
        0, 14, texts.place_date_line(page.place, page.issued_on), new_x="LMARGIN"
    )
    pdf.ln(6)

    # The QR code, and its address in words for whoever reads it by eye.
    # An image at a set place does not break the page: a long record would
    # push the code past the foot, so it starts a new page when it must.
    top = pdf.get_y()
    if top + QR_SIZE + QR_ROOM > pdf.h - pdf.b_margin:
        pdf.add_page()
        top = pdf.get_y()
    pdf.image(io.BytesIO(page.qr_png), x=MARGIN, y=top, w=QR_SIZE, h=QR_SIZE)
    pdf.set_xy(MARGIN + QR_SIZE + 10, top + 8)
    pdf.set_font(FONT, size=9)
    pdf.multi_cell(0, 12, "Kiểm tra bản sao tại địa chỉ:", new_x="LEFT")
    pdf.set_x(MARGIN + QR_SIZE + 10)
    pdf.multi_cell(0, 12, page.check_url, new_x="LMARGIN")
    pdf.set_y(top + QR_SIZE + 4)
