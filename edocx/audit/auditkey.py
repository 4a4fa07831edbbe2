"""The hub's audit key, which signs the audit log's tree heads.

Looked up as the edXML packet key is (:mod:`edocx.pki.hubkeys`), in the
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

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from edocx.errors import ConfigurationError
from edocx.pki.devpki import PKILayout
from edocx.pki.hubkeys import KeyWanted, SigningKey, load_hub_key

logger = logging.getLogger(__name__)

LABEL = "audit-log"


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


_WANTED = KeyWanted(LABEL, "the audit log's tree heads", AuditKeyUnavailableError)

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
    found = load_hub_key(layout, _WANTED, passphrase)
    return AuditKey(found.key, found.chain)
