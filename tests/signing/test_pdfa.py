"""PDF/A drafts stay PDF/A when signed with images (ISO 19005).

The claim and the output intent survive; the images in the signatures fit
the rules of the part: no transparency in PDF/A-1 (the seal is flattened
onto white), grey on a grey output intent, ICC-based colour without one;
every font the stamps use is embedded.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from pyhanko.pdf_utils import generic

from edocx.signing import number_and_seal, prepare_draft, sign_personal
from edocx.signing.issue import PERSONAL_FIELD, SEAL_FIELD
from edocx.signing.pdfa import ColourRules, colour_rules
from edocx.signing.reading import open_pdf
from tests.signing import pdfcheck, stampcheck
from tests.signing.conftest import AGENCY_NAME, SIGNER_NAME, JobFactory

# file: (PDF/A part, output intent components, expected image colour space)
PDFA_FILES = {
    "not_signed_pdfa.pdf": (1, 3, "/DeviceRGB"),
    "pdfa2a-rgb.pdf": (2, 3, "/DeviceRGB"),
    "pdfa2u-gray.pdf": (2, 1, "/DeviceGray"),
    "testdoc.pdf": (2, None, "/ICCBased"),
}


@pytest.fixture(scope="module")
def image_paths(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("pdfa-images")
    return stampcheck.write_images(folder, AGENCY_NAME, SIGNER_NAME)


@pytest.fixture(scope="module")
def issued(
    jobs: JobFactory, unsigned_dir: Path, image_paths: tuple[Path, Path]
) -> dict[str, bytes]:
    seal_image, signature_image = image_paths
    results = {}
    for number, name in enumerate(PDFA_FILES, start=50):
        draft = prepare_draft((unsigned_dir / name).read_bytes(), None)
        personal = replace(
            jobs.personal(f"doc-{name}"), signature_image=signature_image
        )
        seal = replace(jobs.seal(f"doc-{name}", number), seal_image=seal_image)
        signed = sign_personal(draft.pdf, personal)
        results[name] = number_and_seal(signed, seal)
    return results


def _our_images(pdf: bytes) -> list[generic.StreamObject]:
    reader = pdfcheck.read(pdf)
    found = []
    for name in (PERSONAL_FIELD, SEAL_FIELD):
        field = pdfcheck.field(reader, name)
        found.extend(stampcheck.images(field["/AP"]["/N"]))
    return found


def _fonts(xobject: generic.StreamObject) -> list[generic.DictionaryObject]:
    resources = xobject.get("/Resources", generic.DictionaryObject())
    fonts = [f.get_object() for f in resources.get("/Font", {}).values()]
    for inner in resources.get("/XObject", generic.DictionaryObject()).values():
        inner = inner.get_object()
        if inner.get("/Subtype") == "/Form":
            fonts.extend(_fonts(inner))
    return fonts


@pytest.mark.parametrize("name", PDFA_FILES)
def test_claim_and_output_intent_survive(
    issued: dict[str, bytes], unsigned_dir: Path, name: str
) -> None:
    part, components, _ = PDFA_FILES[name]
    original = open_pdf((unsigned_dir / name).read_bytes(), None, strict=False)

    assert colour_rules(original.reader) == ColourRules(part, components)
    assert colour_rules(pdfcheck.read(issued[name])) == ColourRules(part, components)


@pytest.mark.parametrize("name", PDFA_FILES)
def test_images_fit_the_part_and_the_output_intent(
    issued: dict[str, bytes], name: str
) -> None:
    part, _, colour_space = PDFA_FILES[name]
    images = _our_images(issued[name])

    # The signature image and the seal's, at the foot or (on the draft that
    # arrived signed) at the head of page 1.
    assert len(images) == 2
    for image in images:
        space = image["/ColorSpace"]
        if isinstance(space, generic.ArrayObject):
            space = space[0]
        assert space == colour_space
        assert ("/SMask" in image) is (part != 1)


@pytest.mark.parametrize("name", PDFA_FILES)
def test_stamp_fonts_are_embedded(issued: dict[str, bytes], name: str) -> None:
    reader = pdfcheck.read(issued[name])

    for field_name in (PERSONAL_FIELD, SEAL_FIELD):
        fonts = _fonts(pdfcheck.field(reader, field_name)["/AP"]["/N"])
        assert fonts
        for font in fonts:
            (descendant,) = font["/DescendantFonts"]
            assert "/FontFile2" in descendant.get_object()["/FontDescriptor"]


@pytest.mark.parametrize("name", PDFA_FILES)
def test_pdfa_signatures_pass(
    issued: dict[str, bytes], jobs: JobFactory, name: str
) -> None:
    reader = pdfcheck.read(issued[name])

    for field_name in (PERSONAL_FIELD, SEAL_FIELD):
        sig = pdfcheck.signature(reader, field_name)
        pdfcheck.assert_passes(pdfcheck.validate(sig, jobs.pki.root_cert_path))
