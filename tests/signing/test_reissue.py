"""An issued document must not be issued again under another number.

Another agency could take an issued document, have its own signer sign it
and its clerk issue it: the number and date fields would be refilled while
the first agency's signatures still covered the first number. The hub
refuses such a draft, and the verifier fails signatures whose covered field
values were changed later, whoever signs after.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from edocx.errors import PDFAlreadyIssuedError
from edocx.signing import SealJob, number_and_seal, prepare_draft, sign_personal
from edocx.signing.issue import PERSONAL_FIELD, SEAL_FIELD
from edocx.verification import Verdict, VerifyOptions, verify_pdf
from tests.signing.conftest import JobFactory


@pytest.fixture(scope="module")
def issued_by_a(jobs: JobFactory, unsigned_dir: Path) -> bytes:
    draft = prepare_draft((unsigned_dir / "sample.pdf").read_bytes(), None)
    signed = sign_personal(draft.pdf, jobs.personal("doc-a"))
    return number_and_seal(signed, jobs.seal("doc-a", 1))


@pytest.fixture(scope="module")
def offline(jobs: JobFactory) -> VerifyOptions:
    return VerifyOptions(
        trust_root_paths=(jobs.pki.root_cert_path,), allow_fetching=False
    )


def reissue_by_b(jobs: JobFactory, issued: bytes) -> bytes:
    """Sign and issue ``issued`` again as agency B would, bypassing the hub."""
    signed = sign_personal(issued, jobs.personal("doc-b", label="person-b-signer"))
    seal_job = SealJob(
        agency_name="Văn phòng Chính phủ",
        number=11,
        notation="QĐ-VPCP",
        place="Hà Nội",
        issued_on=date(2025, 3, 6),
        **jobs.common("seal-b", "doc-b", None),  # type: ignore[arg-type]
    )
    return number_and_seal(signed, seal_job)


def test_issued_document_is_refused_as_a_draft(issued_by_a: bytes) -> None:
    with pytest.raises(PDFAlreadyIssuedError) as caught:
        prepare_draft(issued_by_a, None)

    assert caught.value.code == "pdf-already-issued"
    assert caught.value.status == 422
    assert "edocx_number" in caught.value.detail
    assert caught.value.hint is not None and "forward" in caught.value.hint


def test_signed_but_unissued_document_is_refused_as_a_draft(
    jobs: JobFactory, unsigned_dir: Path
) -> None:
    draft = prepare_draft((unsigned_dir / "sample.pdf").read_bytes(), None)
    signed = sign_personal(draft.pdf, jobs.personal("doc-signed"))

    with pytest.raises(PDFAlreadyIssuedError) as caught:
        prepare_draft(signed, None)

    assert "edocx_personal" in caught.value.detail
    assert "upload the unsigned draft" in caught.value.detail


def test_the_normal_issue_passes(issued_by_a: bytes, offline: VerifyOptions) -> None:
    report = verify_pdf(issued_by_a, offline)

    assert report.verdict is Verdict.PASSED
    assert [s.field for s in report.signatures] == [PERSONAL_FIELD, SEAL_FIELD]


def test_reissue_fails_the_original_signatures(
    jobs: JobFactory, issued_by_a: bytes, offline: VerifyOptions
) -> None:
    reissued = reissue_by_b(jobs, issued_by_a)

    report = verify_pdf(reissued, offline)

    by_name = {s.field: s for s in report.signatures}
    assert report.verdict is Verdict.FAILED
    for name in (PERSONAL_FIELD, SEAL_FIELD):
        assert by_name[name].indication == "TOTAL-FAILED"
        assert any(
            "changed after this signature" in r.en for r in by_name[name].reasons
        )
