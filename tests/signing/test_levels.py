"""Signing at each PAdES baseline level, and which level a document gets."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from edocx.config import AgencySigningSettings, SigningSettings
from edocx.errors import SigningError
from edocx.exchange.compute import level_rules
from edocx.signing import Level, prepare_draft, sign_personal_outcome
from edocx.signing.levels import LevelRules, level_for
from edocx.verification import Indication, VerifyOptions, render_text, verify_pdf
from edocx.verification.level import short_level
from tests.conftest import free_port
from tests.signing import pdfcheck
from tests.signing.conftest import AGENCY_CODE, JobFactory

H14 = "000.00.00.H14"


@pytest.fixture(scope="module")
def draft(unsigned_dir: Path) -> bytes:
    return prepare_draft((unsigned_dir / "sample.pdf").read_bytes(), None).pdf


def online(jobs: JobFactory) -> VerifyOptions:
    # B-B and B-T carry no revocation data: the verifier fetches it.
    return VerifyOptions(
        trust_root_paths=(jobs.pki.root_cert_path,), allow_fetching=True
    )


@pytest.mark.parametrize("level", list(Level), ids=str)
def test_each_level_is_made_and_reported_by_both_validators(
    jobs: JobFactory, draft: bytes, level: Level
) -> None:
    job = replace(jobs.personal(f"doc-level-{level}"), level=level)

    outcome = sign_personal_outcome(draft, job)

    assert (outcome.level, outcome.requested, outcome.downgraded) == (
        level,
        level,
        False,
    )
    report = verify_pdf(outcome.pdf, online(jobs))
    signature = report.signatures[0]
    # Nothing proves when a B-B signature was made: edocx's verifier cannot
    # confirm the certificate for that time.
    expected = (
        Indication.TOTAL_PASSED if level.timestamped else Indication.INDETERMINATE
    )
    assert signature.indication is expected, render_text(report)
    assert short_level(signature.level) == str(level)
    assert report.doc_timestamp_count == (1 if level.archival else 0)

    reader = pdfcheck.read(outcome.pdf)
    assert ("/DSS" in reader.root) == level.long_term
    status = pdfcheck.validate(
        reader.embedded_regular_signatures[0], jobs.pki.root_cert_path
    )
    assert status.bottom_line, status.pretty_print_details()
    assert (status.timestamp_validity is not None) == level.timestamped


def test_b_lt_and_b_lta_verify_offline_from_the_file_alone(
    jobs: JobFactory, draft: bytes
) -> None:
    for level in (Level.B_LT, Level.B_LTA):
        job = replace(jobs.personal(f"doc-offline-{level}"), level=level)
        signed = sign_personal_outcome(draft, job).pdf

        reader = pdfcheck.read(signed)
        sig = reader.embedded_regular_signatures[0]
        pdfcheck.assert_passes(
            pdfcheck.validate_offline(reader, sig, jobs.pki.root_cert_path)
        )


def test_a_downgrade_is_in_the_outcome_with_its_reason(
    jobs: JobFactory, draft: bytes
) -> None:
    dead = f"http://127.0.0.1:{free_port()}/tsa"
    job = replace(
        jobs.personal("doc-level-downgrade"),
        level=Level.B_LTA,
        tsa_urls=(dead,),
        allow_downgrade_to_bb=True,
    )

    outcome = sign_personal_outcome(draft, job)

    assert outcome.downgraded
    assert (outcome.level, outcome.requested) == (Level.B_B, Level.B_LTA)
    (warning,) = outcome.warnings
    assert "instead of B-LTA" in warning and dead in warning
    report = verify_pdf(outcome.pdf, online(jobs))
    assert short_level(report.signatures[0].level) == "B-B"
    assert report.doc_timestamp_count == 0


def test_a_timestamped_level_without_a_tsa_is_refused(
    jobs: JobFactory, draft: bytes
) -> None:
    job = replace(jobs.personal("doc-level-no-tsa"), level=Level.B_T, tsa_urls=())

    with pytest.raises(SigningError, match="level B-T needs a timestamp authority"):
        sign_personal_outcome(draft, job)


def test_the_most_specific_rule_gives_the_level() -> None:
    rules = LevelRules(
        default=Level.B_T,
        by_type={"Nghị quyết": Level.B_LTA, "Công văn": Level.B_B},
        by_agency={AGENCY_CODE: Level.B_LT},
        by_agency_type={AGENCY_CODE: {"Công văn": Level.B_T}},
    )

    def level(agency: str, kind: str) -> Level:
        return level_for(rules, agency_code=agency, document_type=kind)

    assert level(H14, "Quyết định") is Level.B_T  # the default
    assert level(AGENCY_CODE, "Quyết định") is Level.B_LT  # the agency's
    assert level(AGENCY_CODE, "nghị  QUYẾT") is Level.B_LTA  # the type's
    assert level(H14, "Công văn") is Level.B_B  # the type's
    assert level(AGENCY_CODE, "Công văn") is Level.B_T  # the agency's for the type


def test_the_configuration_names_types_by_name_or_abbreviation() -> None:
    signing = SigningSettings(
        level="B-LT",
        document_types={"NQ": "B-LTA"},
        agencies={AGENCY_CODE: AgencySigningSettings(document_types={"qđ": "B-B"})},
    )

    rules = level_rules(signing)

    assert rules.default is Level.B_LT
    assert dict(rules.by_type or {}) == {"Nghị quyết": Level.B_LTA}
    assert level_for(rules, agency_code=AGENCY_CODE, document_type="Quyết định") is (
        Level.B_B
    )
    assert SigningSettings().level == "B-T"


@pytest.mark.parametrize(
    "bad",
    [{"level": "B-LTX"}, {"document_types": {"Thư tình": "B-T"}}],
    ids=["level", "type"],
)
def test_a_wrong_level_or_type_is_a_configuration_error(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        SigningSettings.model_validate(bad)
