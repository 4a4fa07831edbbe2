"""Certificates the test PKI's issuing CA would never issue, issued with its key.

An expired certificate, one not yet valid, one without a signing key usage,
one revoked after the signature was made: each is signed by the real
issuing CA, so its chain is sound and only the flaw under test remains.
Nothing is written to the test PKI; the certificates, their keys and the
CRL that revokes them live in memory only.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from asn1crypto import crl, keys, x509
from cryptography import x509 as pyca
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import (
    CertificateIssuerPrivateKeyTypes,
)
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers, timestamps
from pyhanko.sign.fields import SigSeedSubFilter, enumerate_sig_fields
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko.sign.validation.pdf_embedded import extract_contents
from pyhanko_certvalidator.registry import SimpleCertificateStore

from edocx.pki.devpki import PKILayout

SIGNING_USAGE = pyca.KeyUsage(
    digital_signature=True,
    content_commitment=True,
    key_encipherment=False,
    data_encipherment=False,
    key_agreement=False,
    key_cert_sign=False,
    crl_sign=False,
    encipher_only=False,
    decipher_only=False,
)
# A key for encryption only: no digital signature, no non-repudiation.
ENCIPHERMENT_ONLY = pyca.KeyUsage(
    digital_signature=False,
    content_commitment=False,
    key_encipherment=True,
    data_encipherment=False,
    key_agreement=False,
    key_cert_sign=False,
    crl_sign=False,
    encipher_only=False,
    decipher_only=False,
)


@dataclass(frozen=True)
class RogueIssuer:
    """The test PKI's issuing CA, used directly through its key."""

    layout: PKILayout
    passphrase: bytes

    def _ca(self) -> tuple[pyca.Certificate, CertificateIssuerPrivateKeyTypes]:
        cert = pyca.load_pem_x509_certificate(
            self.layout.cert_path("issuing").read_bytes()
        )
        key = serialization.load_pem_private_key(
            self.layout.key_path("issuing").read_bytes(), self.passphrase
        )
        assert isinstance(key, rsa.RSAPrivateKey)
        return cert, key

    def issue(
        self,
        name: str,
        *,
        not_before: datetime,
        not_after: datetime,
        usage: pyca.KeyUsage = SIGNING_USAGE,
    ) -> signers.SimpleSigner:
        """A subscriber certificate naming the issuing CA's CRL, and its signer."""
        ca_cert, ca_key = self._ca()
        key = ec.generate_private_key(ec.SECP256R1())
        crl_points = pyca.load_pem_x509_certificate(
            self.layout.cert_path("person-a-signer").read_bytes()
        ).extensions.get_extension_for_class(pyca.CRLDistributionPoints)
        cert = (
            pyca.CertificateBuilder()
            .subject_name(
                pyca.Name(
                    [
                        pyca.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
                        pyca.NameAttribute(NameOID.COMMON_NAME, name),
                    ]
                )
            )
            .issuer_name(ca_cert.subject)
            .public_key(key.public_key())
            .serial_number(pyca.random_serial_number())
            .not_valid_before(not_before)
            .not_valid_after(not_after)
            .add_extension(usage, critical=True)
            .add_extension(crl_points.value, critical=False)
            .add_extension(
                pyca.AuthorityKeyIdentifier.from_issuer_public_key(
                    ca_cert.public_key()  # type: ignore[arg-type]
                ),
                critical=False,
            )
            .sign(ca_key, hashes.SHA256())
        )
        return signers.SimpleSigner(
            signing_cert=_asn1_cert(cert),
            signing_key=keys.PrivateKeyInfo.load(
                key.private_bytes(
                    serialization.Encoding.DER,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                )
            ),
            cert_registry=SimpleCertificateStore.from_certs(
                [_asn1_cert(ca_cert), self._root()]
            ),
        )

    def crl(
        self,
        revoked: dict[int, datetime],
        *,
        this_update: datetime,
        next_update: datetime,
    ) -> crl.CertificateList:
        """The issuing CA's CRL listing ``revoked`` (serial: revocation time)."""
        ca_cert, ca_key = self._ca()
        builder = (
            pyca.CertificateRevocationListBuilder()
            .issuer_name(ca_cert.subject)
            .last_update(this_update)
            .next_update(next_update)
            .add_extension(pyca.CRLNumber(int(this_update.timestamp())), False)
            .add_extension(
                pyca.AuthorityKeyIdentifier.from_issuer_public_key(
                    ca_cert.public_key()  # type: ignore[arg-type]
                ),
                critical=False,
            )
        )
        for serial, moment in revoked.items():
            entry = (
                pyca.RevokedCertificateBuilder()
                .serial_number(serial)
                .revocation_date(moment)
                .add_extension(
                    pyca.CRLReason(pyca.ReasonFlags.key_compromise), critical=False
                )
                .build()
            )
            builder = builder.add_revoked_certificate(entry)
        signed = builder.sign(ca_key, hashes.SHA256())
        return crl.CertificateList.load(signed.public_bytes(serialization.Encoding.DER))

    def _root(self) -> x509.Certificate:
        return _asn1_cert(
            pyca.load_pem_x509_certificate(self.layout.root_cert_path.read_bytes())
        )

    def chain(self) -> list[x509.Certificate]:
        ca_cert, _ = self._ca()
        return [_asn1_cert(ca_cert), self._root()]


def _asn1_cert(cert: pyca.Certificate) -> x509.Certificate:
    return x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def sign_plain(
    pdf: bytes, signer: signers.Signer, *, tsa_url: str | None = None
) -> bytes:
    """PAdES B-B (or B-T with a TSA), no validation data, in field Signature1."""
    meta = signers.PdfSignatureMetadata(
        field_name="Signature1", subfilter=SigSeedSubFilter.PADES
    )
    timestamper = timestamps.HTTPTimeStamper(tsa_url) if tsa_url else None
    pdf_signer = signers.PdfSigner(meta, signer=signer, timestamper=timestamper)
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    return bytes(pdf_signer.sign_pdf(writer).getvalue())


def embed_revocation(
    pdf: bytes, certs: list[x509.Certificate], crls: list[crl.CertificateList]
) -> bytes:
    """Write certificates and CRLs into the document's /DSS, as B-LT does."""
    reader = PdfFileReader(io.BytesIO(pdf))
    _, value, _ = next(iter(enumerate_sig_fields(reader, filled_status=True)))
    out = io.BytesIO(pdf)
    DocumentSecurityStore.add_dss(
        out,
        extract_contents(value.get_object()),
        certs=certs,
        crls=crls,
        force_write=True,
    )
    return out.getvalue()


def self_signed_signer(
    subject: pyca.Name,
) -> tuple[signers.SimpleSigner, pyca.Certificate]:
    """A signer whose certificate it issued itself (RSA-2048, 30 days)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = datetime.now(UTC)
    cert = (
        pyca.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(pyca.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(
            pyca.KeyUsage(True, True, False, False, False, False, False, False, False),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    der_key = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    signer = signers.SimpleSigner(
        signing_cert=_asn1_cert(cert),
        signing_key=keys.PrivateKeyInfo.load(der_key),
        cert_registry=SimpleCertificateStore(),
    )
    return signer, cert
