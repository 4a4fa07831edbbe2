"""Where a visible signature goes and what it shows (Decree 30/2020, App. I).

- The competent person's signature sits at the foot of the last page, at
  the signer's place: the signature image, when one is configured, on its
  left (``IMAGE_SHARE`` of the box), then the competence line when there is
  one, the full name, position, agency and signing time.
- The agency's seal signature shows the seal image at its actual size,
  overlapping the left third of the competent person's image, with the
  agency's name and the signing time in ISO 8601 with +07:00 beside it.
  Without a seal image it sits to the left of the personal signature.
- An attachment in a separate file gets the agency's signature at the top
  right of its first page, without an image.
- A draft that arrived signed has no number fields; its seal shows the
  number and date at the head of page 1, with the seal image at its right
  when the page has room for it under a verifier's limit on later
  signature boxes (``HEAD_IMAGE_MAX_SHARE``).

Long lines wrap to the box, which grows taller, at a size never below
``wrapping.MIN_SIZE``. Every text is drawn with the packaged font (see
``fonts``) and every image in the colours the document's PDF/A rules allow
(see ``pdfa``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from pyhanko.pdf_utils import generic, layout
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.sign import fields as sig_fields
from pyhanko.stamp import TextStampStyle

from edocx.signing import fields
from edocx.signing.fields import PageBox, Rect
from edocx.signing.fonts import DocumentFont
from edocx.signing.images import StampImage, StampImageContent, load_stamp_image
from edocx.signing.pdfa import colour_rules
from edocx.signing.wrapping import WIDTH_SLACK, FittedText, fit_text

logger = logging.getLogger(__name__)

# The share of the personal signature's box its signature image may take.
IMAGE_SHARE = 0.4
# The width of the text beside a seal image.
SEAL_TEXT_WIDTH = 150.0
TEXT_MARGIN = 4
# Room above and below the text of a stamp.
TEXT_PADDING = 6
# A stamp grows taller for long texts up to this share of the page height
# before its text is set smaller (never below ``wrapping.MIN_SIZE``).
MAX_HEIGHT_SHARE = 0.25
# The width of the text of a seal at the head of page 1, beside its image.
HEAD_TEXT_WIDTH = 240.0
# A seal at the head of page 1 shows its image only while its box and the
# signature boxes already on the page cover at most this share of it: a
# verifier flags later signatures that cover more than 15 % of a page
# together (``edocx.verification.widgetbox``).
HEAD_IMAGE_MAX_SHARE = 0.13


@dataclass(frozen=True)
class Appearance:
    """A visible signature's text, image and place.

    By default it sits at the foot of the last page in ``slot`` (counted from
    the right); ``at_head`` puts it across the head of page 1 and
    ``top_right`` at the top right of page 1 instead. ``image`` is a PNG
    drawn in the stamp; ``over`` names the signature field whose image the
    stamp's image overlaps by a third (the seal over the personal
    signature), which, without ``image``, leaves the stamp in its slot.
    ``open_fields``, when set, locks every form field but these once the
    signature is made (a FieldMDP /Exclude lock, ISO 32000-2, 12.8.2.4).
    """

    text: str
    slot: int = 0
    at_head: bool = False
    top_right: bool = False
    image: Path | None = None
    over: str | None = None
    open_fields: tuple[str, ...] | None = None

    @property
    def page_ix(self) -> int:
        return 0 if self.at_head or self.top_right else -1


def field_spec(
    writer: IncrementalPdfFileWriter, name: str, appearance: Appearance | None
) -> sig_fields.SigFieldSpec:
    """Return the new signature field's place and lock."""
    if appearance is None:
        return sig_fields.SigFieldSpec(sig_field_name=name)
    rect = stamp_rect(writer, appearance)
    lock = None
    if appearance.open_fields is not None:
        lock = sig_fields.FieldMDPSpec(
            sig_fields.FieldMDPAction.EXCLUDE, fields=list(appearance.open_fields)
        )
    return sig_fields.SigFieldSpec(
        sig_field_name=name,
        on_page=appearance.page_ix,
        box=tuple(round(v) for v in rect),  # type: ignore[arg-type]
        field_mdp_spec=lock,
    )


def stamp_rect(writer: IncrementalPdfFileWriter, appearance: Appearance) -> Rect:
    """Return the rectangle of a visible signature on its page."""
    return _plan(writer, appearance).rect


def stamp_style(
    writer: IncrementalPdfFileWriter, appearance: Appearance | None
) -> TextStampStyle | None:
    """Return how pyHanko draws the stamp, or None for an invisible one."""
    if appearance is None:
        return None
    plan = _plan(writer, appearance)
    text_style = TextBoxStyle(
        font=DocumentFont(plan.text.size),
        font_size=plan.text.size,
        leading=plan.text.leading,
        box_layout_rule=_NO_MARGINS,
    )
    # pyHanko fills the template with %-interpolation.
    text = plan.text.text.replace("%", "%%")
    if plan.image is None:
        return TextStampStyle(
            stamp_text=text,
            text_box_style=text_style,
            border_width=1,
            inner_content_layout=_text_layout(0.0, seal=False),
        )

    return TextStampStyle(
        stamp_text=text,
        text_box_style=text_style,
        border_width=0,
        background=StampImageContent(plan.image, colour_rules(writer), plan.scale),
        background_opacity=1.0,
        background_layout=_image_layout(plan.seal),
        inner_content_layout=_text_layout(plan.image_width, plan.seal, plan.top),
    )


_NO_MARGINS = layout.SimpleBoxLayoutRule(
    x_align=layout.AxisAlignment.ALIGN_MIN,
    y_align=layout.AxisAlignment.ALIGN_MAX,
    margins=layout.Margins.uniform(0),
)


@dataclass(frozen=True)
class _Plan:
    """A stamp's box, its text as drawn and its image.

    ``seal`` puts the image, at ``scale`` of its actual size, at the right
    of the box (a seal) rather than at the left (a signature image).
    """

    rect: Rect
    text: FittedText
    image: StampImage | None = None
    scale: float = 1.0
    seal: bool = False
    # The text starts at the top of the box rather than in its middle.
    top: bool = False

    @property
    def image_width(self) -> float:
        return self.image.width_pt * self.scale if self.image else 0.0


def _plan(writer: IncrementalPdfFileWriter, appearance: Appearance) -> _Plan:
    """Lay out a stamp: where it goes, how its text breaks, what image."""
    box = fields.page_box(writer, appearance.page_ix)
    image = _image(appearance)
    if appearance.at_head:
        taken = _signature_area(writer, appearance.page_ix)
        return _head_plan(box, appearance.text, image, taken)
    if appearance.top_right:
        rect = fields.top_right_rect(box, 1)
        return _text_plan(box, rect, appearance.text, grow_down=True)

    under = _under_rect(writer, appearance)
    if image is not None and under is not None:
        return _overlapping_plan(box, under, image, appearance.text)
    rect = fields.signature_rect(box, appearance.slot, 1)
    if image is None:
        return _text_plan(box, rect, appearance.text, grow_down=False)
    return _signature_plan(box, rect, image, appearance.text)


def _fit(box: PageBox, text: str, width: float) -> FittedText:
    return fit_text(
        text,
        width - 2 * TEXT_MARGIN,
        box.stamp_text_size,
        box.height * MAX_HEIGHT_SHARE - 2 * TEXT_PADDING,
    )


def _text_plan(box: PageBox, rect: Rect, text: str, *, grow_down: bool) -> _Plan:
    """A stamp of text only, in a box as wide as ``rect``, as tall as needed."""
    x1, y1, x2, y2 = rect
    fitted = _fit(box, text, x2 - x1)
    height = fitted.height + 2 * TEXT_PADDING
    if grow_down:
        return _Plan(_within(box, (x1, y2 - height, x2, y2)), fitted)
    return _Plan(_within(box, (x1, y1, x2, y1 + height)), fitted)


def _signature_plan(box: PageBox, rect: Rect, image: StampImage, text: str) -> _Plan:
    """The personal signature: its image at the left, keeping its proportions."""
    x1, y1, x2, _ = rect
    scale = _fit_scale(image, (x2 - x1) * IMAGE_SHARE)
    image_width = image.width_pt * scale
    fitted = _fit(box, text, x2 - x1 - image_width - TEXT_MARGIN)
    height = max(fitted.height + 2 * TEXT_PADDING, image.height_pt * scale)
    return _Plan(_within(box, (x1, y1, x2, y1 + height)), fitted, image, scale)


def _overlapping_plan(box: PageBox, under: Rect, seal: StampImage, text: str) -> _Plan:
    """Place the seal so that its image covers the left third of ``under``'s.

    The seal's text goes to the left of the image, within the page margin.
    """
    ux1, uy1, ux2, uy2 = under
    right = ux1 + (ux2 - ux1) * IMAGE_SHARE / 3
    margin = max(box.width * 0.05, 10.0)
    left = max(box.left + margin, right - seal.width_pt - SEAL_TEXT_WIDTH)
    fitted = _fit(box, text, right - left - seal.width_pt)
    height = max(seal.height_pt, fitted.height + 2 * TEXT_PADDING)
    bottom = max(box.bottom + 2.0, (uy1 + uy2) / 2 - height / 2)
    rect = _within(box, (left, bottom, right, bottom + height))
    return _Plan(rect, fitted, seal, seal=True)


def _head_plan(box: PageBox, text: str, seal: StampImage | None, taken: float) -> _Plan:
    """The seal of a draft that arrived signed, at the head of page 1.

    With a seal image the box holds the text at the left and the seal at its
    actual size at the right; when that box and the ``taken`` area of the
    signatures already on the page would cover too much of it, the seal is
    drawn without its image, across the head.
    """
    x1, _, x2, y2 = fields.header_rect(box, 1)
    if seal is None:
        return _text_plan(box, (x1, y2, x2, y2), text, grow_down=True)

    room = min(HEAD_TEXT_WIDTH, x2 - x1 - seal.width_pt - TEXT_MARGIN)
    fitted = _fit(box, text, room)
    width = fitted.width / WIDTH_SLACK + seal.width_pt + 3 * TEXT_MARGIN
    height = max(seal.height_pt, fitted.height + 2 * TEXT_PADDING)
    rect = _within(box, (x1, y2 - height, min(x2, x1 + width), y2))
    if _area(rect) + taken > HEAD_IMAGE_MAX_SHARE * box.width * box.height:
        logger.info("no room for the seal image at the head of page 1")
        return _text_plan(box, (x1, y2, x2, y2), text, grow_down=True)
    return _Plan(rect, fitted, seal, seal=True, top=True)


def _signature_area(writer: IncrementalPdfFileWriter, page_ix: int) -> float:
    """Return the area of a page's signature boxes a verifier adds up.

    A verifier adds up the boxes of the signatures made after the first
    one; the first signature's own box, and empty fields, do not count.
    """
    page_ref, _ = writer.find_page_for_modification(page_ix)
    signed: list[tuple[int, float]] = []
    for annot_ref in page_ref.get_object().get("/Annots", ()):
        annot = annot_ref.get_object()
        field = annot if "/V" in annot else annot.get("/Parent")
        value = field.get_object().get("/V") if field is not None else None
        value = value.get_object() if value is not None else None
        if not isinstance(value, generic.DictionaryObject) or "/Rect" not in annot:
            continue
        if "/ByteRange" not in value:
            continue
        x1, y1, x2, y2 = (float(v) for v in annot["/Rect"])
        signed.append((int(value["/ByteRange"][1]), abs(x2 - x1) * abs(y2 - y1)))
    return sum(area for _, area in sorted(signed)[1:])


def _within(box: PageBox, rect: Rect) -> Rect:
    """Move ``rect`` back onto the page, cutting it to the page if taller."""
    x1, y1, x2, y2 = rect
    if y2 > box.top:
        y1, y2 = y1 - (y2 - box.top), box.top
    if y1 < box.bottom:
        y1, y2 = box.bottom, min(box.top, y2 + (box.bottom - y1))
    return (x1, y1, x2, y2)


def _area(rect: Rect) -> float:
    return (rect[2] - rect[0]) * (rect[3] - rect[1])


def _image(appearance: Appearance) -> StampImage | None:
    return load_stamp_image(appearance.image) if appearance.image else None


def _fit_scale(image: StampImage, width: float) -> float:
    """Return the scale that fits ``image`` into ``width``, never enlarging."""
    return min(1.0, width / image.width_pt)


def _image_layout(seal: bool) -> layout.SimpleBoxLayoutRule:
    # The seal stands at the right of its box, the signature image at the
    # left of its own; each is drawn at the size chosen for it.
    return layout.SimpleBoxLayoutRule(
        x_align=layout.AxisAlignment.ALIGN_MAX
        if seal
        else layout.AxisAlignment.ALIGN_MIN,
        y_align=layout.AxisAlignment.ALIGN_MID,
        margins=layout.Margins.uniform(0),
        inner_content_scaling=layout.InnerScaling.NO_SCALING,
    )


def _text_layout(
    image_width: float, seal: bool, top: bool = False
) -> layout.SimpleBoxLayoutRule:
    # The text keeps clear of the image, on the other side of the box. It
    # was broken to fit (see ``wrapping``); shrinking is the last resort of
    # a text taller than the page allows.
    # No vertical margins: a named existing field may be lower than the
    # padding the hub's own boxes get.
    if seal:
        margins = layout.Margins(TEXT_MARGIN, round(image_width) + TEXT_MARGIN)
    else:
        margins = layout.Margins(round(image_width) + TEXT_MARGIN, TEXT_MARGIN)
    return layout.SimpleBoxLayoutRule(
        x_align=layout.AxisAlignment.ALIGN_MIN,
        y_align=layout.AxisAlignment.ALIGN_MAX
        if top
        else layout.AxisAlignment.ALIGN_MID,
        margins=margins,
        inner_content_scaling=layout.InnerScaling.SHRINK_TO_FIT,
    )


def _under_rect(
    writer: IncrementalPdfFileWriter, appearance: Appearance
) -> Rect | None:
    """Return the box of the signature an image stamp overlaps, if any.

    The field must be on the stamp's page with a widget of its own.
    """
    if appearance.image is None or appearance.over is None:
        return None
    field = fields.find_field(writer, appearance.over)
    page_ref, _ = writer.find_page_for_modification(appearance.page_ix)
    page = field.raw_get("/P") if field is not None and "/P" in field else page_ref
    if field is None or "/Rect" not in field or page != page_ref:
        logger.info("no field %s to overlap; own slot taken", appearance.over)
        return None
    x1, y1, x2, y2 = (float(v) for v in field["/Rect"])
    return (min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2))
