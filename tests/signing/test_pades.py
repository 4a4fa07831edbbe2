"""The plain B-LT signature and how signing fails."""

from __future__ import annotations

import pickle
from dataclasses import replace
from pathlib import Path

import pytest
from pyhanko.sign.validation import SignatureCoverageLevel

from edocx.errors import CertificateRevokedError, TimestampError
from edocx.signing import prepare_draft, sign_personal, sign_plain
from edocx.signing.issue import PLAIN_FIELD
from tests.conftest import free_port
from tests.signing import pdfcheck
from tests.signing.conftest import JobFactory


@pytest.fixture(scope="module")
def draft(unsigned_dir: Path) -> bytes:
    return prepare_draft((unsigned_dir / "EmptyPage.pdf").read_bytes(), None).pdf


def test_plain_signature_is_one_invisible_b_lt_signature(
    jobs: JobFactory, unsigned_dir: Path
) -> None:
    data = (unsigned_dir / "empty-two-pages.pdf").read_bytes()

    signed = sign_plain(data, jobs.plain("doc-plain"))

    reader = pdfcheck.read(signed)
    (sig,) = reader.embedded_signatures
    assert sig.field_name == PLAIN_FIELD
    assert [float(v) for v in pdfcheck.field(reader, PLAIN_FIELD)["/Rect"]] == [0] * 4
    status = pdfcheck.validate_offline(reader, sig, jobs.pki.root_cert_path)
    pdfcheck.assert_passes(status)
    assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE


def test_unreachable_tsa_raises_timestamp_error(
    jobs: JobFactory, draft: bytes, passphrase: bytes
) -> None:
    # Nothing listens on this loopback port.
    dead_tsa = f"http://127.0.0.1:{free_port()}/tsa"
    job = jobs.personal("doc-no-tsa", tsa=dead_tsa)

    with pytest.raises(TimestampError) as caught:
        sign_personal(draft, job)

    assert caught.value.code == "timestamp-unavailable"
    assert passphrase.decode() not in str(caught.value)
    assert isinstance(caught.value.__cause__, Exception)


def test_revoked_signer_is_refused_with_a_client_error(
    jobs: JobFactory, draft: bytes
) -> None:
    job = jobs.personal("doc-revoked", label="person-a-revoked")

    with pytest.raises(CertificateRevokedError) as caught:
        sign_personal(draft, job)

    # Not a gateway failure (502): the signer's certificate is the problem.
    assert caught.value.code == "signer-certificate-revoked"
    assert 400 <= caught.value.status < 500
    assert "revoked" in caught.value.detail
    assert caught.value.__cause__ is not None
    assert isinstance(pickle.loads(pickle.dumps(caught.value)), CertificateRevokedError)


def test_naive_signing_time_is_refused(jobs: JobFactory) -> None:
    job = jobs.personal("doc-naive")

    with pytest.raises(ValueError, match="timezone-aware"):
        replace(job, at=job.at.replace(tzinfo=None))


def test_jobs_cross_process_boundaries(jobs: JobFactory, passphrase: bytes) -> None:
    job = jobs.seal("doc-pickle", 12)

    copy = pickle.loads(pickle.dumps(job))

    assert copy == job
    assert copy.code == "12/QĐ-UBND"
    assert passphrase.decode() not in repr(job)
