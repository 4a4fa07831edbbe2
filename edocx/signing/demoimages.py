"""Draw stand-in seal and signature images for the demo and the tests.

A real agency scans its seal and each competent person their signature; the
demo hub has neither, so it draws them: a red round seal of the usual 36 mm
with the agency's name, and a blue scribble for a signature, both PNG files
with a transparent background that state their resolution (their actual
size, see ``images``). They are drawn from the names alone, so the same
name always gives the same image.
"""

from __future__ import annotations

import hashlib
import math

from PIL import Image, ImageDraw, ImageFont

from edocx.signing.fonts import font_path
from edocx.signing.images import png_bytes

DPI = 300.0
SEAL_MM = 36.0
SEAL_RED = (200, 16, 32, 255)
INK_BLUE = (20, 40, 160, 255)
MM_PER_INCH = 25.4


def draw_seal(agency_name: str) -> bytes:
    """Return a red round seal image for ``agency_name`` as PNG bytes."""
    side = round(SEAL_MM / MM_PER_INCH * DPI)
    image = Image.new("RGBA", (side, side), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    centre = side / 2

    # Two rings and a star, the common shape of an agency's seal.
    for inset, width in ((4, 14), (40, 5)):
        box = (inset, inset, side - inset, side - inset)
        draw.ellipse(box, outline=SEAL_RED, width=width)
    draw.polygon(_star(centre, side * 0.42, side * 0.08), fill=SEAL_RED)

    # The name across the middle, in as many lines as it needs.
    font = ImageFont.truetype(str(font_path()), size=round(side * 0.065))
    lines = _wrap(agency_name.upper(), 18)
    top = centre + side * 0.02
    for i, line in enumerate(lines):
        draw.text(
            (centre, top + i * side * 0.08), line, font=font, fill=SEAL_RED, anchor="mt"
        )
    return png_bytes(image, DPI)


def draw_signature(signer_name: str) -> bytes:
    """Return a blue signature scribble for ``signer_name`` as PNG bytes."""
    width, height = 600, 240
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    seed = hashlib.sha256(signer_name.encode()).digest()

    points = []
    for i in range(48):
        x = 40 + i * (width - 80) / 47
        phase = seed[i % len(seed)] / 255 * math.pi
        y = height / 2 + math.sin(i * 0.7 + phase) * height * 0.3
        points.append((x, y))
    draw.line(points, fill=INK_BLUE, width=7, joint="curve")
    draw.line([(60, height * 0.8), (width - 60, height * 0.72)], fill=INK_BLUE, width=5)
    return png_bytes(image, DPI)


def _star(centre: float, y: float, radius: float) -> list[tuple[float, float]]:
    points = []
    for i in range(10):
        r = radius if i % 2 == 0 else radius * 0.4
        angle = -math.pi / 2 + i * math.pi / 5
        points.append((centre + r * math.cos(angle), y + r * math.sin(angle)))
    return points


def _wrap(text: str, width: int) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines
