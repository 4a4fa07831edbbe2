"""The raw-byte reference index lets the difference analysis skip only what
nothing can have changed: the walks with and without it find the same
differences, and a span it cannot vouch for is never skipped."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.writer import PdfFileWriter
from pyhanko.pdf_utils.xref import read_object_header

from edocx.verification import Verdict, VerifyOptions, refindex, verify_pdf
from edocx.verification.objdiff import Difference, find_differences
from edocx.verification.refindex import (
    RefIndex,
    _UnusualError,
    build_index,
    object_references,
)
from edocx.verification.xrefrepair import read_structure
from tests.verification import attacks
from tests.verification.corpus import CORPUS_DIR
from tests.verification.pdfs import PKISigner

TRAP = b"endobj\n99 0 obj\n<< /Kind /Fake >>\nendobj\n"


def _no_length(ref: tuple[int, int]) -> int:
    raise _UnusualError("no indirect length here")


def _refs(text: bytes, length_of: Callable[[tuple[int, int]], int] = _no_length):
    return object_references(text, 0, (5, 0), length_of)[0]


def test_reference_after_a_string_holding_endobj_is_found() -> None:
    text = b"5 0 obj\n<< /Z (a \\) (endobj) 9 0 obj) /C 7 0 R >>\nendobj\n"
    assert (7, 0) in _refs(text)


def test_references_inside_strings_count_too() -> None:
    assert _refs(b"5 0 obj\n(see 12 0 R)\nendobj\n") == {(12, 0)}


def test_direct_length_skips_stream_data_holding_endobj() -> None:
    data = b"endstream endobj 8 0 obj"
    text = b"5 0 obj\n<< /Length %d /R 3 0 R >>\nstream\n%s\nendstream\nendobj\n" % (
        len(data),
        data,
    )
    assert _refs(text) == {(3, 0)}


@pytest.mark.parametrize(
    "text",
    [
        # the stream's /Length is indirect and cannot be vouched for here
        b"5 0 obj\n<< /Length 6 0 R >>\nstream\nabc\nendstream\nendobj\n",
        # /Length too short: the data would not end at endstream
        b"5 0 obj\n<< /Length 2 >>\nstream\nabc\nendstream\nendobj\n",
        b"5 0 obj\n<< /A 1 % comment\n >>\nendobj\n",
        b"5 0 obj\n<< /A (unterminated >>\nendobj\n",
        b"5 0 obj\n<< /Len#67th 3 >>\nstream\nabc\nendstream\nendobj\n",
        b"5 0 obj\n<< /A << /B 1 >> stream\nx\nendstream >>\nendobj\n",
        b"6 0 obj\n<< >>\nendobj\n",  # a header for another object
    ],
)
def test_unusual_objects_are_refused(text: bytes) -> None:
    with pytest.raises(_UnusualError):
        _refs(text)


def _append_update(pdf: bytes, objects: dict[int, bytes]) -> bytes:
    """An incremental update rewriting ``objects`` (number -> body), by hand."""
    reader = PdfFileReader(io.BytesIO(pdf))
    out = bytearray(pdf)
    offsets = {}
    for idnum, body in objects.items():
        offsets[idnum] = len(out)
        out += b"%d 0 obj\n%s\nendobj\n" % (idnum, body)
    xref = len(out)
    out += b"xref\n"
    for idnum, offset in sorted(offsets.items()):
        out += b"%d 1\n%010d 00000 n \n" % (idnum, offset)
    root = reader.root_ref
    size = max(int(reader.trailer["/Size"]), max(objects) + 1)
    prev = int(re.findall(rb"startxref\s+(\d+)", pdf)[-1])
    out += b"trailer\n<< /Size %d /Root %d %d R /Prev %d >>\n" % (
        size,
        root.idnum,
        root.generation,
        prev,
    )
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def _classic_pdf(objects: dict[int, bytes]) -> bytes:
    """A file with a cross-reference table, object 1 its catalog, by hand."""
    out = bytearray(b"%PDF-1.7\n")
    offsets = {}
    for idnum, body in sorted(objects.items()):
        offsets[idnum] = len(out)
        out += b"%d 0 obj\n%s\nendobj\n" % (idnum, body)
    xref = len(out)
    size = max(objects) + 1
    out += b"xref\n0 %d\n0000000000 65535 f \n" % size
    for idnum in range(1, size):
        out += b"%010d 00000 n \n" % offsets[idnum]
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\n" % size
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def _trap_pdf() -> tuple[bytes, int, int]:
    """A page whose string holds a fake object, before its /Contents."""
    data = b"0 0 1 rg 100 600 200 200 re f"
    pdf = _classic_pdf(
        {
            1: b"<< /Type /Catalog /Pages 2 0 R >>",
            2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            3: b"<< /Type /Page /Parent 2 0 R /Z (%s) /MediaBox [0 0 595 842] "
            b"/Resources << >> /Contents 4 0 R >>" % TRAP,
            4: b"<< /Length %d >>\nstream\n%s\nendstream" % (len(data), data),
        }
    )
    return pdf, 3, 4


def _replace_content(pdf: bytes, idnum: int) -> bytes:
    data = b"1 0 0 rg 100 600 200 200 re f"
    return _append_update(
        pdf, {idnum: b"<< /Length %d >>\nstream\n%s\nendstream" % (len(data), data)}
    )


def _key(diffs: list[Difference]) -> list[tuple[object, ...]]:
    return [(d.path, d.action, repr(d.old), repr(d.new), d.ref) for d in diffs]


def _assert_same_walks(pdf: bytes) -> None:
    reader, _ = read_structure(pdf)
    last = reader.xrefs.total_revisions - 1
    for signed in range(last):
        full = _key(find_differences(reader, signed, last, prune=False))
        assert _key(find_differences(reader, signed, last)) == full


def test_fake_header_in_a_string_does_not_hide_a_replaced_content_stream() -> None:
    pdf, page, content = _trap_pdf()
    assert pdf.count(b"99 0 obj") == 1  # the fake object is really in the file
    attacked = _replace_content(pdf, content)

    reader, _ = read_structure(attacked)
    index = build_index(reader, 0)
    assert isinstance(index, RefIndex)
    assert not index.prunable((page, 0))
    diffs = find_differences(reader, 0, 1)
    assert any(d.path[-1:] == ("/Contents",) for d in diffs)
    _assert_same_walks(attacked)


def test_signed_trap_file_with_replaced_content_does_not_pass(
    test_signer: PKISigner, offline: VerifyOptions
) -> None:
    pdf, _, content = _trap_pdf()
    signed = test_signer.sign(pdf, "person-a-signer")
    report = verify_pdf(_replace_content(signed, content), offline)

    assert report.verdict is Verdict.FAILED
    assert report.signatures[0].changes
    assert any(change.suspicious for change in report.signatures[0].changes)


def test_untouched_objects_are_skipped_and_an_indirect_length_is_read() -> None:
    pdf, page, content = _trap_pdf()
    new_page = b"<< /Type /Page /Contents %d 0 R >>" % content
    updated = _append_update(pdf, {page: new_page})
    reader, _ = read_structure(updated)
    index = build_index(reader, 0)
    assert index is not None
    assert index.prunable((content, 0))
    assert not index.prunable((page, 0))  # rewritten

    length_ref = b"<< /Length 40 0 R >>\nstream\nabc\nendstream"
    with_length = _append_update(updated, {41: length_ref, 40: b"3"})
    reader, _ = read_structure(with_length)
    assert build_index(reader, 1) is not None
    later = _append_update(with_length, {page: b"<< /Type /Page /X 41 0 R >>"})
    reader, _ = read_structure(later)
    index = build_index(reader, 2)
    assert index is not None and index.prunable((41, 0))
    # once the /Length object is rewritten, the stream is never skipped
    rewritten = _append_update(later, {40: b"2"})
    reader, _ = read_structure(rewritten)
    index = build_index(reader, 2)
    assert index is not None and not index.prunable((41, 0))


def test_objects_in_object_streams_are_never_skipped() -> None:
    writer = PdfFileWriter(stream_xrefs=True)
    objstm = writer.prepare_object_stream()
    content = writer.add_object(generic.StreamObject(stream_data=b"0 g"))
    resources = writer.add_object(generic.DictionaryObject(), obj_stream=objstm)
    page = generic.DictionaryObject(
        {
            pdf_name("/Type"): pdf_name("/Page"),
            pdf_name("/MediaBox"): generic.ArrayObject(
                [generic.NumberObject(v) for v in (0, 0, 595, 842)]
            ),
            pdf_name("/Resources"): resources,
            pdf_name("/Contents"): content,
        }
    )
    writer.insert_page(page)
    out = io.BytesIO()
    writer.write(out)
    pdf = out.getvalue()
    empty = b"<< /Length 0 >>\nstream\n\nendstream"
    updated = _append_update(pdf, {content.idnum: empty})

    reader, _ = read_structure(updated)
    index = build_index(reader, 0)
    assert index is not None
    assert not index.prunable((resources.idnum, 0))
    _assert_same_walks(updated)


def test_a_long_chain_is_searched_once() -> None:
    count = 3000
    objects = {1: b"<< /Type /Catalog /Pages 2 0 R >>"}
    objects[2] = b"<< /Type /Pages /Kids [] /Count 0 /Next 3 0 R >>"
    for idnum in range(3, count):
        objects[idnum] = b"<< /Next %d 0 R >>" % (idnum + 1)
    objects[count] = b"<< >>"
    updated = _append_update(_classic_pdf(objects), {count: b"<< /Changed true >>"})

    reader, _ = read_structure(updated)
    index = build_index(reader, 0)
    assert index is not None
    assert not any(index.prunable((idnum, 0)) for idnum in range(2, count))
    assert refindex.MAX_WORK - index.work <= count


def test_nothing_is_skipped_once_the_byte_budget_is_spent() -> None:
    pdf, _, content = _trap_pdf()
    updated = _append_update(pdf, {2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"})
    reader, _ = read_structure(updated)
    index = build_index(reader, 0)
    assert index is not None
    index.bytes_left = 0
    assert index.prunable((content, 0))  # read within the budget
    assert not index.prunable((3, 0))  # the page is not read any more


UPDATES: dict[str, Callable[[bytes], bytes]] = {
    "replace-page-content": attacks.replace_page_content,
    "add-page": attacks.add_page,
    "add-annotation": attacks.add_annotation,
    "append-after-eof": attacks.append_after_eof,
    "rewrite-signature-dict": lambda pdf: attacks.rewrite_signature_dict(
        pdf, Reason="forged"
    ),
    "shadow-hide": lambda _: attacks.shadow_hide(attacks.shadow_document()),
    "shadow-hide-and-replace": lambda _: attacks.shadow_hide_and_replace(
        attacks.shadow_document()
    ),
}


@pytest.mark.parametrize("name", sorted(UPDATES))
def test_attack_recipes_give_the_same_changes(name: str, signed_blt: bytes) -> None:
    _assert_same_walks(UPDATES[name](signed_blt))


def _corpus_files() -> list[Path]:
    return sorted(CORPUS_DIR.rglob("*.pdf")) if CORPUS_DIR.is_dir() else []


@pytest.mark.skipif(not _corpus_files(), reason=f"DSS corpus not at {CORPUS_DIR}")
def test_dss_corpus_gives_the_same_changes() -> None:
    checked = 0
    for path in _corpus_files():
        try:
            reader, _ = read_structure(path.read_bytes())
        except Exception:
            continue  # a file no reader opens has no revisions to compare
        last = reader.xrefs.total_revisions - 1
        for signed in range(last):
            full = _outcome(reader, signed, last, prune=False)
            assert _outcome(reader, signed, last, prune=True) == full, path.name
            checked += 1
    assert checked > 20


def _outcome(reader: PdfFileReader, signed: int, last: int, *, prune: bool) -> object:
    try:
        return _key(find_differences(reader, signed, last, prune=prune))
    except Exception as error:
        return type(error).__name__


@pytest.mark.skipif(not _corpus_files(), reason=f"DSS corpus not at {CORPUS_DIR}")
def test_vouched_spans_end_where_pyhanko_stops_reading() -> None:
    vouched = 0
    for path in _corpus_files():
        try:
            reader, _ = read_structure(path.read_bytes())
        except Exception:
            continue
        index = build_index(reader, reader.xrefs.total_revisions - 1)
        if index is None:
            continue
        last = reader.xrefs.get_xref_data(reader.xrefs.total_revisions - 1)
        for idnum, (generation, offset) in last.standard_xrefs.items():
            vouched += _same_end(index, (idnum, generation), offset)
    assert vouched > 1000


def _same_end(index: RefIndex, ref: tuple[int, int], offset: int) -> bool:
    """Whether the index vouches for the object; if so, pyHanko ends there too."""
    header = refindex._HEADER.match(index.data, offset)
    try:
        assert header is not None
        text = refindex._object_text(index.data, header.end(), index._length)
    except (_UnusualError, AssertionError):
        return False
    stream = index.reader.stream
    stream.seek(offset)
    read_object_header(stream, strict=False)
    generic.read_object(stream, generic.Reference(*ref, index.reader))
    assert stream.tell() == text[2], ref
    return True
