"""The signing job ``edocx sign`` builds from its options.

Secrets never come from the command line: the PKCS#12 passphrase and the
token PIN come from a file an option names, which then wins, or else from an
environment variable; the PDF password from an environment variable. Texts
are held to the rules of the hub's API: no control or format character (a
bidirectional override makes a text read otherwise than it is stored), and
a field name is a partial name, without a period (ISO 32000-2, 12.7.4.2).
"""

from __future__ import annotations

import argparse
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from edocx.config import Settings
from edocx.errors import ConfigurationError, InputError
from edocx.exchange.header import refuse_invisible
from edocx.pki.credentials import (
    CredentialRef,
    KeyRef,
    PKCS11Ref,
    load_signer,
    read_pin,
)
from edocx.pki.devpki import PKILayout, tsa_url
from edocx.pki.trust import trust_root_paths
from edocx.signing.clifiles import UsageError
from edocx.signing.jobs import PersonalSignJob, PlainSignJob, SealJob, SignJob
from edocx.signing.levels import Level
from edocx.verification.cli import anchor_problem
from edocx.vntime import vietnam_time

logger = logging.getLogger(__name__)

DEFAULT_PASSPHRASE_ENV = "EDOCX_KEY_PASSPHRASE"
DEFAULT_PIN_ENV = "EDOCX_TOKEN_PIN"

# The options whose text goes into the PDF, by name.
TEXT_OPTIONS = (
    "field", "signer_name", "position", "competence", "agency_name", "notation",
    "place", "stamp_text",
)  # fmt: skip

# pyHanko logs a full traceback when a PKCS#12 file does not open; the
# command says why in one line instead.
PYHANKO_KEY_LOGGER = "pyhanko.sign.signers.pdf_cms"
KEY_HINTS = {
    False: "check the passphrase: --passphrase-file, or the variable "
    "--passphrase-env names",
    True: "check --token, --key-label and the PIN: --pin-file, or the variable "
    "--pin-env names",
}


def base_job(args: argparse.Namespace, settings: Settings) -> SignJob:
    """Return the job every file shares; ``document_id`` and ``at`` vary."""
    if args.stamp_text and args.role != "plain":
        raise UsageError("--stamp-text is for --role plain; the others say who signs")
    check_texts(args)
    ref = key_ref(args)
    names = _subject_names(ref)
    level = Level(args.level or settings.signing.level)
    tsa = args.tsa or (tsa_urls(settings) if level.timestamped else ())
    common: dict[str, Any] = {
        "document_id": "-", "agency_code": args.agency_code, "credential": ref,
        "tsa_urls": tuple(tsa), "trust_root_paths": anchors(args, settings),
        "extra_cert_paths": extra_certs(settings), "at": datetime.now(UTC),
        "allow_downgrade_to_bb": args.allow_downgrade, "level": level,
        "field_name": args.field,
    }  # fmt: skip
    agency = args.agency_name or names.get("organization_name") or ""
    if args.role == "personal":
        return PersonalSignJob(
            **common, signature_image=args.image, agency_name=agency,
            signer_name=args.signer_name or names.get("common_name") or "",
            position=args.position or names.get("title") or "",
            competence=args.competence,
        )  # fmt: skip
    if args.role == "seal":
        return _seal_job(args, common, agency)
    return PlainSignJob(**common)


def _seal_job(args: argparse.Namespace, common: dict[str, Any], agency: str) -> SealJob:
    if args.number is None or not args.notation or not args.place:
        raise UsageError("--role seal needs --number, --notation and --place")
    at: datetime = common["at"]
    return SealJob(
        **common, seal_image=args.image, agency_name=agency, number=args.number,
        notation=args.notation, place=args.place,
        issued_on=vietnam_time(at).date(),
    )  # fmt: skip


def check_texts(args: argparse.Namespace) -> None:
    """Refuse option texts the hub's API would refuse."""
    for name in TEXT_OPTIONS:
        text = getattr(args, name)
        if text is None:
            continue
        option = "--" + name.replace("_", "-")
        try:
            refuse_invisible(text)
        except ValueError as e:
            raise UsageError(f"{option}: {e}") from None
    if args.field is not None and ("." in args.field or not args.field.strip()):
        raise UsageError(
            "--field: a field name is not empty and has no period (a period "
            "joins the names of a field and its parent)"
        )


def anchors(args: argparse.Namespace, settings: Settings) -> tuple[Path, ...]:
    """Return the trust anchors: ``--trust`` files, each usable, or the config."""
    if not args.trust:
        return tuple(trust_root_paths(settings))
    unusable = [f"{p}: {why}" for p in args.trust if (why := anchor_problem(p))]
    if unusable:
        raise InputError("unusable --trust file " + "; ".join(unusable))
    return tuple(args.trust)


def key_ref(args: argparse.Namespace) -> KeyRef:
    """Return the key the options name, with its passphrase or PIN."""
    if (args.p12 is None) == (args.pkcs11_module is None):
        raise UsageError("give one key source: --p12 FILE or --pkcs11-module LIB")
    if args.p12 is not None:
        return CredentialRef(args.p12, _passphrase(args))
    if not args.token or not args.key_label:
        raise UsageError("--pkcs11-module needs --token and --key-label")
    # A PIN file named on the command line wins over the variable.
    env = None if args.pin_file is not None else args.pin_env
    if args.pin_file is not None and not args.pin_file.is_file():
        raise ConfigurationError(f"--pin-file names no file: {args.pin_file}")
    pin = read_pin(env, args.pin_file, whose=args.key_label)
    return PKCS11Ref(args.pkcs11_module, args.token, args.key_label, pin)


def _passphrase(args: argparse.Namespace) -> bytes:
    # A file named on the command line wins over the variable.
    if args.passphrase_file is not None:
        try:
            secret: bytes = args.passphrase_file.read_bytes()
        except OSError as e:
            raise ConfigurationError(
                f"cannot read --passphrase-file {args.passphrase_file}: {e.strerror}"
            ) from e
        return secret.strip()
    from_env = os.environ.get(args.passphrase_env)
    if from_env:
        return from_env.encode("utf-8")
    raise ConfigurationError(
        f"no passphrase for {args.p12.name}: {args.passphrase_env} is not set",
        hint=f"set {args.passphrase_env} or name a file with --passphrase-file",
    )


def pdf_password(args: argparse.Namespace) -> str | None:
    """Return the PDF password from the variable ``--password-env`` names."""
    if not args.password_env:
        return None
    password = os.environ.get(args.password_env)
    if password is None:
        raise UsageError(f"--password-env names {args.password_env}, which is not set")
    return password


def _subject_names(ref: KeyRef) -> dict[str, str]:
    try:
        with _quiet(PYHANKO_KEY_LOGGER):
            cert = load_signer(ref).signing_cert
    except ConfigurationError as e:
        hint = KEY_HINTS[isinstance(ref, PKCS11Ref)]
        raise ConfigurationError(e.detail, hint=hint) from e
    if cert is None:
        raise ConfigurationError(f"the key {ref.name} has no certificate")
    names: dict[str, str] = cert.subject.native
    return names


@contextmanager
def _quiet(name: str) -> Iterator[None]:
    quieted = logging.getLogger(name)
    was = quieted.disabled
    quieted.disabled = True
    try:
        yield
    finally:
        quieted.disabled = was


def tsa_urls(settings: Settings) -> tuple[str, ...]:
    """Return the configured TSAs, or the development TSA in demo mode."""
    if settings.signing.tsa_urls:
        return tuple(settings.signing.tsa_urls)
    # The development TSA answers only while the hub serves its PKI.
    return (tsa_url(settings),) if settings.demo else ()


def tsa_hint(args: argparse.Namespace, settings: Settings) -> str:
    """Say how to reach a TSA that answers, after where the TSA list came from."""
    if args.tsa:
        return (
            "check the addresses given with --tsa URL: each is an RFC 3161 TSA "
            "over HTTP, tried in order; without --tsa, signing.tsa_urls is asked"
        )
    if settings.signing.tsa_urls:
        return (
            "check the TSAs of signing.tsa_urls (EDOCX_SIGNING__TSA_URLS, a JSON "
            "list), or name one that answers with --tsa URL"
        )
    return (
        "name a TSA that answers with --tsa URL; without one, the development "
        "TSA of a running hub (demo mode) is asked on http.port: set "
        "EDOCX_HTTP__PORT when the hub listens on another port"
    )


def extra_certs(settings: Settings) -> tuple[Path, ...]:
    """Return the helper certificates: the development PKI's chain in demo."""
    return PKILayout(settings.pki.dir).chain_cert_paths if settings.demo else ()
