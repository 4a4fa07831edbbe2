"""Drafts that read well but break the later signing steps, made by hand."""

from __future__ import annotations

import io
import re
from collections.abc import Callable

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.writer import PdfFileWriter

FieldMaker = Callable[[PdfFileWriter], list[generic.PdfObject]]


def one_page(make_fields: FieldMaker | None = None) -> bytes:
    """A one-page PDF; with ``make_fields``, an AcroForm with those /Fields."""
    writer = PdfFileWriter()
    media_box = generic.ArrayObject(generic.NumberObject(v) for v in (0, 0, 595, 842))
    writer.insert_page(
        generic.DictionaryObject(
            {
                pdf_name("/Type"): pdf_name("/Page"),
                pdf_name("/MediaBox"): media_box,
                pdf_name("/Resources"): generic.DictionaryObject(),
            }
        )
    )
    if make_fields is not None:
        fields = generic.ArrayObject(make_fields(writer))
        writer.root[pdf_name("/AcroForm")] = generic.DictionaryObject(
            {pdf_name("/Fields"): fields}
        )
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def with_huge_size() -> bytes:
    """A valid PDF whose trailer claims 10^21 objects."""
    pdf = one_page()
    start = pdf.rindex(b"/Size")
    end = pdf.index(b"/", start + 1)
    return pdf[:start] + b"/Size 999999999999999999999 " + pdf[end:]


def with_non_dictionary_fields() -> bytes:
    def make(writer: PdfFileWriter) -> list[generic.PdfObject]:
        return [generic.NumberObject(5), writer.add_object(generic.NumberObject(3))]

    return one_page(make)


def with_numeric_field_name() -> bytes:
    def make(writer: PdfFileWriter) -> list[generic.PdfObject]:
        field = generic.DictionaryObject(
            {pdf_name("/FT"): pdf_name("/Tx"), pdf_name("/T"): generic.NumberObject(7)}
        )
        return [writer.add_object(field)]

    return one_page(make)


def with_empty_updates(pdf: bytes, count: int) -> bytes:
    """Append ``count`` incremental updates that change nothing."""
    root = re.findall(rb"/Root (\d+ \d+ R)", pdf)[-1]
    size = int(re.findall(rb"/Size (\d+)", pdf)[-1])
    previous = int(re.findall(rb"startxref\s+(\d+)", pdf)[-1])
    out = bytearray(pdf)
    for _ in range(count):
        offset = len(out)
        out += (
            b"xref\n0 1\n0000000000 65535 f\r\ntrailer\n"
            b"<< /Size %d /Root %s /Prev %d >>\nstartxref\n%d\n%%%%EOF\n"
            % (size, root, previous, offset)
        )
        previous = offset
    return bytes(out)
