"""Trust anchors of signature validation."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from asn1crypto import pem, x509

from edocx.config import Settings
from edocx.errors import ConfigurationError
from edocx.pki.devpki import PKILayout


def trust_root_paths(settings: Settings) -> tuple[Path, ...]:
    """Return the configured anchors, or the development root in demo mode."""
    if settings.trust.anchors:
        return tuple(settings.trust.anchors)
    if settings.demo:
        return (PKILayout(settings.pki.dir).root_cert_path,)
    raise ConfigurationError(
        "no trust anchors configured", hint="set trust.anchors in the config"
    )


def load_trust_roots(settings: Settings) -> list[x509.Certificate]:
    """Load the trust anchors named by the configuration."""
    return load_certs(trust_root_paths(settings))


def load_certs(paths: Iterable[Path]) -> list[x509.Certificate]:
    """Load PEM or DER certificates; a PEM file may hold several."""
    certs: list[x509.Certificate] = []
    for path in paths:
        try:
            data = path.read_bytes()
        except OSError as e:
            raise ConfigurationError(f"cannot read certificate {path}") from e
        if pem.detect(data):
            certs.extend(
                x509.Certificate.load(der) for _, _, der in pem.unarmor(data, True)
            )
        else:
            certs.append(x509.Certificate.load(data))
    return certs
