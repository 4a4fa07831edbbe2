"""The scan of a paper original, as the hub certifies it.

The certifier uploads the scan as one PDF, or as JPEG or PNG pages that
become one PDF, one page per image at the resolution the image states
(200 dpi when it states none; Circular 02/2019 practice asks at least 200).
A page whose stated resolution makes it larger than A3 (a 72-dpi phone
photo) or smaller than an inch (a JPEG tagged 100000 dpi) is fitted to A4
instead. Either way the hub writes the scan anew as a single-revision PDF:
that file is the certified file's first revision, whose SHA-256 the QR code
carries, and a fresh file holds no earlier revisions, no signatures, no
annotations (links, form fields, attachments), no scripts that a reader
would run and no encryption.

When the scan's last page is smaller than A5 (an ID card, a receipt), the
statement, the QR code and the signatures would not fit on it: the hub
adds a blank A4 page after it, in the first revision, and the statement
says that it stands on a page added to the copy.

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
from edocx.errors import EdocxError, InputError
from edocx.signing import fields
from edocx.signing.reading import (
    PARSER_FAILURES,
    OpenedPDF,
    open_pdf,
    page_count,
)
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
# The same on each page: links, widgets, attachments, page scripts.
_PAGE_DROPPED = ("/Annots", "/AA")
A4 = (595.0, 842.0)
A3_LONG_SIDE = 1191.0
INCH = 72.0
# The least last page the statement, the QR and the two signatures fit on.
A5 = (420.0, 595.0)


@dataclass(frozen=True)
class Scan:
    """The scan as the certified file's first revision."""

    pdf: bytes
    page_count: int
    # Whether the hub added a page for the statement after the scan's last.
    added_page: bool = False

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
    """Return the image pages as one PDF, each page at its own physical size."""
    pages = [_page_image(data, n) for n, data in enumerate(files, 1)]
    sizes = [page_size(image) for image in pages]
    out = io.BytesIO()
    # Pillow gives every page one resolution: write them at 72 dpi (a point
    # per pixel), then set each page's size and image scale.
    pages[0].save(
        out, format="PDF", save_all=True, append_images=pages[1:], resolution=INCH
    )
    opened = open_pdf(out.getvalue(), None, operation=None)
    writer = copy_into_new_writer(opened.reader)
    for index, (width, height) in enumerate(sizes):
        _size_image_page(writer, index, width, height)
    sized = io.BytesIO()
    writer.write(sized)
    return sized.getvalue()


def page_size(image: Image.Image) -> tuple[float, float]:
    """Return the page size (points) of an image, sane whatever it states."""
    dpi = image.info.get("dpi", (DEFAULT_DPI, DEFAULT_DPI))
    x_dpi = float(dpi[0] or DEFAULT_DPI)
    y_dpi = float(dpi[1] or x_dpi) if len(dpi) > 1 else x_dpi
    width, height = image.width * INCH / x_dpi, image.height * INCH / y_dpi
    if INCH <= min(width, height) and max(width, height) <= A3_LONG_SIDE:
        return width, height

    # A resolution no scanner gives: fit the image in A4, turned its way.
    short, long = A4
    box = (long, short) if image.width > image.height else (short, long)
    scale = min(box[0] / image.width, box[1] / image.height)
    return image.width * scale, image.height * scale


def _size_image_page(
    writer: BasePdfFileWriter, index: int, width: float, height: float
) -> None:
    page_ref, _ = writer.find_page_for_modification(index)
    page = page_ref.get_object()
    page[generic.NameObject("/MediaBox")] = generic.ArrayObject(
        [generic.FloatObject(v) for v in (0, 0, width, height)]
    )
    drawing = b"q %.4f 0 0 %.4f 0 0 cm /image Do Q" % (width, height)
    stream = writer.add_object(generic.StreamObject(stream_data=drawing))
    page[generic.NameObject("/Contents")] = stream


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
    opened = _open_scan(pdf)
    try:
        writer = copy_into_new_writer(opened.reader)
        for key in _DROPPED:
            writer.root.pop(key, None)
        writer.root["/Lang"] = generic.TextStringObject("vi")
        pages = _strip_pages(writer)
        _give_last_page_contents(writer)
        added = _add_statement_page(writer, pages)
        stripped = io.BytesIO()
        writer.write(stripped)
        # The copy above wrote every object it read, the dropped ones too:
        # copying once more keeps only what the pages and catalog reach.
        reopened = open_pdf(stripped.getvalue(), None, operation=None)
        out = io.BytesIO()
        copy_into_new_writer(reopened.reader).write(out)
    except EdocxError:
        raise
    except PARSER_FAILURES as e:
        raise ScanUnusableError(
            "the scan's PDF cannot be written anew",
            hint="export the scan to PDF again, or upload its pages as images",
        ) from e
    rewritten = out.getvalue()
    written = page_count(open_pdf(rewritten, None, operation=None).reader)
    return Scan(rewritten, written - added, added_page=bool(added))


def _open_scan(pdf: bytes) -> OpenedPDF:
    """Open an uploaded PDF; refuse it as a scan, with a certifier's hint."""
    try:
        return open_pdf(pdf, None, operation=None)
    except InputError as e:
        # The reader's own refusals speak of drafts; a scan is re-scanned.
        raise ScanUnusableError(
            f"the scan's PDF cannot be used: {e.detail}",
            hint="scan the original again to PDF without a password,"
            " or upload its pages as JPEG or PNG images",
        ) from e


def _strip_pages(writer: BasePdfFileWriter) -> int:
    """Drop each page's annotations and actions; return the page count."""
    count = int(writer.root["/Pages"]["/Count"])
    for index in range(count):
        page_ref, _ = writer.find_page_for_modification(index)
        page = page_ref.get_object()
        for key in _PAGE_DROPPED:
            page.pop(key, None)
    return count


def _add_statement_page(writer: BasePdfFileWriter, count: int) -> int:
    """Add a blank A4 page when the last is too small; return pages added."""
    box = fields.page_box(writer, count - 1)
    width, height = sorted((box.width, box.height))
    if width >= A5[0] and height >= A5[1]:
        return 0
    blank = generic.DictionaryObject(
        {
            generic.NameObject("/Type"): generic.NameObject("/Page"),
            generic.NameObject("/MediaBox"): generic.ArrayObject(
                [generic.FloatObject(v) for v in (0, 0, *A4)]
            ),
            generic.NameObject("/Resources"): generic.DictionaryObject(),
            generic.NameObject("/Contents"): writer.add_object(
                generic.StreamObject(stream_data=b"")
            ),
        }
    )
    writer.insert_page(blank)
    return 1
