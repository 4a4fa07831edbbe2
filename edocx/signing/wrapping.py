"""Stamp text broken into lines that fit a box, at a size one can read.

A long name, position or agency name must stay legible in a visible
signature: rather than shrink the whole text to the box, the hub breaks
each line at spaces (inside a word only when the word alone is too wide)
and lets the box grow taller. Only when even ``MIN_SIZE`` would not fit
the height allowed does the size step down, never below ``MIN_SIZE``.

Widths come from the packaged font's advance widths, the ones the stamp is
drawn with (see ``fonts``), so a line measured to fit is drawn to fit.
"""

from __future__ import annotations

import io
import logging
import threading
from dataclasses import dataclass

from fontTools.ttLib import TTFont  # type: ignore[import-untyped]

from edocx.signing.fonts import UNITS_PER_EM, font_bytes

logger = logging.getLogger(__name__)

# The smallest size stamp text is drawn at, in points. pyHanko writes
# sizes and leading as whole points.
MIN_SIZE = 7
# Line spacing as a share of the size: room for Vietnamese marks above
# capitals and below letters.
LEADING = 1.25
# Kerning and shaping may differ a little from the sum of the advances.
WIDTH_SLACK = 0.98

_lock = threading.Lock()
_advances: dict[int, int] | None = None


@dataclass(frozen=True)
class FittedText:
    """Text broken into lines, the size to draw it at and its height."""

    lines: tuple[str, ...]
    size: int

    @property
    def leading(self) -> int:
        return round(self.size * LEADING)

    @property
    def height(self) -> float:
        return len(self.lines) * self.leading

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    @property
    def width(self) -> float:
        return max(text_width(line, self.size) for line in self.lines)


def fit_text(text: str, width: float, size: int, max_height: float) -> FittedText:
    """Break ``text`` to ``width`` at ``size``, smaller only to keep ``max_height``.

    The size never goes below ``MIN_SIZE``; at that size the text may be
    taller than ``max_height``, and the caller decides what to do.
    """
    current = max(size, MIN_SIZE)
    while True:
        fitted = FittedText(wrap(text, width, current), current)
        if fitted.height <= max_height or current <= MIN_SIZE:
            return fitted
        current -= 1


def wrap(text: str, width: float, size: float) -> tuple[str, ...]:
    """Break every line of ``text`` so that none is wider than ``width``."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        lines.extend(_wrap_line(paragraph, width * WIDTH_SLACK, size))
    return tuple(lines)


def text_width(text: str, size: float) -> float:
    """Return the width of ``text`` drawn at ``size`` in the packaged font."""
    advances = _font_advances()
    units = sum(advances.get(ord(c), UNITS_PER_EM // 2) for c in text)
    return units * size / UNITS_PER_EM


def _wrap_line(line: str, width: float, size: float) -> list[str]:
    out: list[str] = []
    current = ""
    for word in line.split(" "):
        candidate = f"{current} {word}" if current else word
        if not current or text_width(candidate, size) <= width:
            current = candidate
            continue
        out.append(current)
        current = word
    out.append(current)
    return [piece for part in out for piece in _break_word(part, width, size)]


def _break_word(line: str, width: float, size: float) -> list[str]:
    # A single word wider than the box is cut between letters.
    pieces: list[str] = []
    while text_width(line, size) > width and len(line) > 1:
        cut = len(line) - 1
        while cut > 1 and text_width(line[:cut], size) > width:
            cut -= 1
        pieces.append(line[:cut])
        line = line[cut:]
    pieces.append(line)
    return pieces


def _font_advances() -> dict[int, int]:
    """Return the advance width of each character, read once per process."""
    global _advances
    with _lock:
        if _advances is None:
            font = TTFont(io.BytesIO(font_bytes()))
            metrics = font["hmtx"]
            _advances = {
                cp: metrics[glyph][0] for cp, glyph in font.getBestCmap().items()
            }
        return _advances
