"""Look at what a visible signature draws: its images, their size and colours.

Text is extracted with pypdf, an extractor that knows nothing of edocx, from
the widget's appearance stream through the font's ToUnicode map.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

from pyhanko.pdf_utils import generic
from pypdf import PdfReader

from edocx.signing.demoimages import draw_seal, draw_signature

# "w 0 0 h 0 0 cm /ImgName Do": how pyHanko draws an image at its size.
_IMAGE_DRAW = re.compile(rb"([\d.]+) 0 0 ([\d.]+) 0 0 cm (/Img[^\s]+) Do")


def write_images(folder: Path, agency: str, signer: str) -> tuple[Path, Path]:
    """Draw a seal and a signature image into ``folder``; return their paths."""
    seal = folder / "seal.png"
    seal.write_bytes(draw_seal(agency))
    signature = folder / "signature.png"
    signature.write_bytes(draw_signature(signer))
    return seal, signature


def images(xobject: generic.StreamObject) -> list[generic.StreamObject]:
    """Return every image XObject an appearance draws, nested forms included."""
    found: list[generic.StreamObject] = []
    resources = xobject.get("/Resources", generic.DictionaryObject())
    for inner_ref in resources.get("/XObject", generic.DictionaryObject()).values():
        inner = inner_ref.get_object()
        if inner.get("/Subtype") == "/Image":
            found.append(inner)
        else:
            found.extend(images(inner))
    return found


def image_sizes(xobject: generic.StreamObject) -> list[tuple[float, float]]:
    """Return the size, in points, at which each image is drawn."""
    sizes = [(float(w), float(h)) for w, h, _ in _IMAGE_DRAW.findall(xobject.data)]
    resources = xobject.get("/Resources", generic.DictionaryObject())
    for inner_ref in resources.get("/XObject", generic.DictionaryObject()).values():
        inner = inner_ref.get_object()
        if inner.get("/Subtype") != "/Image":
            sizes.extend(image_sizes(inner))
    return sizes


def extracted_text(pdf: bytes, field_name: str) -> str:
    """Extract the text a signature's appearance shows, with pypdf."""
    reader = PdfReader(io.BytesIO(pdf))
    for page in reader.pages:
        for annot_ref in page.get("/Annots", []):
            annot = annot_ref.get_object()
            if annot.get("/T") != field_name:
                continue
            appearance = annot["/AP"]["/N"].get_object()
            return page.extract_xform_text(appearance)
    raise AssertionError(f"no widget of {field_name}")


def drawn_sizes(pdf: bytes, field_name: str) -> set[float]:
    """Return the sizes, in points on the page, of a signature's text.

    The size set by Tf, times the text matrix and the current transformation
    matrix (a text shrunk to fit its box is drawn under a scaling ``cm``).
    """
    reader = PdfReader(io.BytesIO(pdf))
    sizes: set[float] = set()

    def visit(
        text: str, cm: list[float], tm: list[float], _: object, size: float
    ) -> None:
        if text.strip():
            sizes.add(round(size * tm[3] * cm[3], 2))

    for page in reader.pages:
        for annot_ref in page.get("/Annots", []):
            annot = annot_ref.get_object()
            if annot.get("/T") == field_name:
                page.extract_xform_text(
                    annot["/AP"]["/N"].get_object(), visitor_text=visit
                )
                return sizes
    raise AssertionError(f"no widget of {field_name}")


def words(*texts: str) -> list[str]:
    """Return the words of ``texts``: lines broken at spaces read the same."""
    return [word for text in texts for word in text.split()]
