"""What the personal signature locks, attachments, and named fields.

After the competent person's signature the clerk may still fill the number
and date and seal; the signature locks every other field, so signing into
another field, or changing a page, is flagged by pyHanko and by the hub's
verifier.
"""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation.status import PdfSignatureStatus

from edocx.errors import InputError
from edocx.signing import number_and_seal, prepare_draft, sign_personal, sign_plain
from edocx.signing.fields import DATE_FIELD, NUMBER_FIELD, fill_issue_field
from edocx.signing.issue import (
    ATTACHMENT_FIELD,
    PERSONAL_FIELD,
    SEAL_FIELD,
    seal_attachment,
)
from edocx.signing.reading import read_strict
from edocx.verification import (
    ValidationReport,
    Verdict,
    VerifyOptions,
    render_text,
    verify_pdf,
)
from tests.signing import pdfcheck, stampcheck
from tests.signing.conftest import AGENCY_NAME, JobFactory


@pytest.fixture(scope="module")
def signed_form(jobs: JobFactory, unsigned_dir: Path) -> bytes:
    """doc.pdf, a form with text fields, after the personal signature."""
    draft = prepare_draft((unsigned_dir / "doc.pdf").read_bytes(), None)
    return sign_personal(draft.pdf, jobs.personal("doc-lock"))


def _later(pdf: bytes, change: str) -> bytes:
    writer = IncrementalPdfFileWriter.from_reader(read_strict(pdf))
    if change == "page":
        page_ref, _ = writer.find_page_for_modification(0)
        stream = generic.StreamObject(stream_data=b"0 0 m 100 100 l S")
        page_ref.get_object()["/Contents"] = writer.add_object(stream)
        writer.mark_update(page_ref)
    else:
        fill_issue_field(writer, change, "Số: 03/QĐ-UBND")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _personal_status(pdf: bytes, jobs: JobFactory) -> PdfSignatureStatus:
    reader = pdfcheck.read(pdf)
    sig = pdfcheck.signature(reader, PERSONAL_FIELD)
    return pdfcheck.validate(sig, jobs.pki.root_cert_path)


def _report(pdf: bytes, jobs: JobFactory) -> ValidationReport:
    options = VerifyOptions(
        trust_root_paths=(jobs.pki.root_cert_path,), allow_fetching=False
    )
    return verify_pdf(pdf, options)


def _verdict(pdf: bytes, jobs: JobFactory) -> Verdict:
    return _report(pdf, jobs).verdict


@pytest.fixture(scope="module")
def locked(jobs: JobFactory, unsigned_dir: Path) -> bytes:
    """documentEmptySignature.pdf, with an empty signature field, signed."""
    path = unsigned_dir / "documentEmptySignature.pdf"
    draft = prepare_draft(path.read_bytes(), None)
    return sign_personal(draft.pdf, jobs.personal("doc-locked"))


def test_personal_signature_locks_all_but_number_date_and_seal(
    locked: bytes,
) -> None:
    reader = pdfcheck.read(locked)
    sig = pdfcheck.signature(reader, PERSONAL_FIELD)

    (reference,) = sig.sig_object["/Reference"]
    assert reference["/TransformMethod"] == "/FieldMDP"
    params = reference["/TransformParams"]
    assert params["/Action"] == "/Exclude"
    assert sorted(params["/Fields"]) == sorted([NUMBER_FIELD, DATE_FIELD, SEAL_FIELD])


def test_numbering_and_seal_pass_the_lock(locked: bytes, jobs: JobFactory) -> None:
    sealed = number_and_seal(locked, jobs.seal("doc-locked", 4))

    status = _personal_status(sealed, jobs)
    pdfcheck.assert_passes(status)
    level = status.modification_level
    assert level == ModificationLevel.FORM_FILLING
    assert _verdict(sealed, jobs) is Verdict.PASSED


def test_signing_a_locked_field_is_flagged(locked: bytes, jobs: JobFactory) -> None:
    job = replace(jobs.plain("doc-locked"), field_name="signature")

    later = sign_plain(locked, job)

    # Both pyHanko and the hub's verifier honour the lock on the empty
    # signature field: the personal signature fails.
    status = _personal_status(later, jobs)
    assert status.intact
    assert "locked" in str(status.diff_result)
    assert not status.bottom_line
    report = _report(later, jobs)
    assert report.verdict is Verdict.FAILED, render_text(report)
    personal = next(s for s in report.signatures if s.field == PERSONAL_FIELD)
    assert not personal.passed
    lock = "field 'signature' is locked by this signature (FieldMDP /Exclude)"
    assert any(lock in c.detail for c in personal.changes), personal.changes


def test_a_form_with_drawn_fields_is_signed_without_a_lock(
    signed_form: bytes,
) -> None:
    reader = pdfcheck.read(signed_form)
    sig = pdfcheck.signature(reader, PERSONAL_FIELD)

    assert "/Reference" not in sig.sig_object


def test_filling_the_number_is_form_filling(
    signed_form: bytes, jobs: JobFactory
) -> None:
    status = _personal_status(_later(signed_form, NUMBER_FIELD), jobs)

    assert status.intact and status.docmdp_ok
    level = status.modification_level
    assert level == ModificationLevel.FORM_FILLING


def test_a_page_change_is_flagged(signed_form: bytes, jobs: JobFactory) -> None:
    changed = _later(signed_form, "page")

    status = _personal_status(changed, jobs)
    assert status.intact
    assert status.modification_level == ModificationLevel.OTHER
    assert not status.bottom_line
    assert _verdict(changed, jobs) is not Verdict.PASSED


def test_attachment_is_sealed_top_right_without_image(
    jobs: JobFactory, unsigned_dir: Path
) -> None:
    data = (unsigned_dir / "empty-two-pages.pdf").read_bytes()
    job = jobs.seal("doc-attachment", 12)

    sealed = seal_attachment(data, job).pdf

    reader = pdfcheck.read(sealed)
    field = pdfcheck.field(reader, ATTACHMENT_FIELD)
    assert pdfcheck.page_of(reader, field) == 0
    page_box = [float(v) for v in reader.root["/Pages"]["/Kids"][0]["/MediaBox"]]
    x1, _, _, y2 = (float(v) for v in field["/Rect"])
    assert x1 > page_box[2] / 2 and y2 > page_box[3] * 0.9
    assert stampcheck.images(field["/AP"]["/N"]) == []
    text = stampcheck.extracted_text(sealed, ATTACHMENT_FIELD).splitlines()
    assert text[0] == "Kèm theo văn bản số: 12/QĐ-UBND"
    assert text[1] == f"Ký bởi: {AGENCY_NAME}"
    assert text[2].startswith("Thời gian ký: ") and text[2].endswith("+07:00")
    sig = pdfcheck.signature(reader, ATTACHMENT_FIELD)
    pdfcheck.assert_passes(pdfcheck.validate(sig, jobs.pki.root_cert_path))


@pytest.mark.parametrize(
    ("name", "field"),
    [
        ("documentEmptySignature.pdf", "signature"),
        ("pdf-two-fields.pdf", "signature-test2"),
        ("unsignedPDFWithSignatureFieldButInvisible.pdf", "Signature1"),
    ],
)
def test_signs_into_a_named_existing_field(
    jobs: JobFactory, unsigned_dir: Path, name: str, field: str
) -> None:
    draft = prepare_draft((unsigned_dir / name).read_bytes(), None)
    job = replace(jobs.personal(f"doc-field-{name}"), field_name=field)

    signed = sign_personal(draft.pdf, job)

    reader = pdfcheck.read(signed)
    (sig,) = reader.embedded_signatures
    assert sig.field_name == field
    pdfcheck.assert_passes(pdfcheck.validate(sig, jobs.pki.root_cert_path))


def test_a_named_field_that_is_no_signature_field_is_refused(
    jobs: JobFactory, unsigned_dir: Path
) -> None:
    draft = prepare_draft((unsigned_dir / "doc.pdf").read_bytes(), None)
    job = replace(jobs.personal("doc-field-text"), field_name="First Name")

    with pytest.raises(InputError, match="not an empty signature field"):
        sign_personal(draft.pdf, job)


def test_verdict_of_the_untouched_form_passes(
    signed_form: bytes, jobs: JobFactory
) -> None:
    options = VerifyOptions(
        trust_root_paths=(jobs.pki.root_cert_path,), allow_fetching=False
    )
    report = verify_pdf(signed_form, options)
    assert report.verdict is Verdict.PASSED, render_text(report)
