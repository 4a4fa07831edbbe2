"""Where a visible signature goes and what it shows (Decree 30/2020, App. I).

- The competent person's signature sits at the foot of the last page, at
  the signer's place: the signature image, when one is configured, on its
  left (``IMAGE_SHARE`` of the box), then the full name, position, agency
  and signing time.
- The agency's seal signature shows the seal image at its actual size,
  overlapping the left third of the competent person's image, with the
  agency's name and the signing time in ISO 8601 with +07:00 beside it.
  Without a seal image it sits to the left of the personal signature.
- An attachment in a separate file gets the agency's signature at the top
  right of its first page, without an image.
- A draft that arrived signed has no number fields; its seal shows the
  number and date across the head of page 1.

Every text is drawn with the packaged font (see ``fonts``) and every image
in the colours the document's PDF/A rules allow (see ``pdfa``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from pyhanko.pdf_utils import layout
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.sign import fields as sig_fields
from pyhanko.stamp import TextStampStyle

from edocx.signing import fields
from edocx.signing.fields import PageBox, Rect
from edocx.signing.fonts import DocumentFont
from edocx.signing.images import StampImage, StampImageContent, load_stamp_image
from edocx.signing.pdfa import colour_rules

logger = logging.getLogger(__name__)

# The share of the personal signature's box its signature image may take.
IMAGE_SHARE = 0.4
# The width of the text beside a seal image.
SEAL_TEXT_WIDTH = 150.0
TEXT_MARGIN = 4


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

    @property
    def lines(self) -> int:
        return self.text.count("\n") + 1


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
    box = fields.page_box(writer, appearance.page_ix)
    lines = appearance.lines
    if appearance.at_head:
        return fields.header_rect(box, lines)
    if appearance.top_right:
        return fields.top_right_rect(box, lines)

    image = _image(appearance)
    under = _under_rect(writer, appearance)
    if image is not None and under is not None:
        return _overlapping_rect(box, under, image, lines)
    rect = fields.signature_rect(box, appearance.slot, lines)
    if image is None:
        return rect
    # The signature image keeps its proportions in the left of the box.
    x1, y1, x2, y2 = rect
    height = max(y2 - y1, image.height_pt * _fit(image, (x2 - x1) * IMAGE_SHARE))
    return (x1, y1, x2, y1 + height)


def stamp_style(
    writer: IncrementalPdfFileWriter, appearance: Appearance | None
) -> TextStampStyle | None:
    """Return how pyHanko draws the stamp, or None for an invisible one."""
    if appearance is None:
        return None
    size = fields.page_box(writer, appearance.page_ix).stamp_text_size
    text_style = TextBoxStyle(font=DocumentFont(size), font_size=size)
    # pyHanko fills the template with %-interpolation.
    text = appearance.text.replace("%", "%%")
    image = _image(appearance)
    if image is None:
        return TextStampStyle(
            stamp_text=text, text_box_style=text_style, border_width=1
        )

    seal = _under_rect(writer, appearance) is not None
    rect = stamp_rect(writer, appearance)
    scale = _image_scale(rect, image, seal)
    return TextStampStyle(
        stamp_text=text,
        text_box_style=text_style,
        border_width=0,
        background=StampImageContent(image, colour_rules(writer), scale),
        background_opacity=1.0,
        background_layout=_image_layout(seal),
        inner_content_layout=_text_layout(image.width_pt * scale, seal),
    )


def _image(appearance: Appearance) -> StampImage | None:
    return load_stamp_image(appearance.image) if appearance.image else None


def _fit(image: StampImage, width: float) -> float:
    """Return the scale that fits ``image`` into ``width``, never enlarging."""
    return min(1.0, width / image.width_pt)


def _image_scale(rect: Rect, image: StampImage, seal: bool) -> float:
    # The seal keeps its actual size; a signature image shrinks to its share.
    if seal:
        return 1.0
    return _fit(image, (rect[2] - rect[0]) * IMAGE_SHARE)


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


def _text_layout(image_width: float, seal: bool) -> layout.SimpleBoxLayoutRule:
    # The text keeps clear of the image, on the other side of the box.
    if seal:
        margins = layout.Margins(TEXT_MARGIN, round(image_width) + TEXT_MARGIN)
    else:
        margins = layout.Margins(round(image_width) + TEXT_MARGIN, TEXT_MARGIN)
    return layout.SimpleBoxLayoutRule(
        x_align=layout.AxisAlignment.ALIGN_MIN,
        y_align=layout.AxisAlignment.ALIGN_MID,
        margins=margins,
        inner_content_scaling=layout.InnerScaling.SHRINK_TO_FIT,
    )


def _overlapping_rect(box: PageBox, under: Rect, seal: StampImage, lines: int) -> Rect:
    """Place the seal so that its image covers the left third of ``under``'s.

    The seal's text goes to the left of the image, within the page margin.
    """
    ux1, uy1, ux2, uy2 = under
    right = ux1 + (ux2 - ux1) * IMAGE_SHARE / 3
    margin = max(box.width * 0.05, 10.0)
    left = max(box.left + margin, right - seal.width_pt - SEAL_TEXT_WIDTH)
    text_height = lines * box.stamp_text_size * 1.25 + 12
    height = max(seal.height_pt, text_height)
    bottom = max(box.bottom + 2.0, (uy1 + uy2) / 2 - height / 2)
    return (left, bottom, right, bottom + height)


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
