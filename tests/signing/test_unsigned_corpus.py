"""Every unsigned PDF the hub accepts is issued with both signatures passing.

The files and what a signer must do with each are in the README of
``pdf-unsigned``; the refusals (truncated, password needed, permissions)
are in ``test_drafts``, and sample.pdf, PDF.pdf, pdf-2.0.pdf and
pdf-xref-streams.pdf in ``test_issue``. Here each remaining file is
prepared (with its password where it has one), signed by its competent
person with a signature image, numbered and sealed with the seal image, and
both signatures must pass pyHanko's strict validation.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from edocx.signing import number_and_seal, prepare_draft, sign_personal
from edocx.signing.issue import PERSONAL_FIELD, SEAL_FIELD
from tests.signing import pdfcheck, stampcheck
from tests.signing.conftest import AGENCY_NAME, SIGNER_NAME, JobFactory

# The README's single-space password of the protected files.
SPACE = " "
FILES: dict[str, str | None] = {
    "EmptyPage.pdf": None,
    "empty-two-pages.pdf": None,
    "testdoc.pdf": None,
    "not_signed_pdfa.pdf": None,
    "documentEmptySignature.pdf": None,
    "unsignedPDFWithSignatureFieldButInvisible.pdf": None,
    "pdf-with-annotations.pdf": None,
    "doc.pdf": None,
    "protected_protected_two_empty_fields.pdf": SPACE,
    "protected_edition_protected_none.pdf": SPACE,
    "protected_edition_protected_signing_allowed_with_field.pdf": SPACE,
}


@pytest.fixture(scope="module")
def image_paths(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("corpus-images")
    return stampcheck.write_images(folder, AGENCY_NAME, SIGNER_NAME)


@pytest.mark.parametrize("name", FILES)
def test_issued_with_both_signatures_passing(
    jobs: JobFactory,
    unsigned_dir: Path,
    image_paths: tuple[Path, Path],
    name: str,
) -> None:
    seal_image, signature_image = image_paths
    draft = prepare_draft((unsigned_dir / name).read_bytes(), FILES[name])
    personal = replace(
        jobs.personal(f"doc-corpus-{name}"), signature_image=signature_image
    )
    seal = replace(jobs.seal(f"doc-corpus-{name}", 60), seal_image=seal_image)

    sealed = number_and_seal(sign_personal(draft.pdf, personal), seal)

    reader = pdfcheck.read(sealed)
    for field_name in (PERSONAL_FIELD, SEAL_FIELD):
        sig = pdfcheck.signature(reader, field_name)
        pdfcheck.assert_passes(pdfcheck.validate(sig, jobs.pki.root_cert_path))
