"""Create and load the development PKI (certomancer).

The template in ``certs/`` holds the fixed part (root, issuing CA, TSA, OCSP
responder, CRL repositories). ``init_pki`` renders it for one installation:
it generates every key, dates the certificates from the moment of creation,
points the service addresses at the configured PKI URL and adds one
certificate per subscriber. The rendered configuration is written without
any password; private keys are PEM files encrypted with the key passphrase,
subscribers also get a PKCS#12 file for the hub's signing workers.
"""

from __future__ import annotations

import copy
import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import yaml
from asn1crypto import pem
from certomancer.registry import (
    ArchLabel,
    CertLabel,
    CertomancerConfig,
    PKIArchitecture,
)
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from edocx.config import Settings
from edocx.errors import ConfigurationError
from edocx.secretfile import write_private_file

logger = logging.getLogger(__name__)

RSA_BITS = 2048
RENDERED_CONFIG = "certomancer.yml"
SERVICE_CERTS = ("root", "issuing", "tsa", "ocsp")


@dataclass(frozen=True)
class SubscriberSpec:
    """One certificate holder: an agency seal or a natural person."""

    label: str
    kind: Literal["seal", "person"]
    common_name: str
    organization: str
    title: str | None = None
    revoked: bool = False
    # "rsa2048" or "ecdsa-p256"; the service certificates are RSA-2048.
    key_type: str = "rsa2048"
    # A seal's organisationIdentifier (X.520 2.5.4.97): the body's code, so
    # that a checker with the certificate alone knows whose seal it is.
    organization_identifier: str | None = None


@dataclass(frozen=True)
class PKILayout:
    """Where the files of an initialised development PKI live."""

    dir: Path

    @property
    def config_path(self) -> Path:
        return self.dir / RENDERED_CONFIG

    @property
    def root_cert_path(self) -> Path:
        return self.cert_path("root")

    @property
    def chain_cert_paths(self) -> tuple[Path, ...]:
        return (self.cert_path("issuing"),)

    def key_path(self, label: str) -> Path:
        return self.dir / "keys" / f"{label}.key.pem"

    def cert_path(self, label: str) -> Path:
        return self.dir / "certs" / f"{label}.crt.pem"

    def p12_path(self, label: str) -> Path:
        return self.dir / "p12" / f"{label}.p12"

    def exists(self) -> bool:
        return self.config_path.is_file()


def tsa_url(settings: Settings) -> str:
    """Return the RFC 3161 address of the development TSA."""
    return f"{settings.pki_url}/{settings.pki.arch}/tsa/tsa"


def init_pki(
    settings: Settings,
    passphrase: bytes,
    subscribers: Sequence[SubscriberSpec],
    *,
    at: datetime,
) -> PKILayout:
    """Write a new development PKI under ``settings.pki.dir``.

    Steps: 1. render the template; 2. generate and store the keys;
    3. build the architecture and write certificates and PKCS#12 files.
    """
    layout = PKILayout(settings.pki.dir)
    if layout.exists():
        raise ConfigurationError(f"a PKI already exists in {layout.dir}")

    # 1. Render the template for this installation.
    template = _read_template(settings.pki.template)
    rendered = _render(template, settings, subscribers, at=at)

    # 2. Generate the keys before anything refers to them.
    for sub in ("keys", "certs", "p12"):
        (layout.dir / sub).mkdir(parents=True, exist_ok=True, mode=0o700)
    key_types = {sub.label: sub.key_type for sub in subscribers}
    for label in _key_labels(rendered, settings.pki.arch):
        _write_key(layout.key_path(label), passphrase, key_types.get(label))

    # 3. Certificates and PKCS#12 files; the config goes last so that a
    # half-written PKI is not taken for a complete one.
    arch = _build_arch(rendered, layout, settings.pki.arch, passphrase)
    _write_certs(arch, layout, subscribers, passphrase)
    write_private_file(
        layout.config_path,
        yaml.safe_dump(rendered, allow_unicode=True, sort_keys=False),
    )
    logger.info("development PKI created in %s", layout.dir)
    return layout


def load_architecture(settings: Settings, passphrase: bytes) -> PKIArchitecture:
    """Load the rendered development PKI with its keys."""
    layout = PKILayout(settings.pki.dir)
    if not layout.exists():
        raise ConfigurationError(
            f"no PKI in {layout.dir}", hint="run `edocx pki init` first"
        )
    rendered = yaml.safe_load(layout.config_path.read_text("utf-8"))
    return _build_arch(rendered, layout, settings.pki.arch, passphrase)


def _read_template(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise ConfigurationError(f"PKI template not found: {path}")
    data = yaml.safe_load(path.read_text("utf-8"))
    assert isinstance(data, dict)
    return data


def _render(
    template: dict[str, Any],
    settings: Settings,
    subscribers: Sequence[SubscriberSpec],
    *,
    at: datetime,
) -> dict[str, Any]:
    config = copy.deepcopy(template)
    config["external-url-prefix"] = settings.pki_url
    arch_cfg = config["pki-architectures"][settings.pki.arch]
    sub_template = arch_cfg.pop("subscriber-template")

    # Certificates start a day early so that clocks slightly behind still
    # accept them; revocations are dated at creation.
    start = (at - timedelta(days=1)).astimezone(UTC)
    for cert in arch_cfg["certs"].values():
        cert["validity"] = _validity(start, cert["validity"]["years"])
    for sub in subscribers:
        arch_cfg["entities"][sub.label] = _entity(sub)
        arch_cfg["certs"][sub.label] = _subscriber_cert(sub_template, start, sub, at)

    # certomancer numbers certificates in file order unless told otherwise;
    # explicit random serials keep them stable however the file is read.
    for cert in arch_cfg["certs"].values():
        cert["serial"] = secrets.randbits(63) | (1 << 62)
    return config


def _validity(start: datetime, years: int) -> dict[str, str]:
    end = start.replace(year=start.year + years)
    return {"valid-from": _iso(start), "valid-to": _iso(end)}


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def _entity(sub: SubscriberSpec) -> dict[str, str]:
    entity = {"common-name": sub.common_name, "organization-name": sub.organization}
    if sub.title:
        entity["title"] = sub.title
    if sub.organization_identifier:
        entity["organization-identifier"] = sub.organization_identifier
    return entity


def _subscriber_cert(
    template: dict[str, Any], start: datetime, sub: SubscriberSpec, at: datetime
) -> dict[str, Any]:
    cert = copy.deepcopy(template)
    cert["validity"] = _validity(start, cert["validity"]["years"])
    if sub.revoked:
        cert["revocation"] = {
            "revoked-since": _iso(at),
            "reason": "key_compromise",
        }
    return cert


def _key_labels(config: dict[str, Any], arch: str) -> list[str]:
    return list(config["pki-architectures"][arch]["certs"])


def _write_key(path: Path, passphrase: bytes, key_type: str | None = None) -> None:
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
    if key_type == "ecdsa-p256":
        key = ec.generate_private_key(ec.SECP256R1())
    else:
        key = rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)
    data = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase),
    )
    write_private_file(path, data)


def _build_arch(
    rendered: dict[str, Any], layout: PKILayout, arch: str, passphrase: bytes
) -> PKIArchitecture:
    # Passwords are injected in memory only; the file on disk has none.
    config = copy.deepcopy(rendered)
    password = passphrase.decode("utf-8")
    config["keysets"][arch]["keys"] = {
        label: {"path": str(layout.key_path(label).resolve()), "password": password}
        for label in _key_labels(config, arch)
    }
    cfg = CertomancerConfig(config, key_search_dir=str(layout.dir))
    return cfg.get_pki_arch(ArchLabel(arch))


def _write_certs(
    arch: PKIArchitecture,
    layout: PKILayout,
    subscribers: Sequence[SubscriberSpec],
    passphrase: bytes,
) -> None:
    labels = [*SERVICE_CERTS, *(sub.label for sub in subscribers)]
    for label in labels:
        cert = arch.get_cert(CertLabel(label))
        layout.cert_path(label).write_bytes(pem.armor("CERTIFICATE", cert.dump()))
    for sub in subscribers:
        p12 = arch.package_pkcs12(CertLabel(sub.label), password=passphrase)
        write_private_file(layout.p12_path(sub.label), p12)
