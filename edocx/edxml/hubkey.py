"""The hub's key for the packets it emits.

Looked up as the agencies' seal keys are, in the PKI directory: the
PKCS#12 file ``p12/edxml-hub.p12`` when an installation put one there
(opened with the key passphrase); otherwise the development PKI's
``edxml-hub`` certificate (``certs/edocx-dev-pki.yml``) with its key.
A PKI made before that certificate was in the template has neither: the
hub then refuses to emit packets, saying how to get the key.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import (
    load_der_private_key,
    pkcs12,
)

from edocx.edxml.errors import PacketKeyUnavailableError
from edocx.edxml.xmldsig import SigningKey
from edocx.errors import ConfigurationError
from edocx.pki.devpki import PKILayout

logger = logging.getLogger(__name__)

LABEL = "edxml-hub"


@dataclass(frozen=True)
class PacketKey:
    key: SigningKey
    certificate: x509.Certificate


_cache: dict[Path, PacketKey] = {}
_lock = threading.Lock()


def packet_key(pki_dir: Path, passphrase: bytes) -> PacketKey:
    """Return the hub's packet key, loaded once per process."""
    with _lock:
        found = _cache.get(pki_dir)
        if found is None:
            found = _load(PKILayout(pki_dir), passphrase)
            _cache[pki_dir] = found
            logger.info(
                "edXML packet key loaded: %s",
                found.certificate.subject.rfc4514_string(),
            )
        return found


def _load(layout: PKILayout, passphrase: bytes) -> PacketKey:
    p12 = layout.p12_path(LABEL)
    if p12.is_file():
        key, cert, _ = pkcs12.load_key_and_certificates(p12.read_bytes(), passphrase)
        if cert is None or not isinstance(
            key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
        ):
            raise ConfigurationError(f"{p12} holds no RSA or EC key with a certificate")
        return PacketKey(key, cert)
    return _from_dev_pki(layout, passphrase)


def _from_dev_pki(layout: PKILayout, passphrase: bytes) -> PacketKey:
    from certomancer.registry import CertLabel, KeyLabel

    from edocx.pki.devpki import _build_arch

    rendered = _rendered(layout)
    arch_name = next(iter(rendered["pki-architectures"]))
    certs = rendered["pki-architectures"][arch_name]["certs"]
    if LABEL not in certs or not layout.key_path(LABEL).is_file():
        raise PacketKeyUnavailableError(
            "the hub has no key for edXML packets",
            hint=f"put a PKCS#12 file at {layout.p12_path(LABEL)}, or make the "
            "development PKI again (its template now holds the hub's key)",
        )
    arch = _build_arch(rendered, layout, arch_name, passphrase)
    cert = x509.load_der_x509_certificate(arch.get_cert(CertLabel(LABEL)).dump())
    info = arch.key_set.get_private_key(KeyLabel(LABEL))
    key = load_der_private_key(info.dump(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey)
    return PacketKey(key, cert)


def _rendered(layout: PKILayout) -> dict[str, Any]:
    if not layout.exists():
        raise PacketKeyUnavailableError(
            f"no PKI in {layout.dir}: the hub has no key for edXML packets",
            hint=f"put a PKCS#12 file at {layout.p12_path(LABEL)}",
        )
    data = yaml.safe_load(layout.config_path.read_text("utf-8"))
    assert isinstance(data, dict)
    return data
