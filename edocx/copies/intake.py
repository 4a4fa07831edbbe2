"""The scan of a paper original, as the hub certifies it.

The certifier uploads the scan as one PDF, or as JPEG or PNG pages that
become one PDF, one page per image at the resolution the image states
(200 dpi when it states none; Circular 02/2019 practice asks at least 200).
Either way the hub writes the scan anew as a single-revision PDF: that file
is the certified file's first revision, whose SHA-256 the QR code carries,
and a fresh file holds no earlier revisions, no signatures, no scripts
that a reader would run and no encryption.

Runs in a worker process: it parses files from outside.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.writer import BasePdfFileWriter, copy_into_new_writer

from edocx.copies.errors import ScanUnusableError
from edocx.errors import EdocxError
from edocx.signing.reading import PARSER_FAILURES, open_pdf, page_count
from edocx.store.blobs import sha256_hex

logger = logging.getLogger(__name__)

DEFAULT_DPI = 200.0
# Larger images are refused before they are decoded (decompression bombs).
MAX_PIXELS = 60_000_000
PDF_MAGIC = b"%PDF-"
IMAGE_MAGICS = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")
# Entries of the catalog that would act on the reader or carry content the
# certifier did not see on paper.
_DROPPED = ("/OpenAction", "/AA", "/Names", "/AcroForm", "/Perms", "/DSS")


@dataclass(frozen=True)
class Scan:
    """The scan as the certified file's first revision."""

    pdf: bytes
    page_count: int

    @property
    def sha256(self) -> str:
        return sha256_hex(self.pdf)

    def __repr__(self) -> str:
        # Never print document bytes in logs or tracebacks.
        return f"Scan(<{len(self.pdf)} bytes>, page_count={self.page_count})"


def scan_from_uploads(files: tuple[bytes, ...], max_pages: int) -> Scan:
    """Return the scan made of ``files``: one PDF, or image pages in order."""
    if not files:
        raise ScanUnusableError("no scan was uploaded")
    if files[0].startswith(PDF_MAGIC):
        if len(files) > 1:
            raise ScanUnusableError(
                "a PDF scan comes alone", hint="upload one PDF, or image pages only"
            )
        return _rewritten(files[0])
    if len(files) > max_pages:
        raise ScanUnusableError(
            f"{len(files)} image pages; at most {max_pages} make one scan",
            hint="upload the scan as one PDF",
        )
    return _rewritten(_images_to_pdf(files))


def _images_to_pdf(files: tuple[bytes, ...]) -> bytes:
    pages = [_page_image(data, n) for n, data in enumerate(files, 1)]
    out = io.BytesIO()
    dpi = pages[0].info.get("dpi", (DEFAULT_DPI,))[0] or DEFAULT_DPI
    pages[0].save(
        out, format="PDF", save_all=True, append_images=pages[1:], resolution=dpi
    )
    return out.getvalue()


def _page_image(data: bytes, n: int) -> Image.Image:
    if not data.startswith(IMAGE_MAGICS):
        raise ScanUnusableError(
            f"page {n} is neither JPEG nor PNG", hint="scan to PDF, JPEG or PNG"
        )
    try:
        image = Image.open(io.BytesIO(data))
        if image.width * image.height > MAX_PIXELS:
            raise ScanUnusableError(f"page {n} has too many pixels to be a scan")
        image.load()
    except Image.DecompressionBombError as e:
        # Pillow refuses the largest headers itself, inside open().
        raise ScanUnusableError(f"page {n} has too many pixels to be a scan") from e
    except (UnidentifiedImageError, OSError, ValueError) as e:
        raise ScanUnusableError(f"page {n} cannot be read as an image") from e
    # Colour scans keep their colour; transparency means nothing on paper.
    return image.convert("L" if image.mode in ("1", "L", "LA") else "RGB")


def _give_last_page_contents(writer: BasePdfFileWriter) -> None:
    """Give a last page without content (a blank page) an empty stream.

    A page may lack /Contents; pyHanko then cannot add the statement's
    streams to it. The empty stream is part of the first revision, so the
    scan's digest covers it.
    """
    count = int(writer.root["/Pages"]["/Count"])
    page_ref, _ = writer.find_page_for_modification(count - 1)
    page = page_ref.get_object()
    if "/Contents" not in page:
        empty = writer.add_object(generic.StreamObject(stream_data=b""))
        page[generic.NameObject("/Contents")] = empty


def _rewritten(pdf: bytes) -> Scan:
    """Write the PDF anew in one revision, without active content."""
    opened = open_pdf(pdf, None, operation=None)
    try:
        writer = copy_into_new_writer(opened.reader)
        for key in _DROPPED:
            writer.root.pop(key, None)
        writer.root["/Lang"] = generic.TextStringObject("vi")
        _give_last_page_contents(writer)
        out = io.BytesIO()
        writer.write(out)
    except EdocxError:
        raise
    except PARSER_FAILURES as e:
        raise ScanUnusableError(
            "the scan's PDF cannot be written anew",
            hint="export the scan to PDF again, or upload its pages as images",
        ) from e
    rewritten = out.getvalue()
    pages = page_count(open_pdf(rewritten, None, operation=None).reader)
    return Scan(rewritten, pages)
