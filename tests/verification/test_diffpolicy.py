"""edocx's difference policy on small PDFs written here with pyHanko's writer.

Each test writes a first revision, then one incremental update, and asks
:func:`review_revisions` what the update did after revision 0. No
cryptography is involved: the policy judges objects, not signatures, so a
signature dictionary here is only its structure.
"""

from __future__ import annotations

import io
from collections.abc import Callable

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.writer import BasePdfFileWriter, PdfFileWriter

from edocx.verification.diffpolicy import PolicyResult, review_revisions
from edocx.verification.objdiff import Action, find_differences
from edocx.verification.report import ChangeKind

Name = generic.NameObject
Rect = tuple[int, int, int, int]


def _array(*values: int) -> generic.ArrayObject:
    return generic.ArrayObject(generic.NumberObject(v) for v in values)


def _stream(writer: BasePdfFileWriter, data: bytes) -> generic.IndirectObject:
    return writer.add_object(generic.StreamObject(stream_data=data))


def _sig_value(writer: BasePdfFileWriter) -> generic.IndirectObject:
    return writer.add_object(
        generic.DictionaryObject(
            {
                Name("/Type"): Name("/Sig"),
                Name("/Filter"): Name("/Adobe.PPKLite"),
                Name("/SubFilter"): Name("/ETSI.CAdES.detached"),
                Name("/ByteRange"): _array(0, 10, 20, 10),
                Name("/Contents"): generic.ByteStringObject(b"\0" * 8),
            }
        )
    )


def _widget(
    writer: BasePdfFileWriter,
    page: generic.IndirectObject,
    name: str,
    field_type: str,
    rect: Rect,
    value: generic.PdfObject | None = None,
) -> generic.IndirectObject:
    widget = generic.DictionaryObject(
        {
            Name("/Type"): Name("/Annot"),
            Name("/Subtype"): Name("/Widget"),
            Name("/FT"): Name(field_type),
            Name("/T"): generic.TextStringObject(name),
            Name("/Rect"): _array(*rect),
            Name("/F"): generic.NumberObject(4),
            Name("/P"): page,
            Name("/AP"): generic.DictionaryObject(
                {Name("/N"): _stream(writer, b"0 0 1 rg 0 0 10 10 re f")}
            ),
        }
    )
    if value is not None:
        widget[Name("/V")] = value
    return writer.add_object(widget)


def _first_revision(
    fields: Callable[[PdfFileWriter, generic.IndirectObject], list],
) -> bytes:
    writer = PdfFileWriter()
    page = generic.DictionaryObject(
        {
            Name("/Type"): Name("/Page"),
            Name("/MediaBox"): _array(0, 0, 300, 300),
            Name("/Resources"): generic.DictionaryObject(),
            Name("/Contents"): _stream(
                writer, b"BT /F1 12 Tf 20 250 Td (Signed) Tj ET"
            ),
        }
    )
    writer.insert_page(page)
    page_ref = writer.find_page_for_modification(0)[1]
    widgets = fields(writer, page_ref)
    if widgets:
        page_ref.get_object()[Name("/Annots")] = generic.ArrayObject(widgets)
        writer.root[Name("/AcroForm")] = writer.add_object(
            generic.DictionaryObject({Name("/Fields"): generic.ArrayObject(widgets)})
        )
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _update(
    pdf: bytes, change: Callable[[IncrementalPdfFileWriter], None]
) -> PdfFileReader:
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    change(writer)
    out = io.BytesIO()
    writer.write(out)
    return PdfFileReader(io.BytesIO(out.getvalue()), strict=False)


def _review(reader: PdfFileReader) -> PolicyResult:
    assert reader.xrefs.total_revisions == 2
    return review_revisions(reader, 0)


def _kinds(result: PolicyResult) -> set[ChangeKind]:
    return {change.kind for change in result.changes}


def _signed_field(writer: PdfFileWriter, page: generic.IndirectObject) -> list:
    return [
        _widget(writer, page, "Personal", "/Sig", (20, 20, 140, 80), _sig_value(writer))
    ]


def _text_field(writer: PdfFileWriter, page: generic.IndirectObject) -> list:
    return [_widget(writer, page, "Number", "/Tx", (20, 200, 140, 220))]


def _add_to_page(
    writer: IncrementalPdfFileWriter, annot: generic.IndirectObject
) -> None:
    page_ref = writer.find_page_for_modification(0)[1]
    page = page_ref.get_object()
    annots = page.get("/Annots")
    if isinstance(annots, generic.IndirectObject):
        annots = annots.get_object()
    items = list(annots) if isinstance(annots, generic.ArrayObject) else []
    page[Name("/Annots")] = generic.ArrayObject([*items, annot])
    writer.update_container(page_ref)


def _add_field(
    writer: IncrementalPdfFileWriter, widget: generic.IndirectObject
) -> None:
    _add_to_page(writer, widget)
    form = writer.root["/AcroForm"]
    form[Name("/Fields")] = generic.ArrayObject([*form["/Fields"], widget])
    writer.update_container(form)


def test_validation_data_alone_is_harmless() -> None:
    def add_dss(writer: IncrementalPdfFileWriter) -> None:
        certs = generic.ArrayObject([_stream(writer, b"\x30\x03\x02\x01\x01")])
        dss = generic.DictionaryObject({Name("/Certs"): certs})
        writer.root[Name("/DSS")] = writer.add_object(dss)
        writer.update_root()

    result = _review(_update(_first_revision(_signed_field), add_dss))

    assert _kinds(result) == {ChangeKind.REVOCATION_DATA_ADDED}
    assert result.suspicious is None
    assert not any(change.suspicious for change in result.changes)


def test_filling_a_text_field_is_form_filling() -> None:
    def fill(writer: IncrementalPdfFileWriter) -> None:
        field_ref = writer.root["/AcroForm"]["/Fields"].raw_get(0)
        field = field_ref.get_object()
        field[Name("/V")] = generic.TextStringObject("12/QĐ-UBND")
        field[Name("/AP")] = generic.DictionaryObject(
            {Name("/N"): _stream(writer, b"BT (12) Tj ET")}
        )
        writer.mark_update(field_ref)

    result = _review(_update(_first_revision(_text_field), fill))

    assert _kinds(result) == {ChangeKind.FORM_FILLED}
    assert result.filled_fields == ("Number",)
    assert result.suspicious is None


def test_changing_page_content_is_suspicious() -> None:
    def rewrite(writer: IncrementalPdfFileWriter) -> None:
        page_ref = writer.find_page_for_modification(0)[1]
        page = page_ref.get_object()
        page[Name("/Contents")] = _stream(writer, b"BT (Not signed) Tj ET")
        writer.update_container(page_ref)

    result = _review(_update(_first_revision(_signed_field), rewrite))

    assert ChangeKind.CONTENT_CHANGED in _kinds(result)
    assert result.suspicious is not None
    assert any(
        c.kind is ChangeKind.CONTENT_CHANGED and c.suspicious for c in result.changes
    )


def test_seal_widget_over_the_personal_signature_is_reported_not_suspicious() -> None:
    def seal(writer: IncrementalPdfFileWriter) -> None:
        page_ref = writer.find_page_for_modification(0)[1]
        widget = _widget(
            writer, page_ref, "Seal", "/Sig", (100, 40, 220, 100), _sig_value(writer)
        )
        _add_field(writer, widget)

    result = _review(_update(_first_revision(_signed_field), seal))

    added = [c for c in result.changes if c.kind is ChangeKind.SIGNATURE_ADDED]
    assert added, result.changes
    assert any("overlaps that of 'Personal'" in c.detail for c in added)
    assert result.suspicious is None
    assert not any(c.suspicious for c in result.changes)


def test_seal_widget_beside_the_signature_does_not_mention_an_overlap() -> None:
    def seal(writer: IncrementalPdfFileWriter) -> None:
        page_ref = writer.find_page_for_modification(0)[1]
        widget = _widget(
            writer, page_ref, "Seal", "/Sig", (160, 20, 280, 80), _sig_value(writer)
        )
        _add_field(writer, widget)

    result = _review(_update(_first_revision(_signed_field), seal))

    assert result.suspicious is None
    assert not any("overlaps" in c.detail for c in result.changes)


def test_new_annotation_over_the_content_is_suspicious() -> None:
    def stamp(writer: IncrementalPdfFileWriter) -> None:
        page_ref = writer.find_page_for_modification(0)[1]
        square = writer.add_object(
            generic.DictionaryObject(
                {
                    Name("/Type"): Name("/Annot"),
                    Name("/Subtype"): Name("/Square"),
                    Name("/Rect"): _array(10, 240, 200, 270),
                    Name("/P"): page_ref,
                    Name("/IC"): _array(1, 1, 1),
                }
            )
        )
        _add_to_page(writer, square)

    result = _review(_update(_first_revision(_signed_field), stamp))

    assert ChangeKind.ANNOTATION_ADDED in _kinds(result)
    assert result.suspicious is not None


def test_object_differences_name_what_was_created() -> None:
    def add_dss(writer: IncrementalPdfFileWriter) -> None:
        writer.root[Name("/DSS")] = writer.add_object(generic.DictionaryObject())
        writer.update_root()

    reader = _update(_first_revision(_signed_field), add_dss)

    diffs = find_differences(reader, 0, 1)
    assert [(d.path, d.action) for d in diffs] == [(("/DSS",), Action.CREATED)]


def _utf16_lang(pdf: bytes) -> bytes:
    """Add a catalog /Lang written in UTF-16 with a byte order mark."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    lang = generic.TextStringObject("vi")
    lang.force_output_encoding = generic.TextStringEncoding.UTF16BE
    writer.root[Name("/Lang")] = lang
    writer.update_root()
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _retitled(text: str) -> Callable[[IncrementalPdfFileWriter], None]:
    def change(writer: IncrementalPdfFileWriter) -> None:
        # A fresh string: the writer stores it in PDFDocEncoding.
        writer.root[Name("/Lang")] = generic.TextStringObject(text)
        writer.update_root()

    return change


def test_a_text_string_written_again_in_another_encoding_is_unchanged() -> None:
    pdf = _utf16_lang(_first_revision(_signed_field))
    assert rb"/Lang (\376\377\000v\000i)" in pdf

    later = _update(pdf, _retitled("vi"))

    assert b"/Lang (vi)" in _raw_tail(later)
    assert not find_differences(later, 1, 2)


def test_a_text_string_with_other_text_is_a_change() -> None:
    later = _update(_utf16_lang(_first_revision(_signed_field)), _retitled("en"))

    assert [d.path[-1] for d in find_differences(later, 1, 2)] == ["/Lang"]


def _raw_tail(reader: PdfFileReader) -> bytes:
    stream = reader.stream
    stream.seek(0)
    data: bytes = stream.read()
    return data[data.rfind(b"%%EOF", 0, len(data) - 8) :]
