"""The number and date fields on page 1, and where visible signatures go.

The hub numbers a document after its competent person has signed it, yet the
number must be printed on page 1 (Decree 30/2020, Art. 15). A PDF can only
change after a signature in ways a verifier can explain, so the two places
are made as read-only text fields before the first signature, each with an
appearance stream showing a placeholder. Issuing then sets each field's value
and points it at a new appearance stream: pyHanko's difference analysis
classes exactly that as form filling (ISO 32000-2, 12.7.4.3; 12.8.2.2).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from pyhanko.pdf_utils import generic, layout
from pyhanko.pdf_utils.form_tools import TextFieldContent
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.rw_common import PdfHandler
from pyhanko.pdf_utils.text import TextBoxStyle

from edocx.errors import InputError
from edocx.signing import texts
from edocx.signing.fonts import DocumentFont

logger = logging.getLogger(__name__)

NUMBER_FIELD = "edocx_number"
DATE_FIELD = "edocx_place_date"
ISSUE_FIELDS = (NUMBER_FIELD, DATE_FIELD)

# Field flag 1 (ReadOnly) and annotation flag 3 (Print): users cannot type
# into the fields, and the values are printed with the page.
FIELD_READ_ONLY = 1
ANNOT_PRINT = 4

CENTRED = layout.SimpleBoxLayoutRule(
    x_align=layout.AxisAlignment.ALIGN_MID,
    y_align=layout.AxisAlignment.ALIGN_MID,
    margins=layout.Margins.uniform(1),
    inner_content_scaling=layout.InnerScaling.SHRINK_TO_FIT,
)

Rect = tuple[float, float, float, float]


@dataclass(frozen=True)
class PageBox:
    """The visible area of a page in its own user space."""

    left: float
    bottom: float
    right: float
    top: float

    @property
    def width(self) -> float:
        return self.right - self.left

    @property
    def height(self) -> float:
        return self.top - self.bottom

    @property
    def text_size(self) -> int:
        # 12 pt on A4 and Letter; smaller on small pages, never tiny.
        return int(max(7.0, min(12.0, self.width / 50)))

    @property
    def stamp_text_size(self) -> int:
        # Signature appearances hold several lines in a small box; long
        # texts wrap rather than shrink (see ``wrapping``).
        return max(7, self.text_size - 2)


def page_box(handler: PdfHandler, page_ix: int) -> PageBox:
    """Return the crop box (or media box) of a page, following inheritance."""
    page_ref, _ = handler.find_page_for_modification(page_ix)
    page = page_ref.get_object()
    box = _inherited(page, "/CropBox") or _inherited(page, "/MediaBox")
    if box is None:
        raise InputError(f"page {page_ix + 1} has no media box")

    rotate = int(_inherited(page, "/Rotate") or 0)
    if rotate % 360:
        # TODO(#2): place fields and stamps on rotated pages; needs an
        # appearance matrix that turns the text with the page.
        logger.warning("page %d is rotated by %d degrees", page_ix + 1, rotate)
    x1, y1, x2, y2 = (float(v) for v in box)
    return PageBox(min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2))


def _inherited(page: generic.DictionaryObject, key: str) -> Any:
    # Page attributes may sit on any ancestor in the page tree (ISO 32000-2,
    # 7.7.3.4); the nearest one wins.
    node: generic.DictionaryObject | None = page
    for _ in range(64):
        if node is None:
            return None
        if key in node:
            return node[key]
        parent = node.get("/Parent")
        node = parent.get_object() if parent is not None else None
    return None


def issue_field_rects(box: PageBox) -> dict[str, Rect]:
    """Place the number field top left and the date field top right."""
    margin_x = max(box.width * 0.06, 12.0)
    height = box.text_size * 1.8
    top = box.top - max(box.height * 0.025, 6.0)
    half = (box.width - 2 * margin_x) / 2
    left = box.left + margin_x
    return {
        NUMBER_FIELD: (left, top - height, left + half * 0.8, top),
        DATE_FIELD: (left + half * 1.05, top - height, left + half * 2, top),
    }


def signature_rect(box: PageBox, slot: int, lines: int) -> Rect:
    """Place a visible signature at the foot of a page, counted from the right.

    Slot 0 is the competent person's, right-aligned; slot 1, the agency's,
    sits to its left (Decree 30/2020, Appendix I puts the seal to the left of
    the signer's image).
    """
    margin = max(box.width * 0.05, 10.0)
    width = min((box.width - 3 * margin) / 2, 250.0)
    height = lines * box.stamp_text_size * 1.25 + 12
    right = box.right - margin - slot * (width + margin)
    bottom = box.bottom + max(box.height * 0.04, 8.0)
    return (right - width, bottom, right, bottom + height)


def header_rect(box: PageBox, lines: int) -> Rect:
    """Place a visible signature across the head of a page.

    Used for the seal of a draft that arrived signed, which has no number
    and date fields (see ``drafts``): the seal's appearance shows them.
    """
    margin_x = max(box.width * 0.06, 12.0)
    height = lines * box.stamp_text_size * 1.25 + 12
    top = box.top - max(box.height * 0.025, 6.0)
    return (box.left + margin_x, top - height, box.right - margin_x, top)


def top_right_rect(box: PageBox, lines: int) -> Rect:
    """Place a visible signature at the top right of a page.

    Used for the agency's signature on an attachment in a separate file
    (Decree 30/2020, Appendix I).
    """
    margin_x = max(box.width * 0.06, 12.0)
    width = min(box.width * 0.45, 260.0)
    height = lines * box.stamp_text_size * 1.25 + 12
    top = box.top - max(box.height * 0.025, 6.0)
    right = box.right - margin_x
    return (right - width, top - height, right, top)


def text_style(box: PageBox) -> TextBoxStyle:
    """Return the style of the number and date texts on this page."""
    font = DocumentFont(box.text_size)
    return TextBoxStyle(font=font, font_size=box.text_size, box_layout_rule=CENTRED)


def existing_field_names(handler: PdfHandler) -> set[str]:
    """Return the top-level names of the document's form fields."""
    try:
        fields = handler.root["/AcroForm"]["/Fields"]
    except KeyError:
        return set()
    names = set()
    for ref in fields:
        field = ref.get_object()
        if isinstance(field, generic.DictionaryObject) and "/T" in field:
            names.add(str(field["/T"]))
    return names


def find_field(handler: PdfHandler, name: str) -> generic.DictionaryObject | None:
    """Return the top-level form field called ``name``, if there is one."""
    try:
        form_fields = handler.root["/AcroForm"]["/Fields"]
    except KeyError:
        return None
    for ref in form_fields:
        field = ref.get_object()
        if isinstance(field, generic.DictionaryObject) and field.get("/T") == name:
            return field
    return None


def drawn_form_fields(handler: PdfHandler) -> list[str]:
    """Name the form fields, other than signatures and ours, with appearances.

    Walks the whole field tree (ISO 32000-2, 12.7.4); a field's type may be
    inherited from its parent.
    """
    try:
        roots = list(handler.root["/AcroForm"]["/Fields"])
    except KeyError:
        return []
    found: list[str] = []
    stack = [(ref, None) for ref in roots]
    seen: set[int] = set()
    while stack and len(seen) < 10_000:
        ref, parent_type = stack.pop()
        node = ref.get_object()
        if id(node) in seen or not isinstance(node, generic.DictionaryObject):
            continue
        seen.add(id(node))
        field_type = node.get("/FT", parent_type)
        stack.extend((kid, field_type) for kid in node.get("/Kids", ()))
        name = str(node.get("/T", ""))
        if "/AP" in node and field_type != "/Sig" and name not in ISSUE_FIELDS:
            found.append(name)
    return found


def has_issue_fields(handler: PdfHandler) -> bool:
    """Tell whether the document carries the number and date fields."""
    return set(ISSUE_FIELDS) <= existing_field_names(handler)


def add_issue_fields(writer: IncrementalPdfFileWriter) -> None:
    """Add the number and date fields to page 1, showing placeholders.

    A template may carry both fields itself, as empty text fields, where the
    number and the date belong; the hub then takes them over instead of
    placing its own top left and top right of page 1 (see ``_adopt``).
    """
    taken = existing_field_names(writer) & set(ISSUE_FIELDS)
    if taken == set(ISSUE_FIELDS) and _adopt(writer):
        return
    if taken:
        raise InputError(
            f"the draft already has the field(s) {', '.join(sorted(taken))}",
            hint="upload the draft as it was before it was numbered, or give "
            "its template both fields as empty, editable text fields with one "
            "widget each on page 1",
        )

    box = page_box(writer, 0)
    page_ref, _ = writer.find_page_for_modification(0)
    placeholders = {
        NUMBER_FIELD: texts.NUMBER_PLACEHOLDER,
        DATE_FIELD: texts.DATE_PLACEHOLDER,
    }
    refs = []
    for name, rect in issue_field_rects(box).items():
        field_ref = writer.add_object(_text_field(name, rect, page_ref))
        _set_appearance(writer, field_ref, placeholders[name], box)
        writer.register_annotation(page_ref, field_ref)
        refs.append(field_ref)
    _register_fields(writer, refs)


def _adopt(writer: IncrementalPdfFileWriter) -> bool:
    """Take over a template's own number and date fields, if they fit.

    Each must be an empty, editable text field that is its own widget (no
    /Kids) on page 1; it becomes read-only and printed, loses any default appearance
    (see ``_text_field``) and shows the placeholder.
    """
    refs = [_find_field(writer, name) for name in ISSUE_FIELDS]
    found = [ref.get_object() for ref in refs]
    page_ref, _ = writer.find_page_for_modification(0)
    on_page = {
        annot.idnum
        for annot in page_ref.get_object().get("/Annots", ())
        if isinstance(annot, generic.IndirectObject)
    }
    if not all(
        ref.idnum in on_page and _adoptable(field)
        for ref, field in zip(refs, found, strict=True)
    ):
        return False

    box = page_box(writer, 0)
    placeholders = (texts.NUMBER_PLACEHOLDER, texts.DATE_PLACEHOLDER)
    for ref, field, placeholder in zip(refs, found, placeholders, strict=True):
        field[pdf_name("/Ff")] = generic.NumberObject(FIELD_READ_ONLY)
        field[pdf_name("/F")] = generic.NumberObject(ANNOT_PRINT)
        for key in ("/DA", "/V", "/MK"):
            field.pop(pdf_name(key), None)
        _set_appearance(writer, ref, placeholder, box)
        writer.mark_update(ref)
    logger.info("the template's own number and date fields are used")
    return True


def _adoptable(field: generic.DictionaryObject) -> bool:
    # The hub's own fields are read-only: a draft it has prepared already
    # is refused, not prepared again.
    value = field.get("/V")
    return (
        field.get("/FT") == "/Tx"
        and not int(field.get("/Ff", 0)) & FIELD_READ_ONLY
        and "/Kids" not in field
        and "/Rect" in field
        and (value is None or not str(value).strip())
    )


def fill_issue_field(writer: IncrementalPdfFileWriter, name: str, value: str) -> None:
    """Give an issue field its value and a new appearance stream."""
    field_ref = _find_field(writer, name)
    field = field_ref.get_object()
    box = page_box(writer, 0)

    field[pdf_name("/V")] = generic.TextStringObject(value)
    _set_appearance(writer, field_ref, value, box)
    writer.mark_update(field_ref)


def _text_field(
    name: str, rect: Rect, page_ref: generic.IndirectObject
) -> generic.DictionaryObject:
    # Field and widget share one dictionary, as most producers do.
    # NOTE: no /DA: the fields are read-only and carry their own appearance,
    # so no reader regenerates them from a default appearance (which would
    # need a font in /DR that PDF/A then requires embedded in full).
    return generic.DictionaryObject(
        {
            pdf_name("/Type"): pdf_name("/Annot"),
            pdf_name("/Subtype"): pdf_name("/Widget"),
            pdf_name("/FT"): pdf_name("/Tx"),
            pdf_name("/T"): generic.TextStringObject(name),
            pdf_name("/Ff"): generic.NumberObject(FIELD_READ_ONLY),
            pdf_name("/F"): generic.NumberObject(ANNOT_PRINT),
            pdf_name("/Rect"): generic.ArrayObject(
                generic.FloatObject(round(v, 2)) for v in rect
            ),
            pdf_name("/P"): page_ref,
        }
    )


def _set_appearance(
    writer: IncrementalPdfFileWriter,
    field_ref: generic.IndirectObject,
    text: str,
    box: PageBox,
) -> None:
    field = field_ref.get_object()
    x1, y1, x2, y2 = (float(v) for v in field["/Rect"])
    content = TextFieldContent(
        writer=writer,
        text_content=text,
        text_style=text_style(box),
        box=layout.BoxConstraints(width=abs(x2 - x1), height=abs(y2 - y1)),
    )
    content.apply_appearance(field)


def _register_fields(
    writer: IncrementalPdfFileWriter, refs: list[generic.IndirectObject]
) -> None:
    root = writer.root
    try:
        form_raw = root.raw_get("/AcroForm")
    except KeyError:
        root[pdf_name("/AcroForm")] = generic.DictionaryObject(
            {pdf_name("/Fields"): generic.ArrayObject(refs)}
        )
        writer.update_root()
        return

    form = form_raw.get_object()
    if isinstance(form_raw, generic.IndirectObject):
        writer.mark_update(form_raw)
    else:
        writer.update_root()
    fields_raw = form.raw_get("/Fields") if "/Fields" in form else None
    if isinstance(fields_raw, generic.IndirectObject):
        writer.mark_update(fields_raw)
        fields_raw.get_object().extend(refs)
    elif fields_raw is None:
        form[pdf_name("/Fields")] = generic.ArrayObject(refs)
    else:
        fields_raw.extend(refs)


def _find_field(handler: PdfHandler, name: str) -> generic.IndirectObject:
    try:
        fields = handler.root["/AcroForm"]["/Fields"]
    except KeyError:
        fields = generic.ArrayObject()
    for ref in fields:
        field = ref.get_object()
        if isinstance(field, generic.DictionaryObject) and field.get("/T") == name:
            assert isinstance(ref, generic.IndirectObject)
            return ref
    raise InputError(
        f"the document has no field {name}",
        hint="number only documents the hub prepared and had signed",
    )
