"""What a PDF/A document allows the stamps the hub draws on it.

A PDF/A file must stay PDF/A after signing (ISO 19005). Two of its rules
touch the visible signatures: PDF/A-1 forbids transparency (ISO 19005-1,
6.4), so an image's alpha channel (a soft mask) must go; and device colours
must fit the output intent (ISO 19005-1, 6.2.3; ISO 19005-2, 6.2.4): a grey
output intent takes grey, an RGB one RGB, and without a fitting intent only
device-independent (ICC-based) colour is allowed. Text is drawn in the
initial colour, black, which every PDF/A part accepts.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from enum import Enum

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.rw_common import PdfHandler

logger = logging.getLogger(__name__)

# pdfaid:part appears as an attribute (pdfaid:part="2") or an element
# (<pdfaid:part>2</pdfaid:part>) in the XMP packet.
_PART = re.compile(rb"pdfaid:part\s*(?:=\s*[\"']|>)\s*(\d)")


class ImageColour(Enum):
    """How an image may be written into the document."""

    RGB = "rgb"
    GRAY = "gray"
    ICC_RGB = "icc-rgb"


@dataclass(frozen=True)
class ColourRules:
    """The PDF/A part of a document and the colours its output intent takes.

    ``part`` is None for a document that does not claim PDF/A;
    ``intent_components`` is the number of colour components of its PDF/A
    output intent (1 grey, 3 RGB, 4 CMYK), None without one.
    """

    part: int | None
    intent_components: int | None

    @property
    def transparency_allowed(self) -> bool:
        return self.part != 1

    @property
    def image_colour(self) -> ImageColour:
        if self.part is None or self.intent_components == 3:
            return ImageColour.RGB
        if self.intent_components == 1:
            return ImageColour.GRAY
        return ImageColour.ICC_RGB


def colour_rules(handler: PdfHandler) -> ColourRules:
    """Read the PDF/A claim and the output intent of a document."""
    return ColourRules(part=_pdfa_part(handler), intent_components=_intent(handler))


def _pdfa_part(handler: PdfHandler) -> int | None:
    try:
        metadata = handler.root["/Metadata"]
        data = metadata.data if isinstance(metadata, generic.StreamObject) else b""
    except (KeyError, TypeError, ValueError):
        return None
    match = _PART.search(data)
    return int(match.group(1)) if match else None


def _intent(handler: PdfHandler) -> int | None:
    try:
        intents = handler.root["/OutputIntents"]
    except KeyError:
        return None
    for intent_ref in intents:
        intent = intent_ref.get_object()
        # The PDF/A output intent; a file may carry others (PDF/X) too.
        if intent.get("/S") != "/GTS_PDFA1" or "/DestOutputProfile" not in intent:
            continue
        profile = intent["/DestOutputProfile"]
        components = profile.get("/N")
        return int(components) if components is not None else None
    return None
