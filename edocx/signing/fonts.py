"""The font of every text the hub draws on a document.

DejaVu Serif covers the Vietnamese alphabet, Latin Extended Additional
included. It ships inside the package (``data/``, with its licence), so
signing needs no font installed on the machine. pyHanko embeds a subset of
it in each appearance stream.

NOTE: pyHanko 0.38 writes glyph widths in the font's own design units into
the PDF, which expects thousandths of an em (ISO 32000-2, 9.7.4.3). That is
right for fonts drawn on 1000 units per em and spreads the letters of any
other font apart. DejaVu is drawn on 2048, so the hub rescales it to 1000
once per process, after cutting it down to the scripts it needs.

The rescaled font carries no TrueType hinting: ``scale_upem`` moves the
outlines but leaves the glyph programs, the control values and the font
program written for 2048 units, and a renderer that runs them (pdfium,
FreeType in Pillow) distorts the glyphs: the colon collapsed into a
dotless i and strokes thickened. Text extraction never showed it, since
the cmap and the glyph ids were right. Unhinted outlines are what the
other PDF viewers draw anyway.
"""

from __future__ import annotations

import io
import logging
import threading
from importlib import resources
from pathlib import Path

from fontTools import subset  # type: ignore[import-untyped]
from fontTools.ttLib import TTFont  # type: ignore[import-untyped]
from fontTools.ttLib.scaleUpem import scale_upem  # type: ignore[import-untyped]
from pyhanko.pdf_utils.font.api import FontEngineFactory
from pyhanko.pdf_utils.font.opentype import GlyphAccumulator
from pyhanko.pdf_utils.writer import BasePdfFileWriter

from edocx.errors import ConfigurationError

logger = logging.getLogger(__name__)

# fontTools warns on every subset about a FontForge timestamp table it drops.
logging.getLogger("fontTools.subset").setLevel(logging.ERROR)

# TODO(#2): make the font a setting once agencies ask for Times New Roman.
FONT_FILE = "DejaVuSerif.ttf"
LICENCE_FILE = "DejaVuSerif-LICENSE.txt"

# Latin, Vietnamese and the punctuation official documents use.
UNICODE_RANGES: tuple[tuple[int, int], ...] = (
    (0x0020, 0x007E),
    (0x00A0, 0x024F),
    (0x0300, 0x036F),
    (0x1E00, 0x1EFF),
    (0x2000, 0x206F),
    (0x20AB, 0x20AB),
)

UNITS_PER_EM = 1000

_lock = threading.Lock()
_font_bytes: bytes | None = None


class DocumentFont(FontEngineFactory):
    """Make pyHanko font engines for the hub's font at a given size."""

    def __init__(self, font_size: float) -> None:
        self.font_size = font_size

    def create_font_engine(
        self, writer: BasePdfFileWriter, obj_stream: object = None
    ) -> GlyphAccumulator:
        # NOTE: no object stream, so that the font objects are plain
        # objects of the revision that the difference analysis can follow.
        return GlyphAccumulator(
            writer=writer,
            font_handle=io.BytesIO(font_bytes()),
            font_size=self.font_size,
            obj_stream=None,
        )


def font_path() -> Path:
    """Return the font file the hub draws with, shipped in the package."""
    path = Path(str(resources.files("edocx.signing") / "data" / FONT_FILE))
    if not path.is_file():
        raise ConfigurationError(
            f"the packaged font {FONT_FILE} is missing",
            hint="reinstall edocx; its package data is incomplete",
        )
    return path


def font_bytes() -> bytes:
    """Return the prepared font program, building it once per process."""
    global _font_bytes
    with _lock:
        if _font_bytes is None:
            _font_bytes = _prepare(font_path())
        return _font_bytes


def _prepare(path: Path) -> bytes:
    font = TTFont(str(path))
    options = subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.notdef_outline = True
    # The hinting would not survive the rescaling below (see the module).
    options.hinting = False
    subsetter = subset.Subsetter(options)
    subsetter.populate(
        unicodes=[cp for first, last in UNICODE_RANGES for cp in range(first, last + 1)]
    )
    subsetter.subset(font)

    if font["head"].unitsPerEm != UNITS_PER_EM:
        scale_upem(font, UNITS_PER_EM)
    out = io.BytesIO()
    font.save(out)
    logger.info("font %s prepared (%d bytes)", path.name, out.tell())
    return out.getvalue()
