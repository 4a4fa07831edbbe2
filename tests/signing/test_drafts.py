"""prepare_draft on the real-world PDFs of shared/data/pdf-unsigned.

What each file must do is written in that folder's README; the tests follow
it file by file.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.misc import PdfStrictReadError
from pyhanko.pdf_utils.reader import PdfFileReader

from edocx.errors import (
    InputError,
    PDFPasswordRequiredError,
    PDFPermissionError,
    PDFUnusableError,
)
from edocx.signing import PreparedDraft, prepare_draft
from edocx.signing.fields import DATE_FIELD, NUMBER_FIELD
from edocx.signing.normalise import count_unreadable_references
from tests.signing import pdfcheck

OWNER_OR_USER_PASSWORD = " "  # a single space, per the data README


def load(unsigned_dir: Path, name: str) -> bytes:
    return (unsigned_dir / name).read_bytes()


@pytest.mark.parametrize(
    "name", ["EmptyPage-corrupted.pdf", "EmptyPage-corrupted2.pdf"]
)
def test_truncated_files_are_refused(unsigned_dir: Path, name: str) -> None:
    with pytest.raises(PDFUnusableError) as caught:
        prepare_draft(load(unsigned_dir, name), None)

    assert "not a usable PDF" in caught.value.detail
    assert caught.value.code == "pdf-unusable"


@pytest.mark.parametrize(
    "data",
    [b"", b"hello", b"%PDF-1.7\n" + bytes(range(256)) * 4],
    ids=["empty", "text", "garbage-after-header"],
)
def test_garbage_is_refused(data: bytes) -> None:
    with pytest.raises(PDFUnusableError):
        prepare_draft(data, None)


@pytest.mark.parametrize(
    "name",
    ["protected_open_protected.pdf", "protected_protected_two_empty_fields.pdf"],
)
def test_password_protected_needs_its_password(unsigned_dir: Path, name: str) -> None:
    data = load(unsigned_dir, name)

    with pytest.raises(PDFPasswordRequiredError, match="needs its password"):
        prepare_draft(data, None)
    with pytest.raises(PDFPasswordRequiredError, match="does not open"):
        prepare_draft(data, "wrong")


@pytest.mark.parametrize(
    "name",
    ["protected_open_protected.pdf", "protected_protected_two_empty_fields.pdf"],
)
def test_password_protected_is_decrypted_and_rewritten(
    unsigned_dir: Path, name: str
) -> None:
    draft = prepare_draft(load(unsigned_dir, name), OWNER_OR_USER_PASSWORD)

    reader = pdfcheck.read(draft.pdf)
    assert not reader.encrypted
    assert draft.rewritten
    assert any("decrypted" in w for w in draft.warnings)
    pdfcheck.field(reader, NUMBER_FIELD)


@pytest.mark.parametrize(
    "name",
    [
        "protected_edition_protected_none.pdf",
        "protected_edition_protected_signing_allowed_no_field.pdf",
        "protected_edition_protected_signing_allowed_with_field.pdf",
    ],
)
def test_edit_protected_refused_without_owner_password(
    unsigned_dir: Path, name: str
) -> None:
    with pytest.raises(PDFPermissionError) as caught:
        prepare_draft(load(unsigned_dir, name), None)

    assert "modify the document" in caught.value.detail
    assert caught.value.code == "pdf-permission-denied"


@pytest.mark.parametrize(
    "name",
    [
        "protected_edition_protected_none.pdf",
        "protected_edition_protected_signing_allowed_with_field.pdf",
    ],
)
def test_edit_protected_opens_with_owner_password(
    unsigned_dir: Path, name: str
) -> None:
    draft = prepare_draft(load(unsigned_dir, name), OWNER_OR_USER_PASSWORD)

    assert not pdfcheck.read(draft.pdf).encrypted
    assert draft.rewritten


def test_restricted_fields_refused_naming_the_permission(unsigned_dir: Path) -> None:
    # Bit 6 (annotations, form filling) is granted but bit 4 is not, so new
    # fields may not be created (ISO 32000-2, table 22).
    with pytest.raises(PDFPermissionError) as caught:
        prepare_draft(load(unsigned_dir, "protected_restricted_fields.pdf"), None)

    assert "modify the document (bit 4)" in caught.value.detail
    assert "bit 6" not in caught.value.detail


@pytest.mark.parametrize("name", ["pdf-xref-streams.pdf", "pdfa2a-rgb.pdf"])
def test_lenient_only_input_is_rewritten_to_read_strictly(
    unsigned_dir: Path, name: str
) -> None:
    data = load(unsigned_dir, name)
    with pytest.raises(PdfStrictReadError):
        pdfcheck.read(data)

    draft = prepare_draft(data, None)

    assert draft.rewritten
    assert draft.warnings
    reader = pdfcheck.read(draft.pdf)
    assert {NUMBER_FIELD, DATE_FIELD} <= _field_names(reader)


def test_ordinary_draft_is_extended_not_rewritten(unsigned_dir: Path) -> None:
    data = load(unsigned_dir, "PDF.pdf")

    draft = prepare_draft(data, None)

    assert not draft.rewritten
    assert draft.pdf.startswith(data)
    assert draft.page_count == 9
    assert draft.existing_signatures == 0
    assert draft.warnings == ()


def test_signed_draft_is_left_untouched(unsigned_dir: Path) -> None:
    data = load(unsigned_dir, "pdfa2u-gray.pdf")

    draft = prepare_draft(data, None)

    assert draft.pdf == data
    assert not draft.rewritten
    assert draft.existing_signatures == 1
    assert any("seal" in w for w in draft.warnings)


def test_issue_fields_are_read_only_with_appearances(unsigned_dir: Path) -> None:
    draft = prepare_draft(load(unsigned_dir, "sample.pdf"), None)
    reader = pdfcheck.read(draft.pdf)
    page_ref, _ = reader.find_page_for_modification(0)
    x1, y1, x2, y2 = (float(v) for v in page_ref.get_object()["/MediaBox"])

    for name in (NUMBER_FIELD, DATE_FIELD):
        field = pdfcheck.field(reader, name)
        assert field["/FT"] == "/Tx"
        assert int(field["/Ff"]) & 1, "field must be read-only"
        assert "/V" not in field
        assert pdfcheck.page_of(reader, field) == 0

        fx1, fy1, fx2, fy2 = (float(v) for v in field["/Rect"])
        assert x1 <= fx1 < fx2 <= x2
        assert y2 - (y2 - y1) * 0.1 <= fy1 < fy2 <= y2, "near the top of page 1"

    placeholder = pdfcheck.drawn_text(pdfcheck.field(reader, NUMBER_FIELD)["/AP"]["/N"])
    assert placeholder == ["Số:        /"]


def test_draft_cannot_be_prepared_twice(unsigned_dir: Path) -> None:
    draft = prepare_draft(load(unsigned_dir, "sample.pdf"), None)

    with pytest.raises(InputError, match="already has the field"):
        prepare_draft(draft.pdf, None)


def test_prepared_draft_crosses_process_boundaries(unsigned_dir: Path) -> None:
    draft = prepare_draft(load(unsigned_dir, "EmptyPage.pdf"), None)

    copy = pickle.loads(pickle.dumps(draft))

    assert isinstance(copy, PreparedDraft)
    assert copy == draft
    assert "bytes>" in repr(copy)


def _field_names(reader: PdfFileReader) -> set[str]:
    return {str(ref.get_object()["/T"]) for ref in reader.root["/AcroForm"]["/Fields"]}


def test_dangling_reference_is_rewritten_away(unsigned_dir: Path) -> None:
    # LibreOffice names an ODF stream it never wrote (/AdditionalStreams in
    # the trailer); pyHanko's difference analysis fails on such a reference.
    data = load(unsigned_dir, "pdf-two-fields.pdf")
    assert count_unreadable_references(pdfcheck.read(data)) == 1

    draft = prepare_draft(data, None)

    assert draft.rewritten
    assert count_unreadable_references(pdfcheck.read(draft.pdf)) == 0


def test_embedded_annotations_become_indirect(unsigned_dir: Path) -> None:
    # PDF.pdf's first page holds a link annotation directly in /Annots, which
    # pyHanko's difference analysis rejects once a signature field is added.
    draft = prepare_draft(load(unsigned_dir, "PDF.pdf"), None)

    reader = pdfcheck.read(draft.pdf)
    for ix in range(draft.page_count):
        page_ref, _ = reader.find_page_for_modification(ix)
        annots = page_ref.get_object().get("/Annots", generic.ArrayObject())
        assert all(isinstance(a, generic.IndirectObject) for a in annots.get_object())
