"""Signature and seal images in visible signatures (Decree 30/2020, App. I).

The competent person's signature image and the agency's seal image are PNG
files with a transparent background; the seal is red and drawn at its
actual size, which the PNG's resolution (pHYs) gives. Each image is written
into the document in the colours its PDF/A rules allow (see ``pdfa``): on
PDF/A-1 the transparent background is flattened onto white.
"""

from __future__ import annotations

import io
import logging
import struct
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageCms
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.images import PdfImage
from pyhanko.pdf_utils.layout import BoxConstraints
from pyhanko.pdf_utils.writer import BasePdfFileWriter

from edocx.errors import ConfigurationError
from edocx.signing.pdfa import ColourRules, ImageColour

logger = logging.getLogger(__name__)

POINTS_PER_INCH = 72.0
# Pillow's and the browsers' assumption for an image that states none.
DEFAULT_DPI = 96.0
MAX_PIXELS = 4096 * 4096
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
TOO_LARGE_HINT = (
    "use a PNG of at most 4096 x 4096 pixels: a stamp at its actual size needs "
    "a few hundred pixels per inch"
)


@dataclass(frozen=True)
class StampImage:
    """A PNG read for a stamp, with its actual size in points."""

    image: Image.Image
    width_pt: float
    height_pt: float


@lru_cache(maxsize=64)
def _load_cached(path: Path, mtime_ns: int) -> StampImage:
    try:
        # The size from the header, before Pillow opens the file: Pillow warns
        # of, or refuses, a decompression bomb in words of its own.
        _refuse_too_large(path, _png_size(path))
        with Image.open(path) as opened:
            if opened.format != "PNG":
                raise ConfigurationError(f"the stamp image {path} is not a PNG")
            dpi = opened.info.get("dpi", (DEFAULT_DPI, DEFAULT_DPI))
            image = opened.convert("RGBA")
    except OSError as e:
        raise ConfigurationError(f"the stamp image {path} cannot be read") from e

    x_dpi, y_dpi = (float(v) or DEFAULT_DPI for v in dpi)
    return StampImage(
        image=image,
        width_pt=image.width * POINTS_PER_INCH / x_dpi,
        height_pt=image.height * POINTS_PER_INCH / y_dpi,
    )


def _png_size(path: Path) -> tuple[int, int]:
    """Return the width and height the PNG's header (IHDR) states."""
    with path.open("rb") as f:
        head = f.read(24)
    if len(head) < 24 or not head.startswith(PNG_SIGNATURE) or head[12:16] != b"IHDR":
        raise ConfigurationError(f"the stamp image {path} is not a PNG")
    width, height = struct.unpack(">II", head[16:24])
    return width, height


def _refuse_too_large(path: Path, size: tuple[int, int]) -> None:
    width, height = size
    if width * height > MAX_PIXELS:
        raise ConfigurationError(
            f"the stamp image {path} is too large: {width} x {height} pixels",
            hint=TOO_LARGE_HINT,
        )


def load_stamp_image(path: Path) -> StampImage:
    """Read a PNG for a stamp, once per process and version of the file."""
    try:
        mtime = path.stat().st_mtime_ns
    except OSError as e:
        raise ConfigurationError(f"the stamp image {path} does not exist") from e
    return _load_cached(path, mtime)


def adapt(image: Image.Image, rules: ColourRules) -> Image.Image:
    """Return ``image`` in the colours and transparency ``rules`` allow."""
    if not rules.transparency_allowed:
        white = Image.new("RGBA", image.size, (255, 255, 255, 255))
        image = Image.alpha_composite(white, image.convert("RGBA")).convert("RGB")
    if rules.image_colour is ImageColour.GRAY:
        image = image.convert("LA" if "A" in image.mode else "L")
    return image


class StampImageContent(PdfImage):
    """An image XObject drawn at a given size, in the document's colours."""

    def __init__(
        self, stamp: StampImage, rules: ColourRules, scale: float = 1.0
    ) -> None:
        super().__init__(
            adapt(stamp.image, rules),
            box=BoxConstraints(stamp.width_pt * scale, stamp.height_pt * scale),
        )
        self.rules = rules
        self._written: generic.IndirectObject | None = None

    @property
    def image_ref(self) -> generic.IndirectObject:
        assert self.writer is not None
        written = self._written
        if written is None or written.get_pdf_handler() is not self.writer:
            written = self._written = _write_image(self.image, self.writer, self.rules)
        return written


def _write_image(
    image: Image.Image, writer: BasePdfFileWriter, rules: ColourRules
) -> generic.IndirectObject:
    """Write an L/LA/RGB/RGBA image as an image XObject with its soft mask."""
    smask = None
    if image.mode in ("LA", "RGBA"):
        alpha = image.getchannel("A")
        smask = _stream(alpha, pdf_name("/DeviceGray"), writer)
        image = image.convert(image.mode[:-1])

    colour_space: generic.PdfObject = pdf_name(
        "/DeviceGray" if image.mode == "L" else "/DeviceRGB"
    )
    if image.mode == "RGB" and rules.image_colour is ImageColour.ICC_RGB:
        colour_space = _srgb_space(writer)
    return _stream(image, colour_space, writer, smask)


def _stream(
    image: Image.Image,
    colour_space: generic.PdfObject,
    writer: BasePdfFileWriter,
    smask: generic.IndirectObject | None = None,
) -> generic.IndirectObject:
    entries: dict[generic.NameObject, generic.PdfObject] = {
        pdf_name("/Type"): pdf_name("/XObject"),
        pdf_name("/Subtype"): pdf_name("/Image"),
        pdf_name("/Width"): generic.NumberObject(image.width),
        pdf_name("/Height"): generic.NumberObject(image.height),
        pdf_name("/ColorSpace"): colour_space,
        pdf_name("/BitsPerComponent"): generic.NumberObject(8),
    }
    if smask is not None:
        entries[pdf_name("/SMask")] = smask
    stream = generic.StreamObject(
        generic.DictionaryObject(entries), stream_data=image.tobytes()
    )
    stream.compress()
    return writer.add_object(stream)


def _srgb_space(writer: BasePdfFileWriter) -> generic.ArrayObject:
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    stream = generic.StreamObject(
        generic.DictionaryObject({pdf_name("/N"): generic.NumberObject(3)}),
        stream_data=profile,
    )
    stream.compress()
    return generic.ArrayObject([pdf_name("/ICCBased"), writer.add_object(stream)])


def png_bytes(image: Image.Image, dpi: float) -> bytes:
    """Encode ``image`` as a PNG that states its resolution."""
    out = io.BytesIO()
    image.save(out, format="PNG", dpi=(dpi, dpi))
    return out.getvalue()


def seal_image_path(folder: Path, organ_id: str) -> Path | None:
    """Return the agency's seal image in ``folder``, if one is configured."""
    return _existing(folder, f"seal-{organ_id}.png")


def signature_image_path(folder: Path, credential_label: str | None) -> Path | None:
    """Return a person's signature image in ``folder``, if one is configured.

    A person's image is named after their credential's label, which is
    theirs alone.
    """
    if not credential_label:
        return None
    return _existing(folder, f"signature-{credential_label}.png")


def _existing(folder: Path, name: str) -> Path | None:
    # A name with a path separator would leave the folder.
    if "/" in name or "\\" in name or name.startswith("."):
        return None
    path = folder / name
    return path if path.is_file() else None
