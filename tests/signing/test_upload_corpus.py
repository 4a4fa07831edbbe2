"""The upload path over every shared PDF: refused with a 4xx, never a crash.

A draft upload runs ``prepare_draft`` and then, for a draft that carries
signatures, ``verify_pdf``; ``/verify`` runs ``verify_pdf`` on anything.
Whatever the file, each either returns or raises an ``EdocxError`` whose
status is a client error; any other exception would answer 500. Both run
in-process here, as the worker would run them.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from edocx.errors import EdocxError, PDFUnusableError, VerificationError
from edocx.signing import prepare_draft
from edocx.signing.drafts import UNANALYSABLE
from edocx.signing.fields import NUMBER_FIELD
from edocx.verification import Verdict, VerifyOptions, verify_pdf
from tests.signing import pdfcheck

REPO_ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = Path(os.environ.get("EDOCX_TEST_DATA", REPO_ROOT.parent / "shared" / "data"))
FOLDERS = ("dss-pdf", "pdf-unsigned")
OFFLINE = VerifyOptions(trust_root_paths=(), allow_fetching=False)

pytestmark = pytest.mark.timeout(120)


def _every_pdf() -> list[object]:
    paths = sorted(p for f in FOLDERS for p in (DATA_DIR / f).glob("*.pdf"))
    if not paths:
        reason = f"shared PDFs not found under {DATA_DIR} (set EDOCX_TEST_DATA)"
        return [pytest.param(None, marks=pytest.mark.skip(reason=reason))]
    return [pytest.param(p, id=f"{p.parent.name}/{p.name}") for p in paths]


def _dss(name: str) -> bytes:
    path = DATA_DIR / "dss-pdf" / name
    if not path.is_file():
        pytest.skip(f"{path} not found (set EDOCX_TEST_DATA)")
    return path.read_bytes()


def _assert_client_error(error: EdocxError) -> None:
    assert 400 <= error.status < 500, f"{error.code}: {error.detail}"
    assert error.detail
    # The catch-all is a safety net; every shared file has a named reason.
    assert error.detail != UNANALYSABLE


@pytest.mark.parametrize("path", _every_pdf())
def test_upload_is_prepared_or_refused_with_a_client_error(path: Path) -> None:
    data = path.read_bytes()

    try:
        draft = prepare_draft(data, None)
    except EdocxError as e:
        _assert_client_error(e)
    else:
        assert draft.page_count >= 1
        assert draft.existing_signatures >= 0

    try:
        report = verify_pdf(data, OFFLINE)
    except EdocxError as e:
        _assert_client_error(e)
    else:
        assert report.verdict in Verdict
        assert not report.has_problem("internal-error"), report.problems


@pytest.mark.parametrize(
    "name", ["pdf-with-empty-sig.pdf", "pdf-with-two-empty-sigs.pdf"]
)
def test_empty_signature_field_is_not_a_signature(name: str) -> None:
    # Placeholders with an all-zero /Contents: nothing was signed.
    data = _dss(name)

    draft = prepare_draft(data, None)

    assert draft.existing_signatures == 0
    assert not any("signature(s)" in w for w in draft.warnings)
    pdfcheck.field(pdfcheck.read(draft.pdf), NUMBER_FIELD)


def test_draft_whose_signature_cannot_be_decoded_is_refused_as_invalid() -> None:
    # The CMS holds two SignerInfos; a PDF signature has exactly one.
    data = _dss("pdf-double-signer-info.pdf")

    with pytest.raises(VerificationError) as caught:
        prepare_draft(data, None)

    assert caught.value.code == "signature-invalid"
    assert caught.value.status == 422
    assert "Signature1" in caught.value.detail


def test_signed_draft_that_reads_only_leniently_is_refused() -> None:
    # A signature dictionary defines /Type twice; only a lenient reader
    # takes it, and rewriting the file would break its signatures.
    data = _dss("Signature-P-SK-1 (HASH_FAILURE).pdf")

    with pytest.raises(PDFUnusableError) as caught:
        prepare_draft(data, None)

    assert "already carries a signature" in caught.value.detail


def test_draft_with_a_broken_encryption_dictionary_is_unusable() -> None:
    data = _dss("pdf-spoofing-attack.pdf")

    with pytest.raises(PDFUnusableError) as caught:
        prepare_draft(data, None)

    assert "encryption" in caught.value.detail
