"""Raising signed PDFs to B-LT and B-LTA in new revisions."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

from edocx.errors import SigningError
from edocx.signing import (
    Level,
    prepare_draft,
    sign_personal_outcome,
    sign_plain_outcome,
)
from edocx.signing.augment import AugmentSetup, augment_pdf
from edocx.verification import (
    Indication,
    ValidationReport,
    VerifyOptions,
    render_text,
    verify_pdf,
)
from edocx.verification.level import short_level
from tests.signing import pdfcheck
from tests.signing.conftest import JobFactory


@pytest.fixture(scope="module")
def draft(unsigned_dir: Path) -> bytes:
    return prepare_draft((unsigned_dir / "sample.pdf").read_bytes(), None).pdf


def setup_of(jobs: JobFactory) -> AugmentSetup:
    return AugmentSetup(
        trust_root_paths=(jobs.pki.root_cert_path,),
        extra_cert_paths=jobs.pki.chain_cert_paths,
        tsa_urls=(jobs.tsa_url,),
    )


def offline(pdf: bytes, jobs: JobFactory) -> ValidationReport:
    options = VerifyOptions(
        trust_root_paths=(jobs.pki.root_cert_path,), allow_fetching=False
    )
    return verify_pdf(pdf, options)


def signed_at(jobs: JobFactory, draft: bytes, level: Level) -> bytes:
    job = replace(jobs.personal(f"doc-augment-{level}"), level=level)
    return sign_personal_outcome(draft, job).pdf


@pytest.mark.parametrize("target", [Level.B_LT, Level.B_LTA], ids=str)
def test_a_b_t_signature_rises_without_its_bytes_changing(
    jobs: JobFactory, draft: bytes, target: Level
) -> None:
    original = signed_at(jobs, draft, Level.B_T)
    assert short_level(offline(original, jobs).signatures[0].level) == "B-T"

    outcome = augment_pdf(original, target, setup_of(jobs))

    # Every byte the signature covers, and the rest of the old file, stays.
    assert outcome.pdf[: len(original)] == original
    assert (outcome.level, outcome.warnings) == (target, ())
    reader = pdfcheck.read(outcome.pdf)
    (sig,) = reader.embedded_regular_signatures
    pdfcheck.assert_passes(
        pdfcheck.validate_offline(reader, sig, jobs.pki.root_cert_path)
    )
    report = offline(outcome.pdf, jobs)
    signature = report.signatures[0]
    assert signature.indication is Indication.TOTAL_PASSED, render_text(report)
    assert short_level(signature.level) == str(target)
    assert report.doc_timestamp_count == (1 if target.archival else 0)


def test_b_lt_rises_to_b_lta_and_again(jobs: JobFactory, draft: bytes) -> None:
    original = signed_at(jobs, draft, Level.B_LT)

    once = augment_pdf(original, Level.B_LTA, setup_of(jobs)).pdf
    twice = augment_pdf(once, Level.B_LTA, setup_of(jobs)).pdf

    assert twice[: len(once)] == once
    report = offline(twice, jobs)
    assert report.doc_timestamp_count == 2
    assert all(s.indication is Indication.TOTAL_PASSED for s in report.signatures), (
        render_text(report)
    )
    assert short_level(report.signatures[0].level) == "B-LTA"


def test_each_certificate_is_validated_once_per_document(
    jobs: JobFactory, draft: bytes, validations: Counter[bytes]
) -> None:
    # Two B-T signatures (a person and a seal) timestamped by the one TSA,
    # which also makes the document timestamp.
    personal = signed_at(jobs, draft, Level.B_T)
    job = replace(jobs.plain("doc-augment-two"), level=Level.B_T)
    both = sign_plain_outcome(personal, job).pdf
    validations.clear()

    outcome = augment_pdf(both, Level.B_LTA, setup_of(jobs))

    # Two signers and the TSA, each once.
    assert sorted(validations.values()) == [1, 1, 1]
    report = offline(outcome.pdf, jobs)
    assert [s.indication for s in report.signatures[:2]] == [
        Indication.TOTAL_PASSED
    ] * 2, render_text(report)
    assert report.doc_timestamp_count == 1


def test_a_b_b_signature_gets_its_data_and_a_warning(
    jobs: JobFactory, draft: bytes
) -> None:
    original = signed_at(jobs, draft, Level.B_B)

    outcome = augment_pdf(original, Level.B_LT, setup_of(jobs))

    (warning,) = outcome.warnings
    assert "edocx_personal" in warning and "stays below B-LT" in warning
    assert "/DSS" in pdfcheck.read(outcome.pdf).root
    assert short_level(offline(outcome.pdf, jobs).signatures[0].level) == "B-B"


def test_an_unsigned_pdf_is_refused(jobs: JobFactory, draft: bytes) -> None:
    with pytest.raises(SigningError, match="no signature to augment"):
        augment_pdf(draft, Level.B_LT, setup_of(jobs))


def test_b_lta_without_a_tsa_is_refused(jobs: JobFactory, draft: bytes) -> None:
    original = signed_at(jobs, draft, Level.B_T)

    with pytest.raises(SigningError, match="needs a timestamp authority"):
        augment_pdf(original, Level.B_LTA, replace(setup_of(jobs), tsa_urls=()))
