"""Signing with keys in a PKCS#11 token (SoftHSM2), as with PKCS#12 files.

The personal signature and the seal are made through PKCS#11 with the test
PKI's keys imported into a SoftHSM2 token, in this process and in a spawned
worker, then validated by unmodified pyHanko (strict) and by edocx's
verifier. The key check reads the token's certificate: an expired one or a
person's key used as a seal is refused before the PDF is read.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from asn1crypto import x509
from cryptography.hazmat.primitives import serialization

from edocx.config import Settings
from edocx.errors import CertificateExpiredError, SealSubjectNotOrganisationError
from edocx.pki.credentials import load_signer
from edocx.pki.softhsm import import_key
from edocx.signing import number_and_seal, prepare_draft, sign_personal
from edocx.signing.issue import PERSONAL_FIELD, SEAL_FIELD
from edocx.signing.keycheck import check_signing_key
from edocx.verification import Verdict, VerifyOptions, render_text, verify_pdf
from edocx.workers.pool import WorkerPool
from tests.pki.devtoken import DevToken
from tests.signing import pdfcheck
from tests.signing.conftest import JobFactory
from tests.verification.rogue_certs import RogueIssuer

NOT_A_PDF = b"this is not a PDF"


@pytest.fixture(scope="module")
def draft(unsigned_dir: Path) -> bytes:
    return prepare_draft((unsigned_dir / "sample.pdf").read_bytes(), None).pdf


@pytest.fixture(scope="module")
def issued(jobs: JobFactory, dev_token: DevToken, draft: bytes) -> bytes:
    """A document signed and sealed with the token's keys."""
    personal = replace(
        jobs.personal("doc-token"), credential=dev_token.ref("person-a-signer")
    )
    seal = replace(jobs.seal("doc-token", 21), credential=dev_token.ref("seal-a"))
    return number_and_seal(sign_personal(draft, personal), seal)


@pytest.mark.parametrize(
    ("field", "key_label"),
    [(PERSONAL_FIELD, "person-a-signer"), (SEAL_FIELD, "seal-a")],
)
def test_token_signatures_pass_strict_pyhanko(
    issued: bytes, jobs: JobFactory, dev_token: DevToken, field: str, key_label: str
) -> None:
    reader = pdfcheck.read(issued)
    sig = pdfcheck.signature(reader, field)

    pdfcheck.assert_passes(pdfcheck.validate(sig, jobs.pki.root_cert_path))
    pdfcheck.assert_passes(
        pdfcheck.validate_offline(reader, sig, jobs.pki.root_cert_path)
    )
    token_cert = load_signer(dev_token.ref(key_label)).signing_cert
    assert sig.signer_cert.dump() == token_cert.dump()


def test_token_signed_document_passes_the_verifier(
    issued: bytes, jobs: JobFactory
) -> None:
    options = VerifyOptions(
        trust_root_paths=(jobs.pki.root_cert_path,), allow_fetching=False
    )

    report = verify_pdf(issued, options)

    assert report.verdict is Verdict.PASSED, render_text(report)
    assert [s.field for s in report.signatures] == [PERSONAL_FIELD, SEAL_FIELD]


@pytest.fixture
async def pool(test_settings: Settings) -> AsyncIterator[WorkerPool]:
    workers = WorkerPool(test_settings.workers.model_copy(update={"processes": 1}))
    await workers.start()
    yield workers
    await workers.close()


async def test_worker_process_opens_the_token_itself(
    pool: WorkerPool, jobs: JobFactory, dev_token: DevToken, draft: bytes
) -> None:
    # The reference crosses to a spawned process, which logs in on its own.
    job = replace(
        jobs.personal("doc-token-worker"), credential=dev_token.ref("person-a-signer")
    )

    signed = await pool.run(sign_personal, draft, job)

    reader = pdfcheck.read(signed)
    status = await asyncio.to_thread(
        pdfcheck.validate,
        pdfcheck.signature(reader, PERSONAL_FIELD),
        jobs.pki.root_cert_path,
    )
    pdfcheck.assert_passes(status)


def _import_rogue(
    dev_token: DevToken, rogue: RogueIssuer, label: str, *, not_after: datetime
) -> None:
    """Issue an ECDSA P-256 certificate (C and CN only) into the token."""
    signer = rogue.issue(
        label, not_before=datetime.now(UTC) - timedelta(days=30), not_after=not_after
    )
    key = serialization.load_der_private_key(signer.signing_key.dump(), None)
    certs: list[x509.Certificate] = [signer.signing_cert, *rogue.chain()]
    import_key(
        dev_token.module,
        dev_token.label,
        user_pin=dev_token.pin,
        key=key,
        certs=certs,
        key_label=label,
    )


@pytest.fixture(scope="module")
def rogue(jobs: JobFactory, passphrase: bytes) -> RogueIssuer:
    return RogueIssuer(jobs.pki, passphrase)


def test_ecdsa_token_key_signs_and_a_person_key_cannot_seal(
    dev_token: DevToken, rogue: RogueIssuer, jobs: JobFactory, draft: bytes
) -> None:
    _import_rogue(
        dev_token, rogue, "ecdsa-person", not_after=datetime.now(UTC) + timedelta(30)
    )
    ref = dev_token.ref("ecdsa-person")

    signed = sign_personal(draft, replace(jobs.personal("doc-ec"), credential=ref))
    reader = pdfcheck.read(signed)
    sig = pdfcheck.signature(reader, PERSONAL_FIELD)
    pdfcheck.assert_passes(pdfcheck.validate(sig, jobs.pki.root_cert_path))
    assert sig.signer_cert.public_key.algorithm == "ec"

    with pytest.raises(SealSubjectNotOrganisationError):
        number_and_seal(NOT_A_PDF, replace(jobs.seal("doc-ec", 1), credential=ref))


def test_expired_token_key_is_refused_before_the_pdf_is_read(
    dev_token: DevToken, rogue: RogueIssuer, jobs: JobFactory
) -> None:
    _import_rogue(
        dev_token, rogue, "expired-person", not_after=datetime.now(UTC) - timedelta(1)
    )
    job = replace(
        jobs.personal("doc-expired"), credential=dev_token.ref("expired-person")
    )

    with pytest.raises(CertificateExpiredError, match="expired-person"):
        check_signing_key(job)
    with pytest.raises(CertificateExpiredError):
        sign_personal(NOT_A_PDF, job)
