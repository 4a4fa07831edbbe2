"""Visible signatures as Decree 30/2020 lays them out, with images and text.

The competent person signs with a signature image, the agency seals with a
red seal image at its actual size overlapping the left third of it, and a
reader extracts the Vietnamese names back letter for letter.
"""

from __future__ import annotations

import io
import unicodedata
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont  # type: ignore[import-untyped]
from pyhanko.sign.diff_analysis import ModificationLevel

from edocx.signing import number_and_seal, prepare_draft, sign_personal
from edocx.signing.demoimages import SEAL_MM
from edocx.signing.fonts import LICENCE_FILE, font_bytes, font_path
from edocx.signing.issue import PERSONAL_FIELD, SEAL_FIELD
from edocx.signing.stamps import IMAGE_SHARE
from edocx.verification import Verdict, VerifyOptions, render_text, verify_pdf
from edocx.vntime import iso_vietnam
from tests.signing import pdfcheck, stampcheck
from tests.signing.conftest import JobFactory

SIGNER = "Nguyễn Thị Hường"
OTHER_SIGNER = "Đặng Văn Lâm"
POSITION = "Phó Chủ tịch"
AGENCY = "Ủy ban nhân dân tỉnh Thừa Thiên Huế"
SEAL_PT = SEAL_MM / 25.4 * 72


@dataclass(frozen=True)
class Issued:
    signed: bytes
    sealed: bytes
    personal_at: str
    seal_at: str


@pytest.fixture(scope="module")
def image_paths(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("stamp-images")
    return stampcheck.write_images(folder, AGENCY, SIGNER)


def issue(jobs: JobFactory, pdf: bytes, images: tuple[Path, Path], name: str) -> Issued:
    seal_image, signature_image = images
    personal = replace(
        jobs.personal(f"doc-stamps-{name}"),
        signer_name=SIGNER,
        position=POSITION,
        agency_name=AGENCY,
        signature_image=signature_image,
    )
    seal = replace(
        jobs.seal(f"doc-stamps-{name}", 9), agency_name=AGENCY, seal_image=seal_image
    )
    signed = sign_personal(pdf, personal)
    sealed = number_and_seal(signed, seal)
    return Issued(signed, sealed, iso_vietnam(personal.at), iso_vietnam(seal.at))


@pytest.fixture(scope="module")
def issued(
    jobs: JobFactory, unsigned_dir: Path, image_paths: tuple[Path, Path]
) -> Issued:
    draft = prepare_draft((unsigned_dir / "sample.pdf").read_bytes(), None)
    return issue(jobs, draft.pdf, image_paths, "sample")


def test_font_ships_with_the_package_and_its_licence() -> None:
    path = font_path()

    assert "edocx" in path.parts and path.parent.name == "data"
    assert "Bitstream Vera" in (path.parent / LICENCE_FILE).read_text()
    assert len(font_bytes()) > 10_000


def test_font_has_every_vietnamese_letter() -> None:
    cmap = TTFont(io.BytesIO(font_bytes())).getBestCmap()
    tones = ("", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323")
    letters = {
        unicodedata.normalize("NFC", vowel + tone)
        for vowel in "aăâeêioôơuưy"
        for tone in tones
    }
    letters |= set("bcdđghklmnpqrstvx")
    letters |= {letter.upper() for letter in letters}

    assert len(letters) == 2 * (12 * 6 + 17)
    assert [c for c in sorted(letters) if ord(c) not in cmap] == []


def test_vietnamese_names_extract_letter_for_letter(issued: Issued) -> None:
    personal = stampcheck.extracted_text(issued.sealed, PERSONAL_FIELD)
    seal = stampcheck.extracted_text(issued.sealed, SEAL_FIELD)

    # Long lines wrap at spaces (see test_layout).
    assert stampcheck.words(personal) == stampcheck.words(
        f"Người ký: {SIGNER}",
        f"Chức vụ: {POSITION}",
        f"Cơ quan: {AGENCY}",
        f"Thời gian ký: {issued.personal_at}",
    )
    assert personal.splitlines()[0] == f"Người ký: {SIGNER}"
    assert stampcheck.words(seal) == stampcheck.words(
        f"Ký bởi: {AGENCY}",
        f"Thời gian ký: {issued.seal_at}",
    )
    assert issued.seal_at.endswith("+07:00")


def test_other_names_extract_too(
    jobs: JobFactory, unsigned_dir: Path, image_paths: tuple[Path, Path]
) -> None:
    draft = prepare_draft((unsigned_dir / "EmptyPage.pdf").read_bytes(), None)
    job = replace(jobs.personal("doc-stamps-lam"), signer_name=OTHER_SIGNER)

    signed = sign_personal(draft.pdf, job)

    text = stampcheck.extracted_text(signed, PERSONAL_FIELD)
    assert text.splitlines()[0] == f"Người ký: {OTHER_SIGNER}"


def test_personal_signature_draws_the_signers_image(issued: Issued) -> None:
    reader = pdfcheck.read(issued.sealed)
    personal = pdfcheck.field(reader, PERSONAL_FIELD)

    (image,) = stampcheck.images(personal["/AP"]["/N"])
    assert image["/ColorSpace"] == "/DeviceRGB"
    assert "/SMask" in image  # the transparent background stays transparent
    ((width, _),) = stampcheck.image_sizes(personal["/AP"]["/N"])
    x1, _, x2, _ = (float(v) for v in personal["/Rect"])
    assert 0 < width <= (x2 - x1) * IMAGE_SHARE + 1


def test_seal_image_is_red_actual_size_over_the_left_third(issued: Issued) -> None:
    reader = pdfcheck.read(issued.sealed)
    personal = pdfcheck.field(reader, PERSONAL_FIELD)
    seal = pdfcheck.field(reader, SEAL_FIELD)

    (image,) = stampcheck.images(seal["/AP"]["/N"])
    assert "/SMask" in image
    ((width, height),) = stampcheck.image_sizes(seal["/AP"]["/N"])
    assert width == pytest.approx(SEAL_PT, abs=0.5)
    assert height == pytest.approx(SEAL_PT, abs=0.5)

    # The seal's right edge (its image's) lies on the personal signature's
    # image zone, a third of the way in.
    px1, py1, px2, py2 = (float(v) for v in personal["/Rect"])
    sx1, sy1, sx2, sy2 = (float(v) for v in seal["/Rect"])
    third = px1 + (px2 - px1) * IMAGE_SHARE / 3
    assert sx2 == pytest.approx(third, abs=1)
    assert sx1 < px1 < sx2
    assert sy1 < (py1 + py2) / 2 < sy2


def test_both_signatures_pass_with_images(issued: Issued, jobs: JobFactory) -> None:
    reader = pdfcheck.read(issued.sealed)

    for field_name in (PERSONAL_FIELD, SEAL_FIELD):
        status = pdfcheck.validate(
            pdfcheck.signature(reader, field_name), jobs.pki.root_cert_path
        )
        pdfcheck.assert_passes(status)
    personal = pdfcheck.signature(reader, PERSONAL_FIELD)
    status = pdfcheck.validate(personal, jobs.pki.root_cert_path)
    assert status.modification_level == ModificationLevel.FORM_FILLING

    options = VerifyOptions(
        trust_root_paths=(jobs.pki.root_cert_path,), allow_fetching=False
    )
    report = verify_pdf(issued.sealed, options)
    assert report.verdict is Verdict.PASSED, render_text(report)
