"""The whole issue pipeline on real PDFs: prepare, personal signature, seal.

Each document is signed once per run (module-scoped fixture); the tests then
look at the result as a verifier would, online against the test PKI and
offline with nothing but the file's own validation data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import SignatureCoverageLevel

from edocx.signing import number_and_seal, prepare_draft, sign_personal
from edocx.signing.fields import DATE_FIELD, NUMBER_FIELD
from edocx.signing.issue import PERSONAL_FIELD, SEAL_FIELD
from edocx.verification import Verdict, VerifyOptions, render_text, verify_pdf
from edocx.vntime import VIETNAM_TIME, iso_vietnam
from tests.signing import pdfcheck
from tests.signing.conftest import AGENCY_NAME, SIGNER_NAME, JobFactory

DOCUMENTS = ["sample.pdf", "PDF.pdf", "pdf-2.0.pdf", "pdf-xref-streams.pdf"]


@dataclass(frozen=True)
class Issued:
    name: str
    number: int
    signed: bytes  # after the personal signature
    sealed: bytes  # after numbering and the seal
    personal_at: str
    seal_at: str


@pytest.fixture(scope="module")
def issued(jobs: JobFactory, unsigned_dir: Path) -> dict[str, Issued]:
    results = {}
    for number, name in enumerate(DOCUMENTS, start=7):
        draft = prepare_draft((unsigned_dir / name).read_bytes(), None)
        personal_job = jobs.personal(f"doc-{name}")
        signed = sign_personal(draft.pdf, personal_job)
        seal_job = jobs.seal(f"doc-{name}", number)
        sealed = number_and_seal(signed, seal_job)
        results[name] = Issued(
            name,
            number,
            signed,
            sealed,
            iso_vietnam(personal_job.at),
            iso_vietnam(seal_job.at),
        )
    return results


@pytest.mark.parametrize("name", DOCUMENTS)
def test_personal_signature_survives_numbering_and_seal(
    issued: dict[str, Issued], jobs: JobFactory, name: str
) -> None:
    reader = pdfcheck.read(issued[name].sealed)
    status = pdfcheck.validate(
        pdfcheck.signature(reader, PERSONAL_FIELD), jobs.pki.root_cert_path
    )

    pdfcheck.assert_passes(status)
    assert status.coverage == SignatureCoverageLevel.ENTIRE_REVISION
    assert status.modification_level == ModificationLevel.FORM_FILLING


@pytest.mark.parametrize("name", DOCUMENTS)
def test_seal_covers_the_whole_file(
    issued: dict[str, Issued], jobs: JobFactory, name: str
) -> None:
    reader = pdfcheck.read(issued[name].sealed)
    seal = pdfcheck.signature(reader, SEAL_FIELD)
    status = pdfcheck.validate(seal, jobs.pki.root_cert_path)

    pdfcheck.assert_passes(status)
    assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    assert status.modification_level == ModificationLevel.NONE
    assert [s.field_name for s in reader.embedded_signatures] == [
        PERSONAL_FIELD,
        SEAL_FIELD,
    ]


@pytest.mark.parametrize("name", DOCUMENTS)
def test_both_signatures_verify_offline_from_the_file_alone(
    issued: dict[str, Issued], jobs: JobFactory, name: str
) -> None:
    # B-LT: the DSS carries every certificate, OCSP response and CRL needed,
    # for the signers and the TSA, so hard-fail revocation checking passes
    # with fetching off.
    reader = pdfcheck.read(issued[name].sealed)

    for field_name in (PERSONAL_FIELD, SEAL_FIELD):
        sig = pdfcheck.signature(reader, field_name)
        pdfcheck.assert_passes(
            pdfcheck.validate_offline(reader, sig, jobs.pki.root_cert_path)
        )


@pytest.mark.parametrize("name", DOCUMENTS)
def test_number_and_date_are_drawn_on_page_one(
    issued: dict[str, Issued], name: str
) -> None:
    reader = pdfcheck.read(issued[name].sealed)
    number = pdfcheck.field(reader, NUMBER_FIELD)
    date = pdfcheck.field(reader, DATE_FIELD)
    expected_number = f"Số: {issued[name].number:02d}/QĐ-UBND"

    assert pdfcheck.drawn_text(number["/AP"]["/N"]) == [expected_number]
    assert number["/V"] == expected_number
    assert pdfcheck.drawn_text(date["/AP"]["/N"]) == [
        "Nghệ An, ngày 05 tháng 3 năm 2025"
    ]
    assert pdfcheck.page_of(reader, number) == 0


@pytest.mark.parametrize("name", DOCUMENTS)
def test_personal_signature_signed_the_placeholders(
    issued: dict[str, Issued], name: str
) -> None:
    # The number is given after the competent person signs (Decree 30/2020).
    reader = pdfcheck.read(issued[name].signed)
    number = pdfcheck.field(reader, NUMBER_FIELD)

    assert "/V" not in number
    assert pdfcheck.drawn_text(number["/AP"]["/N"]) == ["Số:        /"]


@pytest.mark.parametrize("name", DOCUMENTS)
def test_signatures_are_visible_on_the_last_page(
    issued: dict[str, Issued], name: str
) -> None:
    reader = pdfcheck.read(issued[name].sealed)
    last = int(reader.root["/Pages"]["/Count"]) - 1
    personal = pdfcheck.field(reader, PERSONAL_FIELD)
    seal = pdfcheck.field(reader, SEAL_FIELD)

    assert pdfcheck.page_of(reader, personal) == last
    assert pdfcheck.page_of(reader, seal) == last
    assert pdfcheck.drawn_text(personal["/AP"]["/N"]) == [
        f"Người ký: {SIGNER_NAME}",
        "Chức vụ: Chủ tịch",
        f"Cơ quan: {AGENCY_NAME}",
        f"Thời gian ký: {issued[name].personal_at}",
    ]
    assert pdfcheck.drawn_text(seal["/AP"]["/N"]) == [
        f"Ký bởi: {AGENCY_NAME}",
        f"Thời gian ký: {issued[name].seal_at}",
    ]


def test_signing_time_is_the_jobs_time_in_vietnam_time(
    issued: dict[str, Issued],
) -> None:
    result = issued["sample.pdf"]
    reader = pdfcheck.read(result.sealed)
    seal = pdfcheck.signature(reader, SEAL_FIELD)

    assert result.seal_at.endswith("+07:00")
    assert seal.self_reported_timestamp is not None
    shown = seal.self_reported_timestamp.astimezone(VIETNAM_TIME)
    assert shown.isoformat().startswith(result.seal_at[:19])
    assert shown.utcoffset() == timedelta(hours=7)


def test_signatures_are_approvals_not_certifications(
    issued: dict[str, Issued],
) -> None:
    reader = pdfcheck.read(issued["PDF.pdf"].sealed)

    assert all(sig.docmdp_level is None for sig in reader.embedded_signatures)
    assert "/Perms" not in reader.root


@pytest.fixture(scope="module")
def foreign_signed(jobs: JobFactory, unsigned_dir: Path) -> bytes:
    """pdfa2u-gray.pdf, which arrives with a signature under a foreign root."""
    draft = prepare_draft((unsigned_dir / "pdfa2u-gray.pdf").read_bytes(), None)
    signed = sign_personal(draft.pdf, jobs.personal("doc-foreign"))
    return number_and_seal(signed, jobs.seal("doc-foreign", 31))


def test_foreign_signature_stays_intact(
    foreign_signed: bytes, jobs: JobFactory
) -> None:
    reader = pdfcheck.read(foreign_signed)
    foreign = reader.embedded_signatures[0]

    # Its certificate names an issuer URL on the internet: never fetch.
    status = pdfcheck.validate(foreign, jobs.pki.root_cert_path, fetch=False)

    assert foreign.field_name not in (PERSONAL_FIELD, SEAL_FIELD)
    assert status.intact and status.valid
    assert not status.trusted
    assert status.docmdp_ok
    assert status.modification_level is not None
    assert status.modification_level <= ModificationLevel.FORM_FILLING


def test_our_signatures_pass_on_a_foreign_signed_draft(
    foreign_signed: bytes, jobs: JobFactory
) -> None:
    reader = pdfcheck.read(foreign_signed)

    for field_name in (PERSONAL_FIELD, SEAL_FIELD):
        sig = pdfcheck.signature(reader, field_name)
        pdfcheck.assert_passes(pdfcheck.validate(sig, jobs.pki.root_cert_path))


def test_seal_shows_the_number_on_a_foreign_signed_draft(
    foreign_signed: bytes,
) -> None:
    reader = pdfcheck.read(foreign_signed)
    seal = pdfcheck.field(reader, SEAL_FIELD)

    assert pdfcheck.page_of(reader, seal) == 0
    drawn = pdfcheck.drawn_text(seal["/AP"]["/N"])
    assert drawn[:2] == ["Số: 31/QĐ-UBND", "Nghệ An, ngày 05 tháng 3 năm 2025"]


def test_encrypted_draft_is_issued_with_its_password(
    jobs: JobFactory, unsigned_dir: Path
) -> None:
    data = (unsigned_dir / "protected_open_protected.pdf").read_bytes()

    draft = prepare_draft(data, " ")
    signed = sign_personal(draft.pdf, jobs.personal("doc-encrypted"))
    sealed = number_and_seal(signed, jobs.seal("doc-encrypted", 2))

    reader = pdfcheck.read(sealed)
    assert not reader.encrypted
    for field_name in (PERSONAL_FIELD, SEAL_FIELD):
        sig = pdfcheck.signature(reader, field_name)
        pdfcheck.assert_passes(pdfcheck.validate(sig, jobs.pki.root_cert_path))


@pytest.mark.parametrize("name", ["pdf-two-fields.pdf", "pdfa2a-rgb.pdf"])
def test_awkward_drafts_issue_cleanly(
    jobs: JobFactory, unsigned_dir: Path, name: str
) -> None:
    # A dangling reference and a clobbered xref stream: each would break the
    # personal signature's difference analysis or the strict reading of the
    # result. (PDF.pdf, above, holds an annotation embedded in its page.)
    draft = prepare_draft((unsigned_dir / name).read_bytes(), None)
    signed = sign_personal(draft.pdf, jobs.personal(f"doc-{name}"))
    sealed = number_and_seal(signed, jobs.seal(f"doc-{name}", 40))

    reader = pdfcheck.read(sealed)
    for field_name in (PERSONAL_FIELD, SEAL_FIELD):
        sig = pdfcheck.signature(reader, field_name)
        pdfcheck.assert_passes(pdfcheck.validate(sig, jobs.pki.root_cert_path))


def test_signature_dictionaries_name_the_signers(issued: dict[str, Issued]) -> None:
    reader = pdfcheck.read(issued["sample.pdf"].sealed)

    personal = pdfcheck.signature(reader, PERSONAL_FIELD)
    seal = pdfcheck.signature(reader, SEAL_FIELD)
    assert personal.sig_object["/Name"] == SIGNER_NAME
    assert seal.sig_object["/Name"] == AGENCY_NAME
    assert personal.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"


def test_draft_with_an_empty_signature_placeholder_is_issued(
    jobs: JobFactory, test_data_dir: Path
) -> None:
    # A field holding a reserved, all-zero /Contents: nothing was signed, so
    # the draft is prepared, signed and sealed like any unsigned one.
    path = test_data_dir / "dss-pdf" / "pdf-with-empty-sig.pdf"
    if not path.is_file():
        pytest.skip(f"{path} not found")

    draft = prepare_draft(path.read_bytes(), None)
    signed = sign_personal(draft.pdf, jobs.personal("doc-placeholder"))
    sealed = number_and_seal(signed, jobs.seal("doc-placeholder", 41))

    options = VerifyOptions(
        trust_root_paths=(jobs.pki.root_cert_path,), allow_fetching=False
    )
    report = verify_pdf(sealed, options)
    assert report.verdict is Verdict.PASSED, render_text(report)
    assert [s.field for s in report.signatures] == [PERSONAL_FIELD, SEAL_FIELD]
    assert report.has_problem("empty-signature")
