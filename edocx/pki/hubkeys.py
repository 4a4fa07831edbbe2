"""The hub's own keys (edXML packets, audit tree heads), found by label.

A key is looked up in the PKI directory as the agencies' seal keys are:
the PKCS#12 file ``p12/<label>.p12`` when an installation put one there
(opened with the key passphrase); otherwise the development PKI's
certificate of that label (``certs/edocx-dev-pki.yml``) with its key and
the CAs that issued it. A PKI made before the label was in the template
has neither: the caller's error says which key is missing and how to get it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import yaml
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import (
    load_der_private_key,
    pkcs12,
)

from edocx.errors import ConfigurationError, EdocxError
from edocx.pki.devpki import PKILayout

SigningKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey

# Builds the caller's error from its detail and its hint.
Unavailable = Callable[..., EdocxError]


@dataclass(frozen=True)
class HubKey:
    key: SigningKey
    # The key's certificate first, then the CAs that issued it.
    chain: tuple[x509.Certificate, ...]


@dataclass(frozen=True)
class KeyWanted:
    """Which key to load, and what to say when it is not there."""

    label: str
    purpose: str  # "edXML packets", in "the hub has no key for ..."
    error: Unavailable


def load_hub_key(layout: PKILayout, wanted: KeyWanted, passphrase: bytes) -> HubKey:
    """Return the key of ``wanted.label``: the PKCS#12 file, else the dev PKI."""
    p12 = layout.p12_path(wanted.label)
    if p12.is_file():
        key, cert, extra = pkcs12.load_key_and_certificates(
            p12.read_bytes(), passphrase
        )
        if cert is None or not isinstance(key, SigningKey):
            raise ConfigurationError(f"{p12} holds no RSA or EC key with a certificate")
        return HubKey(key, (cert, *extra))
    return _from_dev_pki(layout, wanted, passphrase)


def _from_dev_pki(layout: PKILayout, wanted: KeyWanted, passphrase: bytes) -> HubKey:
    from certomancer.registry import CertLabel, KeyLabel

    from edocx.pki.devpki import _build_arch

    rendered = _rendered(layout, wanted)
    arch_name = next(iter(rendered["pki-architectures"]))
    certs = rendered["pki-architectures"][arch_name]["certs"]
    label = wanted.label
    if label not in certs or not layout.key_path(label).is_file():
        raise wanted.error(
            f"the hub has no key for {wanted.purpose}",
            hint=f"put a PKCS#12 file at {layout.p12_path(label)}, or make the "
            f"development PKI again (its template now holds the {label} key)",
        )

    arch = _build_arch(rendered, layout, arch_name, passphrase)
    chain = [_cert(arch.get_cert(CertLabel(label)).dump())]
    issuer = certs[label]["issuer"]
    while issuer in certs and certs[issuer]["issuer"] != issuer:
        chain.append(_cert(arch.get_cert(CertLabel(issuer)).dump()))
        issuer = certs[issuer]["issuer"]

    info = arch.key_set.get_private_key(KeyLabel(label))
    key = load_der_private_key(info.dump(), password=None)
    assert isinstance(key, SigningKey)
    return HubKey(key, tuple(chain))


def _cert(der: bytes) -> x509.Certificate:
    return x509.load_der_x509_certificate(der)


def _rendered(layout: PKILayout, wanted: KeyWanted) -> dict[str, Any]:
    if not layout.exists():
        raise wanted.error(
            f"no PKI in {layout.dir}: the hub has no key for {wanted.purpose}",
            hint=f"put a PKCS#12 file at {layout.p12_path(wanted.label)}",
        )
    data = yaml.safe_load(layout.config_path.read_text("utf-8"))
    assert isinstance(data, dict)
    return data
