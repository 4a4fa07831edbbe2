"""Signed documents from the test PKI, made once per run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from edocx.config import Settings
from edocx.pki.devpki import PKILayout, tsa_url
from edocx.pki.server import PKIServerThread
from edocx.verification import VerifyOptions
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
