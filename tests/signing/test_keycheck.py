"""Signing keys refused before any work on the PDF, one error per reason.

The flawed certificates are issued for each test by the test PKI's real
issuing CA (see ``tests.verification.rogue_certs``) and packed into a
PKCS#12 file, so they reach the signing code as the hub's own keys do. Each
refusal is shown on a file that is not a PDF at all: the key is refused
first, so the PDF is never read and nothing is signed.
"""

from __future__ import annotations

import pickle
import re
import urllib.request
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from asn1crypto import crl
from cryptography import x509 as pyca
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from pyhanko.pdf_utils.misc import PdfReadError

from edocx.config import Settings
from edocx.errors import (
    CertificateExpiredError,
    CertificateNotYetValidError,
    CertificateRevokedError,
    EdocxError,
    KeyUsageMissingError,
    SealSubjectNotOrganisationError,
)
from edocx.pki.credentials import CredentialRef
from edocx.signing import number_and_seal, prepare_draft, sign_personal, sign_plain
from edocx.signing.keycheck import check_signing_key
from edocx.web.table import ROUTES
from tests.signing import pdfcheck
from tests.signing.conftest import JobFactory
from tests.verification.rogue_certs import ENCIPHERMENT_ONLY, RogueIssuer

NOT_A_PDF = b"this is not a PDF"
DAY = timedelta(days=1)


@pytest.fixture(scope="module")
def rogue(jobs: JobFactory, passphrase: bytes) -> RogueIssuer:
    return RogueIssuer(jobs.pki, passphrase)


@pytest.fixture(scope="module")
def draft(unsigned_dir: Path) -> bytes:
    return prepare_draft((unsigned_dir / "EmptyPage.pdf").read_bytes(), None).pdf


def _credential(
    rogue: RogueIssuer,
    path: Path,
    passphrase: bytes,
    *,
    not_before: datetime,
    not_after: datetime,
    usage: pyca.KeyUsage | None = None,
) -> CredentialRef:
    """Issue a certificate (subject C and CN only) and write its PKCS#12."""
    extra = {} if usage is None else {"usage": usage}
    signer = rogue.issue(path.stem, not_before=not_before, not_after=not_after, **extra)
    assert signer.signing_cert is not None
    key = serialization.load_der_private_key(signer.signing_key.dump(), None)
    cert = pyca.load_der_x509_certificate(signer.signing_cert.dump())
    chain = [pyca.load_der_x509_certificate(c.dump()) for c in rogue.chain()]
    data = pkcs12.serialize_key_and_certificates(
        path.stem.encode(),
        key,  # type: ignore[arg-type]
        cert,
        chain,
        serialization.BestAvailableEncryption(passphrase),
    )
    path.write_bytes(data)
    return CredentialRef(path, passphrase)


def _now() -> datetime:
    return datetime.now(UTC)


def _assert_client_refusal(error: EdocxError, code: str) -> None:
    assert error.code == code
    assert error.status == 409
    assert error.hint
    assert type(pickle.loads(pickle.dumps(error))) is type(error)


def test_expired_certificate_is_refused(
    jobs: JobFactory, rogue: RogueIssuer, tmp_path: Path, passphrase: bytes
) -> None:
    ref = _credential(
        rogue,
        tmp_path / "expired.p12",
        passphrase,
        not_before=_now() - 30 * DAY,
        not_after=_now() - DAY,
    )
    job = replace(jobs.personal("doc-key-expired"), credential=ref)

    with pytest.raises(CertificateExpiredError) as caught:
        sign_personal(NOT_A_PDF, job)

    _assert_client_refusal(caught.value, "signer-certificate-expired")
    assert "expired" in caught.value.detail


def test_certificate_not_yet_valid_is_refused(
    jobs: JobFactory, rogue: RogueIssuer, tmp_path: Path, passphrase: bytes
) -> None:
    ref = _credential(
        rogue,
        tmp_path / "future.p12",
        passphrase,
        not_before=_now() + DAY,
        not_after=_now() + 30 * DAY,
    )
    job = replace(jobs.personal("doc-key-future"), credential=ref)

    with pytest.raises(CertificateNotYetValidError) as caught:
        sign_personal(NOT_A_PDF, job)

    _assert_client_refusal(caught.value, "signer-certificate-not-yet-valid")
    assert "valid only from" in caught.value.detail


def test_validity_is_judged_at_the_jobs_signing_time(jobs: JobFactory) -> None:
    # The dev signer's certificate lasts five years from the PKI's creation.
    job = jobs.personal("doc-key-at")

    with pytest.raises(CertificateExpiredError):
        check_signing_key(replace(job, at=job.at + 6 * 366 * DAY))
    with pytest.raises(CertificateNotYetValidError):
        check_signing_key(replace(job, at=job.at - 2 * DAY))
    check_signing_key(job)


def test_key_without_signing_usage_is_refused(
    jobs: JobFactory, rogue: RogueIssuer, tmp_path: Path, passphrase: bytes
) -> None:
    ref = _credential(
        rogue,
        tmp_path / "encipherment.p12",
        passphrase,
        not_before=_now() - DAY,
        not_after=_now() + 30 * DAY,
        usage=ENCIPHERMENT_ONLY,
    )
    job = replace(jobs.plain("doc-key-usage"), credential=ref)

    with pytest.raises(KeyUsageMissingError) as caught:
        sign_plain(NOT_A_PDF, job)

    _assert_client_refusal(caught.value, "signer-key-usage-missing")
    assert "key_encipherment" in caught.value.detail


def test_seal_needs_an_organisation_subject(
    jobs: JobFactory, rogue: RogueIssuer, tmp_path: Path, passphrase: bytes
) -> None:
    # A sound signing certificate, but for a person: C and CN, no O.
    ref = _credential(
        rogue,
        tmp_path / "person.p12",
        passphrase,
        not_before=_now() - DAY,
        not_after=_now() + 30 * DAY,
    )
    seal = replace(jobs.seal("doc-key-seal", 7), credential=ref)

    with pytest.raises(SealSubjectNotOrganisationError) as caught:
        number_and_seal(NOT_A_PDF, seal)

    _assert_client_refusal(caught.value, "seal-subject-not-organisation")
    # The same key may make a personal signature.
    check_signing_key(replace(jobs.personal("doc-key-person"), credential=ref))


def test_revoked_signer_is_refused_before_the_pdf_is_read(jobs: JobFactory) -> None:
    job = jobs.personal("doc-key-revoked", label="person-a-revoked")

    with pytest.raises(CertificateRevokedError) as caught:
        sign_personal(NOT_A_PDF, job)

    _assert_client_refusal(caught.value, "signer-certificate-revoked")
    assert "revoked" in caught.value.detail
    assert caught.value.__cause__ is not None


def test_revocation_time_is_shown_in_vietnam_time(
    jobs: JobFactory, test_settings: Settings
) -> None:
    job = jobs.personal("doc-key-revoked-time", label="person-a-revoked")
    crl_url = (
        f"{test_settings.pki_url}/{test_settings.pki.arch}/crls/issuing/latest.crl"
    )
    with urllib.request.urlopen(crl_url, timeout=10) as answer:
        entries = crl.CertificateList.load(answer.read())["tbs_cert_list"]
    revoked_at = entries["revoked_certificates"][0]["revocation_date"].native

    with pytest.raises(CertificateRevokedError) as caught:
        check_signing_key(job)

    shown = re.search(r"revoked at (\S+), ", caught.value.detail)
    assert shown is not None, caught.value.detail
    when = datetime.fromisoformat(shown.group(1))
    assert shown.group(1).endswith("+07:00")
    assert when == revoked_at
    assert caught.value.detail.endswith(", due to a compromised key")


def test_a_sound_key_goes_on_to_the_pdf(jobs: JobFactory) -> None:
    # Past the key check, the broken file is what fails (drafts reach the
    # signing code through prepare_draft, which turns this into pdf-unusable).
    with pytest.raises(PdfReadError):
        sign_personal(NOT_A_PDF, jobs.personal("doc-key-sound"))


def test_normal_signers_still_sign(jobs: JobFactory, draft: bytes) -> None:
    signed = sign_personal(draft, jobs.personal("doc-key-normal"))
    sealed = number_and_seal(signed, jobs.seal("doc-key-normal", 3))

    reader = pdfcheck.read(sealed)
    assert len(reader.embedded_signatures) == 2
    for sig in reader.embedded_signatures:
        status = pdfcheck.validate_offline(reader, sig, jobs.pki.root_cert_path)
        pdfcheck.assert_passes(status)


def test_signing_routes_list_the_refusals() -> None:
    codes = {
        route.path.rsplit("/", 1)[-1]: set(route.problems or ())
        for route in ROUTES
        if route.method == "POST"
    }
    key_codes = {
        "signer-certificate-expired",
        "signer-certificate-not-yet-valid",
        "signer-certificate-revoked",
        "signer-key-usage-missing",
    }
    assert key_codes <= codes["sign"]
    assert key_codes | {"seal-subject-not-organisation"} <= codes["issue"]
