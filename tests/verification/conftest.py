"""Signed documents from the test PKI, made once per run."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers
from pyhanko.sign.fields import SigSeedSubFilter

from edocx.config import Settings
from edocx.pki.devpki import PKILayout, tsa_url
from edocx.pki.server import PKIServerThread
from edocx.signing import number_and_seal, prepare_draft, sign_personal
from edocx.verification import VerifyOptions
from tests.signing.conftest import JobFactory
from tests.verification.pdfs import PKISigner, blank_pdf


@pytest.fixture(scope="session")
def test_signer(
    dev_pki: PKILayout,
    pki_server: PKIServerThread,
    passphrase: bytes,
    test_settings: Settings,
) -> PKISigner:
    return PKISigner(dev_pki, passphrase, tsa_url(test_settings))


@pytest.fixture(scope="session")
def issued(
    dev_pki: PKILayout,
    pki_server: PKIServerThread,
    passphrase: bytes,
    test_settings: Settings,
) -> bytes:
    """A document as the hub issues it: personal signature, number, seal."""
    jobs = JobFactory(dev_pki, passphrase, tsa_url(test_settings))
    draft = prepare_draft(blank_pdf(), None)
    signed = sign_personal(draft.pdf, jobs.personal("doc-issued"))
    return number_and_seal(signed, jobs.seal("doc-issued", 12))


@pytest.fixture(scope="session")
def sha1_signed(test_signer: PKISigner) -> bytes:
    """A legacy adbe.pkcs7.detached signature over SHA-1."""
    meta = signers.PdfSignatureMetadata(
        field_name="Signature1",
        md_algorithm="sha1",
        subfilter=SigSeedSubFilter.ADOBE_PKCS7_DETACHED,
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(blank_pdf()))
    signer = test_signer.signer("person-a-signer")
    signed: bytes = signers.PdfSigner(meta, signer=signer).sign_pdf(writer).getvalue()
    return signed


@pytest.fixture(scope="session")
def offline(dev_pki: PKILayout) -> VerifyOptions:
    """Offline verification trusting the test PKI's root."""
    return VerifyOptions(
        trust_root_paths=(dev_pki.root_cert_path,), allow_fetching=False
    )


@pytest.fixture(scope="session")
def signed_blt(test_signer: PKISigner) -> bytes:
    """PAdES B-LT by a person in good standing, signed with pyHanko directly."""
    return test_signer.sign(blank_pdf(), "person-a-signer")


@pytest.fixture(scope="session")
def signed_bt(test_signer: PKISigner) -> bytes:
    """PAdES B-T: a signature timestamp, no revocation data in the file."""
    return test_signer.sign(blank_pdf(), "seal-b", lt=False)


@pytest.fixture(scope="session")
def signed_by_revoked(test_signer: PKISigner) -> bytes:
    """B-LT by ``person-a-revoked``, whose certificate the CA has revoked."""
    signed = test_signer.sign(blank_pdf(), "person-a-revoked", lt=False)
    return test_signer.add_crl_to_dss(signed, "person-a-revoked")


@pytest.fixture()
def write(tmp_path: Path):  # type: ignore[no-untyped-def]
    def _write(name: str, data: bytes) -> Path:
        path = tmp_path / name
        path.write_bytes(data)
        return path

    return _write


@pytest.fixture(scope="session")
def dev_pki_root(dev_pki: PKILayout) -> Path:
    return dev_pki.root_cert_path


@pytest.fixture(scope="session")
def foreign_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A self-signed root that issued nothing in the test PKI."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Foreign Root CA")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    path = tmp_path_factory.mktemp("foreign") / "root.pem"
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return path
