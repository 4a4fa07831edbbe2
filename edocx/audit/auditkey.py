"""The hub's audit key, which signs the audit log's tree heads.

Looked up as the edXML packet key is (:mod:`edocx.edxml.hubkey`), in the
PKI directory: the PKCS#12 file ``p12/audit-log.p12`` when an installation
put one there (opened with the key passphrase); otherwise the development
PKI's ``audit-log`` certificate (``certs/edocx-dev-pki.yml``) with its key,
and its issuing CA. A PKI made before that certificate was in the template
has neither: no tree head can be made until one is there.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import (
    load_der_private_key,
    pkcs12,
)

from edocx.errors import ConfigurationError
from edocx.pki.devpki import PKILayout

logger = logging.getLogger(__name__)

LABEL = "audit-log"

SigningKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


@dataclass(frozen=True)
class AuditKey:
    key: SigningKey
    # The key's certificate first, then the CAs that issued it.
    chain: tuple[x509.Certificate, ...]

    def sign(self, data: bytes) -> bytes:
        """Sign with PKCS#1 v1.5 or ECDSA, over SHA-256."""
        if isinstance(self.key, rsa.RSAPrivateKey):
            return self.key.sign(data, padding.PKCS1v15(), hashes.SHA256())
        return self.key.sign(data, ec.ECDSA(hashes.SHA256()))


class AuditKeyUnavailableError(ConfigurationError):
    code = "audit-key-unavailable"
    title = "The hub has no key for the audit log's tree heads"


_cache: dict[Path, AuditKey] = {}
_lock = threading.Lock()


def audit_key(pki_dir: Path, passphrase: bytes) -> AuditKey:
    """Return the hub's audit key, loaded once per process."""
    with _lock:
        found = _cache.get(pki_dir)
        if found is None:
            found = _load(PKILayout(pki_dir), passphrase)
            _cache[pki_dir] = found
            logger.info("audit key loaded: %s", found.chain[0].subject.rfc4514_string())
        return found


def key_id(certificate: x509.Certificate) -> str:
    """Return the hex SHA-256 of the certificate's SubjectPublicKeyInfo."""
    spki = certificate.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    digest = hashes.Hash(hashes.SHA256())
    digest.update(spki)
    return digest.finalize().hex()


def _load(layout: PKILayout, passphrase: bytes) -> AuditKey:
    p12 = layout.p12_path(LABEL)
    if p12.is_file():
        key, cert, extra = pkcs12.load_key_and_certificates(
            p12.read_bytes(), passphrase
        )
        if cert is None or not isinstance(key, SigningKey):
            raise ConfigurationError(f"{p12} holds no RSA or EC key with a certificate")
        return AuditKey(key, (cert, *extra))
    return _from_dev_pki(layout, passphrase)


def _from_dev_pki(layout: PKILayout, passphrase: bytes) -> AuditKey:
    from certomancer.registry import CertLabel, KeyLabel

    from edocx.pki.devpki import _build_arch

    rendered = _rendered(layout)
    arch_name = next(iter(rendered["pki-architectures"]))
    certs = rendered["pki-architectures"][arch_name]["certs"]
    if LABEL not in certs or not layout.key_path(LABEL).is_file():
        raise AuditKeyUnavailableError(
            "the hub has no key for the audit log's tree heads",
            hint=f"put a PKCS#12 file at {layout.p12_path(LABEL)}, or make the "
            "development PKI again (its template now holds the audit key)",
        )
    arch = _build_arch(rendered, layout, arch_name, passphrase)
    chain = [_cert(arch.get_cert(CertLabel(LABEL)).dump())]
    issuer = certs[LABEL]["issuer"]
    while issuer in certs and certs[issuer]["issuer"] != issuer:
        chain.append(_cert(arch.get_cert(CertLabel(issuer)).dump()))
        issuer = certs[issuer]["issuer"]
    info = arch.key_set.get_private_key(KeyLabel(LABEL))
    key = load_der_private_key(info.dump(), password=None)
    assert isinstance(key, SigningKey)
    return AuditKey(key, tuple(chain))


def _cert(der: bytes) -> x509.Certificate:
    return x509.load_der_x509_certificate(der)


def _rendered(layout: PKILayout) -> dict[str, Any]:
    if not layout.exists():
        raise AuditKeyUnavailableError(
            f"no PKI in {layout.dir}: the hub has no key for its tree heads",
            hint=f"put a PKCS#12 file at {layout.p12_path(LABEL)}",
        )
    data = yaml.safe_load(layout.config_path.read_text("utf-8"))
    assert isinstance(data, dict)
    return data
