"""Long texts and the competence line in visible signatures.

A long position or agency name wraps at the box's width and the box grows
taller, so the text stays legible (never below ``wrapping.MIN_SIZE``) and
reads back letter for letter; the competence line (Decree 30/2020, Art. 13)
heads the personal signature; a draft that arrived signed is sealed at the
head of page 1 with the seal image.
"""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from edocx.signing import number_and_seal, prepare_draft, sign_personal
from edocx.signing.demoimages import SEAL_MM
from edocx.signing.fields import DATE_FIELD, NUMBER_FIELD
from edocx.signing.issue import PERSONAL_FIELD, SEAL_FIELD
from edocx.signing.levels import Level
from edocx.signing.wrapping import MIN_SIZE, fit_text, text_width, wrap
from edocx.verification import Verdict, VerifyOptions, render_text, verify_pdf
from tests.signing import pdfcheck, stampcheck
from tests.signing.conftest import SIGNER_NAME, JobFactory

LONG_POSITION = (
    "Phó Chủ tịch Thường trực Ủy ban nhân dân tỉnh phụ trách khối kinh tế "
    "tổng hợp, đầu tư, tài chính, ngân sách, quy hoạch và phát triển đô thị "
    "kiêm Trưởng ban Chỉ đạo chuyển đổi số của tỉnh"
)
LONG_AGENCY = (
    "Ủy ban nhân dân tỉnh Thừa Thiên Huế — Văn phòng Đoàn đại biểu Quốc hội "
    "và Hội đồng nhân dân tỉnh, Sở Khoa học và Công nghệ, Trung tâm Công nghệ "
    "thông tin và Truyền thông"
)
COMPETENCE = "TM. ỦY BAN NHÂN DÂN\nKT. CHỦ TỊCH"
SEAL_PT = SEAL_MM / 25.4 * 72


@pytest.fixture(scope="module")
def image_paths(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("layout-images")
    return stampcheck.write_images(folder, LONG_AGENCY, SIGNER_NAME)


def _issue(
    jobs: JobFactory, draft: bytes, images: tuple[Path, Path], name: str
) -> bytes:
    seal_image, signature_image = images
    personal = replace(
        jobs.personal(f"doc-layout-{name}"),
        competence=COMPETENCE,
        signature_image=signature_image,
    )
    seal = replace(jobs.seal(f"doc-layout-{name}", 12), seal_image=seal_image)
    if name == "long":
        personal = replace(personal, position=LONG_POSITION, agency_name=LONG_AGENCY)
        seal = replace(seal, agency_name=LONG_AGENCY)
    return number_and_seal(sign_personal(draft, personal), seal)


@pytest.fixture(scope="module")
def long_issued(
    jobs: JobFactory, unsigned_dir: Path, image_paths: tuple[Path, Path]
) -> bytes:
    draft = prepare_draft((unsigned_dir / "EmptyPage.pdf").read_bytes(), None)
    return _issue(jobs, draft.pdf, image_paths, "long")


@pytest.fixture(scope="module")
def signed_draft_issued(
    jobs: JobFactory, unsigned_dir: Path, image_paths: tuple[Path, Path]
) -> bytes:
    """pdfa2u-gray.pdf arrives signed: it gets no number fields."""
    draft = prepare_draft((unsigned_dir / "pdfa2u-gray.pdf").read_bytes(), None)
    assert draft.existing_signatures == 1
    return _issue(jobs, draft.pdf, image_paths, "signed-draft")


def _verify(pdf: bytes, jobs: JobFactory, *, only_ours: bool = False) -> None:
    options = VerifyOptions(
        trust_root_paths=(jobs.pki.root_cert_path,), allow_fetching=False
    )
    report = verify_pdf(pdf, options)
    if not only_ours:
        assert report.verdict is Verdict.PASSED, render_text(report)
    for sig in report.signatures:
        assert not any(change.suspicious for change in sig.changes), sig.field
        if sig.field in (PERSONAL_FIELD, SEAL_FIELD):
            assert sig.passed, render_text(report)


def test_long_texts_wrap_at_a_legible_size(long_issued: bytes) -> None:
    for field_name in (PERSONAL_FIELD, SEAL_FIELD):
        sizes = stampcheck.drawn_sizes(long_issued, field_name)
        assert sizes and min(sizes) >= MIN_SIZE, (field_name, sizes)


def test_long_texts_read_back_letter_for_letter(long_issued: bytes) -> None:
    personal = stampcheck.extracted_text(long_issued, PERSONAL_FIELD)
    seal = stampcheck.extracted_text(long_issued, SEAL_FIELD)

    lines = personal.splitlines()
    assert lines[:3] == [
        "TM. ỦY BAN NHÂN DÂN",
        "KT. CHỦ TỊCH",
        f"Người ký: {SIGNER_NAME}",
    ]
    assert len(lines) > 6  # the position and the agency wrapped
    joined = " ".join(lines)
    assert f"Chức vụ: {LONG_POSITION}" in joined
    assert f"Cơ quan: {LONG_AGENCY}" in joined
    assert f"Ký bởi: {LONG_AGENCY}" in " ".join(seal.splitlines())


def test_wrapped_boxes_stay_on_the_page_and_pass(
    long_issued: bytes, jobs: JobFactory
) -> None:
    reader = pdfcheck.read(long_issued)
    px1, py1, px2, py2 = (
        float(v) for v in reader.root["/Pages"]["/Kids"][0]["/MediaBox"]
    )
    for field_name in (PERSONAL_FIELD, SEAL_FIELD):
        x1, y1, x2, y2 = (float(v) for v in pdfcheck.field(reader, field_name)["/Rect"])
        assert px1 <= x1 < x2 <= px2 and py1 <= y1 < y2 <= py2

    _verify(long_issued, jobs)


def test_competence_line_is_left_out_when_absent(
    jobs: JobFactory, unsigned_dir: Path
) -> None:
    draft = prepare_draft((unsigned_dir / "EmptyPage.pdf").read_bytes(), None)
    job = replace(jobs.personal("doc-layout-plain"), competence=" \n", level=Level.B_B)

    signed = sign_personal(draft.pdf, job)

    text = stampcheck.extracted_text(signed, PERSONAL_FIELD)
    assert text.splitlines()[0] == f"Người ký: {SIGNER_NAME}"


def test_signed_draft_is_sealed_at_the_head_with_the_seal_image(
    signed_draft_issued: bytes, jobs: JobFactory
) -> None:
    reader = pdfcheck.read(signed_draft_issued)
    seal = pdfcheck.field(reader, SEAL_FIELD)

    assert pdfcheck.page_of(reader, seal) == 0
    (image,) = stampcheck.images(seal["/AP"]["/N"])
    assert image["/ColorSpace"] == "/DeviceGray"  # the grey output intent
    ((width, height),) = stampcheck.image_sizes(seal["/AP"]["/N"])
    assert width == pytest.approx(SEAL_PT, abs=0.5)
    assert height == pytest.approx(SEAL_PT, abs=0.5)
    top_of_box = float(seal["/Rect"][3])
    top = float(reader.root["/Pages"]["/Kids"][0].get_object()["/MediaBox"][3])
    assert top_of_box > top - 60  # at the head of the page

    text = stampcheck.extracted_text(signed_draft_issued, SEAL_FIELD)
    assert text.splitlines()[0] == "Số: 12/QĐ-UBND"
    assert min(stampcheck.drawn_sizes(signed_draft_issued, SEAL_FIELD)) >= MIN_SIZE
    # The draft's own signature chains to a root the test does not trust.
    _verify(signed_draft_issued, jobs, only_ours=True)


# Where the template of sample.pdf wants its number and date: clear of the
# text the page carries at its top left.
TEMPLATE_RECTS = {
    NUMBER_FIELD: (300.0, 700.0, 450.0, 720.0),
    DATE_FIELD: (300.0, 670.0, 560.0, 690.0),
}


def _template(pdf: bytes) -> bytes:
    """Give ``pdf`` the empty number and date text fields a template has."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    page_ref, _ = writer.find_page_for_modification(0)
    refs = []
    for name, rect in TEMPLATE_RECTS.items():
        field = generic.DictionaryObject(
            {
                pdf_name("/Type"): pdf_name("/Annot"),
                pdf_name("/Subtype"): pdf_name("/Widget"),
                pdf_name("/FT"): pdf_name("/Tx"),
                pdf_name("/T"): generic.TextStringObject(name),
                pdf_name("/DA"): generic.TextStringObject("/Helv 10 Tf 0 g"),
                pdf_name("/Rect"): generic.ArrayObject(
                    generic.FloatObject(v) for v in rect
                ),
            }
        )
        ref = writer.add_object(field)
        writer.register_annotation(page_ref, ref)
        refs.append(ref)
    writer.root[pdf_name("/AcroForm")] = generic.DictionaryObject(
        {pdf_name("/Fields"): generic.ArrayObject(refs)}
    )
    writer.update_root()
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_template_fields_take_the_number_and_date(
    jobs: JobFactory, unsigned_dir: Path
) -> None:
    template = _template((unsigned_dir / "sample.pdf").read_bytes())

    draft = prepare_draft(template, None)
    signed = sign_personal(draft.pdf, jobs.personal("doc-layout-template"))
    sealed = number_and_seal(signed, jobs.seal("doc-layout-template", 8))

    reader = pdfcheck.read(sealed)
    names = [ref.get_object()["/T"] for ref in reader.root["/AcroForm"]["/Fields"]]
    assert names.count(NUMBER_FIELD) == names.count(DATE_FIELD) == 1
    for name, rect in TEMPLATE_RECTS.items():
        field = pdfcheck.field(reader, name)
        assert tuple(float(v) for v in field["/Rect"]) == rect
        assert int(field["/Ff"]) & 1  # read-only
    number = pdfcheck.field(reader, NUMBER_FIELD)
    assert str(number["/V"]) == "Số: 08/QĐ-UBND"
    assert pdfcheck.drawn_text(number["/AP"]["/N"]) == ["Số: 08/QĐ-UBND"]
    _verify(sealed, jobs)


def test_wrap_keeps_every_line_within_the_width() -> None:
    text = f"Chức vụ: {LONG_POSITION}\nx{'y' * 80}z"

    lines = wrap(text, 120.0, 9)

    assert all(text_width(line, 9) <= 120.0 for line in lines)
    assert "".join(lines[-3:]).endswith("z")  # a long word is cut, not lost
    assert " ".join(lines[:-4]).startswith("Chức vụ: Phó Chủ tịch")


def test_fit_text_steps_down_no_lower_than_the_minimum() -> None:
    roomy = fit_text(LONG_AGENCY, 150.0, 10, 1000.0)
    tight = fit_text(LONG_AGENCY, 150.0, 10, 20.0)

    assert roomy.size == 10
    assert tight.size == MIN_SIZE
    assert tight.height > 20.0  # the caller grows the box or shrinks it last
