"""``edocx sign`` and ``edocx augment``: the signing desk on the command line.

Both work offline, without the hub, through the functions the hub uses:
``sign`` prepares a personal signature's draft as an upload is prepared
(``prepare_draft``) and signs with ``sign_personal_outcome``,
``number_and_seal_outcome`` or ``sign_plain_outcome``; ``augment`` calls
``augment_pdf``. Secrets never come from the command line: the PKCS#12
passphrase and the token PIN are read from an environment variable or a
file the options name, the PDF password from an environment variable.

Exit status: 0 done; 1 signing refused or failed (key, certificate, TSA);
2 usage error; 3 the input is not usable (not a PDF, password required,
permissions); 4 the key or the configuration cannot be used. A batch exits
with the worst status of its files.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from edocx.config import Settings
from edocx.errors import ConfigurationError, EdocxError, InputError
from edocx.pki.credentials import (
    CredentialRef,
    KeyRef,
    PKCS11Ref,
    load_signer,
    read_pin,
)
from edocx.pki.devpki import PKILayout, tsa_url
from edocx.pki.trust import trust_root_paths
from edocx.signing.augment import AugmentSetup, augment_pdf
from edocx.signing.drafts import prepare_draft
from edocx.signing.issue import (
    PLAIN_FIELD,
    number_and_seal_outcome,
    sign_personal_outcome,
    sign_plain_outcome,
    target_field,
)
from edocx.signing.jobs import PersonalSignJob, PlainSignJob, SealJob, SignJob
from edocx.signing.keycheck import check_signing_key
from edocx.signing.levels import Level, SignOutcome
from edocx.signing.pades import sign_pades
from edocx.signing.reading import open_pdf
from edocx.signing.stamps import Appearance
from edocx.vntime import vietnam_time

logger = logging.getLogger(__name__)

LEVELS = [level.value for level in Level]
DEFAULT_PASSPHRASE_ENV = "EDOCX_KEY_PASSPHRASE"
DEFAULT_PIN_ENV = "EDOCX_TOKEN_PIN"

EXIT_FAILED = 1
EXIT_UNUSABLE = 3
EXIT_CONFIGURATION = 4


def add_parsers(commands: Any) -> None:
    """Add ``sign`` and ``augment`` to the ``edocx`` subcommands."""
    sign = commands.add_parser(
        "sign", help="sign a PDF offline (or a folder with --batch)",
        description="Sign a PDF as the hub does, offline. " + _EXITS,
    )  # fmt: skip
    sign.add_argument("input", type=Path, nargs="?", help="the PDF to sign")
    sign.add_argument("output", type=Path, nargs="?", help="where to write it")
    sign.add_argument("--batch", type=Path, metavar="DIR", help="sign every PDF in DIR")
    sign.add_argument(
        "--out", type=Path, metavar="DIR", help="output folder of --batch"
    )
    _key_options(sign)
    _signature_options(sign)
    sign.set_defaults(run=run_sign)

    augment = commands.add_parser(
        "augment", help="raise a signed PDF to B-LT or B-LTA",
        description="Add the validation data of every signature (B-LT) and a "
        "document timestamp (B-LTA) in new revisions; the signatures' bytes "
        "stay as they are. " + _EXITS,
    )  # fmt: skip
    augment.add_argument("input", type=Path)
    augment.add_argument("output", type=Path)
    augment.add_argument("--level", choices=["B-LT", "B-LTA"], required=True)
    _trust_options(augment)
    augment.set_defaults(run=run_augment)


_EXITS = (
    "Exit status: 0 done, 1 signing refused or failed, 2 usage error, "
    "3 input not usable, 4 key or configuration unusable."
)


def _key_options(parser: argparse.ArgumentParser) -> None:
    key = parser.add_argument_group("key (a PKCS#12 file or a PKCS#11 token)")
    key.add_argument("--p12", type=Path, metavar="FILE", help="a PKCS#12 file")
    key.add_argument(
        "--passphrase-env", default=DEFAULT_PASSPHRASE_ENV, metavar="VAR",
        help=f"variable holding the PKCS#12 passphrase ({DEFAULT_PASSPHRASE_ENV})",
    )  # fmt: skip
    key.add_argument("--passphrase-file", type=Path, metavar="FILE")
    key.add_argument("--pkcs11-module", type=Path, metavar="LIB")
    key.add_argument("--token", help="the token's label")
    key.add_argument("--key-label", help="the private key's label on the token")
    key.add_argument(
        "--pin-env", default=DEFAULT_PIN_ENV, metavar="VAR",
        help=f"variable holding the token PIN ({DEFAULT_PIN_ENV})",
    )  # fmt: skip
    key.add_argument("--pin-file", type=Path, metavar="FILE")


def _signature_options(parser: argparse.ArgumentParser) -> None:
    what = parser.add_argument_group("signature")
    what.add_argument(
        "--role", choices=["personal", "seal", "plain"], default="personal"
    )
    what.add_argument("--level", choices=LEVELS, help="default: signing.level")
    what.add_argument("--field", help="an empty signature field to sign, or a new name")
    what.add_argument("--signer-name", help="default: the certificate's common name")
    what.add_argument("--position", help="default: the certificate's title")
    what.add_argument("--agency-name", help="default: the certificate's organisation")
    what.add_argument("--agency-code", default="-", help="organ id, for the log")
    what.add_argument("--number", type=int, help="the seal's document number")
    what.add_argument("--notation", help="the seal's notation, e.g. QĐ-UBND")
    what.add_argument("--place", help="the seal's place of issue")
    what.add_argument(
        "--image", type=Path, metavar="PNG", help="signature or seal image"
    )
    what.add_argument("--stamp-text", help="--role plain: a visible stamp of this text")
    what.add_argument(
        "--password-env", metavar="VAR", help="variable with the PDF password"
    )
    what.add_argument(
        "--allow-downgrade", action="store_true", help="sign at B-B when no TSA answers"
    )
    _trust_options(parser)


def _trust_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--trust", type=Path, action="append", metavar="PEM",
        help="trusted root certificates (default: the configured anchors)",
    )  # fmt: skip
    parser.add_argument(
        "--tsa", action="append", metavar="URL",
        help="an RFC 3161 TSA, tried in order; repeatable (default: signing.tsa_urls)",
    )  # fmt: skip


def run_sign(args: argparse.Namespace, settings: Settings) -> int:
    """Sign one file, or every PDF of ``--batch``; return the exit status."""
    try:
        pairs = _pairs(args)
        base = _base_job(args, settings)
    except UsageError as e:
        print(f"edocx sign: {e}", file=sys.stderr)
        return 2
    except EdocxError as e:
        return _report(e, EXIT_CONFIGURATION)
    if args.batch is None:
        return _sign_file(*pairs[0], base, args)
    return _sign_batch(pairs, base, args)


def run_augment(args: argparse.Namespace, settings: Settings) -> int:
    """Augment one signed file; return the exit status."""
    try:
        setup = AugmentSetup(
            trust_root_paths=tuple(args.trust or trust_root_paths(settings)),
            extra_cert_paths=_extra_certs(settings),
            tsa_urls=tuple(args.tsa or _tsa_urls(settings)),
        )
    except EdocxError as e:
        return _report(e, EXIT_CONFIGURATION)
    try:
        outcome = augment_pdf(_read(args.input), Level(args.level), setup)
    except InputError as e:
        return _report(e, EXIT_UNUSABLE)
    except EdocxError as e:
        return _report(e, EXIT_FAILED)
    args.output.write_bytes(outcome.pdf)
    _say_outcome(args.output, outcome)
    return 0


def _sign_file(
    source: Path, target: Path, base: SignJob, args: argparse.Namespace
) -> int:
    try:
        job = replace(base, document_id=source.name, at=datetime.now(UTC))
        outcome = sign_one(_read(source), job, args)
    except InputError as e:
        return _report(e, EXIT_UNUSABLE, source)
    except ConfigurationError as e:
        return _report(e, EXIT_CONFIGURATION, source)
    except EdocxError as e:
        return _report(e, EXIT_FAILED, source)
    target.write_bytes(outcome.pdf)
    _say_outcome(target, outcome)
    return 0


def _sign_batch(
    pairs: list[tuple[Path, Path]], base: SignJob, args: argparse.Namespace
) -> int:
    worst, started = 0, time.monotonic()
    for done, (source, target) in enumerate(pairs, start=1):
        worst = max(worst, _sign_file(source, target, base, args))
        rate = done / max(time.monotonic() - started, 1e-6)
        print(f"{done}/{len(pairs)}  {rate:.1f} docs/s  {source.name}", file=sys.stderr)
    return worst


def sign_one(pdf: bytes, job: SignJob, args: argparse.Namespace) -> SignOutcome:
    """Sign ``pdf`` in the role ``args.role`` with the functions the hub uses."""
    password = os.environ.get(args.password_env) if args.password_env else None
    if isinstance(job, PersonalSignJob):
        return sign_personal_outcome(prepare_draft(pdf, password).pdf, job)
    _check_as_is(pdf, password)
    if isinstance(job, SealJob):
        return number_and_seal_outcome(pdf, job)
    assert isinstance(job, PlainSignJob)
    if args.stamp_text:
        return _visible_plain(pdf, job, Appearance(args.stamp_text, image=args.image))
    return sign_plain_outcome(pdf, job)


def _visible_plain(
    pdf: bytes, job: PlainSignJob, appearance: Appearance
) -> SignOutcome:
    """Sign as ``sign_plain_outcome`` does, with a visible stamp of free text."""
    check_signing_key(job)
    field = target_field(pdf, job, PLAIN_FIELD)
    return sign_pades(pdf, job, field_name=field, appearance=appearance)


def _check_as_is(pdf: bytes, password: str | None) -> None:
    """Refuse a file the seal or plain signature cannot extend as it is."""
    opened = open_pdf(pdf, password)
    if opened.encrypted or not opened.strict:
        raise InputError(
            "the PDF is encrypted or damaged and must be rewritten first",
            hint="sign it with --role personal, which rewrites it as the hub does",
        )


class UsageError(Exception):
    """Options that do not fit together (exit status 2)."""


def _pairs(args: argparse.Namespace) -> list[tuple[Path, Path]]:
    if args.batch is None:
        if args.input is None or args.output is None:
            raise UsageError("give IN.pdf and OUT.pdf, or --batch DIR --out DIR")
        return [(args.input, args.output)]
    if args.out is None or args.input is not None:
        raise UsageError("--batch DIR needs --out DIR and no IN or OUT")
    if not args.batch.is_dir():
        raise UsageError(f"--batch names no folder: {args.batch}")
    args.out.mkdir(parents=True, exist_ok=True)
    sources = sorted(p for p in args.batch.iterdir() if p.suffix.lower() == ".pdf")
    return [(source, args.out / source.name) for source in sources]


def _base_job(args: argparse.Namespace, settings: Settings) -> SignJob:
    """Return the job every file shares; ``document_id`` and ``at`` vary."""
    if args.stamp_text and args.role != "plain":
        raise UsageError("--stamp-text is for --role plain; the others say who signs")
    ref = _key_ref(args)
    names = _subject_names(ref)
    level = Level(args.level or settings.signing.level)
    tsa = args.tsa or (_tsa_urls(settings) if level.timestamped else ())
    common: dict[str, Any] = {
        "document_id": "-", "agency_code": args.agency_code, "credential": ref,
        "tsa_urls": tuple(tsa),
        "trust_root_paths": tuple(args.trust or trust_root_paths(settings)),
        "extra_cert_paths": _extra_certs(settings), "at": datetime.now(UTC),
        "allow_downgrade_to_bb": args.allow_downgrade, "level": level,
        "field_name": args.field,
    }  # fmt: skip
    agency = args.agency_name or names.get("organization_name") or ""
    if args.role == "personal":
        return PersonalSignJob(
            **common, signature_image=args.image, agency_name=agency,
            signer_name=args.signer_name or names.get("common_name") or "",
            position=args.position or names.get("title") or "",
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


def _key_ref(args: argparse.Namespace) -> KeyRef:
    if (args.p12 is None) == (args.pkcs11_module is None):
        raise UsageError("give one key source: --p12 FILE or --pkcs11-module LIB")
    if args.p12 is not None:
        return CredentialRef(args.p12, _passphrase(args))
    if not args.token or not args.key_label:
        raise UsageError("--pkcs11-module needs --token and --key-label")
    pin = read_pin(args.pin_env, args.pin_file, whose=args.key_label)
    return PKCS11Ref(args.pkcs11_module, args.token, args.key_label, pin)


def _passphrase(args: argparse.Namespace) -> bytes:
    from_env = os.environ.get(args.passphrase_env)
    if from_env:
        return from_env.encode("utf-8")
    if args.passphrase_file is not None and args.passphrase_file.is_file():
        secret: bytes = args.passphrase_file.read_bytes()
        return secret.strip()
    raise ConfigurationError(
        f"no passphrase for {args.p12.name}",
        hint=f"set {args.passphrase_env} or name a file with --passphrase-file",
    )


def _subject_names(ref: KeyRef) -> dict[str, str]:
    cert = load_signer(ref).signing_cert
    if cert is None:
        raise ConfigurationError(f"the key {ref.name} has no certificate")
    names: dict[str, str] = cert.subject.native
    return names


def _tsa_urls(settings: Settings) -> tuple[str, ...]:
    if settings.signing.tsa_urls:
        return tuple(settings.signing.tsa_urls)
    # The development TSA answers only while the hub serves its PKI.
    return (tsa_url(settings),) if settings.demo else ()


def _extra_certs(settings: Settings) -> tuple[Path, ...]:
    return PKILayout(settings.pki.dir).chain_cert_paths if settings.demo else ()


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as e:
        raise InputError(f"cannot read {path}: {e.strerror}") from e


def _report(error: EdocxError, status: int, source: Path | None = None) -> int:
    where = f"{source}: " if source is not None else ""
    print(f"edocx: {where}{error.detail}", file=sys.stderr)
    if error.hint:
        print(f"hint: {error.hint}", file=sys.stderr)
    return status


def _say_outcome(target: Path, outcome: SignOutcome) -> None:
    print(f"{target}: {outcome.level}")
    for warning in outcome.warnings:
        print(f"warning: {target.name}: {warning}", file=sys.stderr)
