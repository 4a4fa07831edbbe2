"""``edocx sign`` and ``edocx augment``: the signing desk on the command line.

Both work offline, without the hub, through the functions the hub uses:
``sign`` prepares a personal signature's draft as an upload is prepared
(``prepare_draft``) and signs with ``sign_personal_outcome`` or
``number_and_seal_outcome``; a plain signature goes into the file as it is,
encrypted files included when their permissions allow it; ``augment`` calls
``augment_pdf``. A signed file is verified as the hub verifies its own
(``selfcheck``) before it is written, and written atomically (``clifiles``).
Secrets never come from the command line (``clijobs``).

Exit status: 0 done; 1 signing refused or failed (key, certificate, TSA, or
the result does not verify); 2 usage error, or an output that cannot be
written; 3 the input is not usable (not a PDF, password required,
permissions, larger than ``http.max_upload_mb``, the hub's limit for a
draft); 4 the key or the configuration cannot be used. A batch exits with
the worst status of its files. pyHanko logs as in the hub, quieted below
DEBUG (``logsetup``).
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from edocx.config import Settings
from edocx.errors import (
    ConfigurationError,
    EdocxError,
    InputError,
    PDFAlreadyIssuedError,
    PDFAlreadySignedError,
    PDFPasswordRequiredError,
    PDFPermissionError,
    TimestampError,
)
from edocx.logsetup import quiet_library_loggers
from edocx.signing.asis import sign_as_is
from edocx.signing.augment import AugmentSetup, augment_pdf
from edocx.signing.clifiles import (
    UsageError,
    check_target,
    output_folder,
    write_atomically,
)
from edocx.signing.clijobs import (
    DEFAULT_PASSPHRASE_ENV,
    DEFAULT_PIN_ENV,
    anchors,
    base_job,
    extra_certs,
    pdf_password,
    tsa_hint,
    tsa_urls,
)
from edocx.signing.drafts import prepare_draft
from edocx.signing.issue import sign_personal_outcome
from edocx.signing.jobs import PersonalSignJob, PlainSignJob, SealJob, SignJob
from edocx.signing.levels import Level, SignOutcome
from edocx.signing.reading import open_pdf
from edocx.signing.selfcheck import refusal_of
from edocx.signing.stamps import Appearance

logger = logging.getLogger(__name__)

LEVELS = [level.value for level in Level]

EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_UNUSABLE = 3
EXIT_CONFIGURATION = 4

# The hub's hints speak of uploads; on the command line, of options.
CLI_HINTS: dict[type[EdocxError], str] = {
    PDFPasswordRequiredError: "name the variable holding the PDF's password "
    "with --password-env",
    PDFPermissionError: "give the owner password with --password-env, or sign "
    "an unprotected copy",
    PDFAlreadyIssuedError: "the personal signature is made once, on the draft: "
    "seal the file with --role seal, or add a signature with --role plain",
}
# TimestampError: the hint depends on where the TSAs came from (tsa_hint).


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
        "stay as they are. A file whose signatures do not hold (changed after "
        "signing) is refused. " + _EXITS,
    )  # fmt: skip
    augment.add_argument("input", type=Path)
    augment.add_argument("output", type=Path)
    augment.add_argument("--level", choices=["B-LT", "B-LTA"], required=True)
    _trust_options(augment)
    augment.set_defaults(run=run_augment)


_EXITS = (
    "Exit status: 0 done, 1 signing refused or failed (or the result did not "
    "verify), 2 usage error or an output that cannot be written, 3 input not "
    "usable (or larger than http.max_upload_mb), 4 key or configuration "
    "unusable."
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
    what.add_argument(
        "--competence", help="--role personal: the line above, e.g. 'KT. CHỦ TỊCH'"
    )
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
    quiet_library_loggers(settings.log_level)
    try:
        pairs = _pairs(args)
        base = base_job(args, settings)
        password = pdf_password(args)
        args.tsa_hint = tsa_hint(args, settings)
    except UsageError as e:
        return _usage("sign", e)
    except InputError as e:
        return _report(e, EXIT_UNUSABLE)
    except EdocxError as e:
        return _report(e, EXIT_CONFIGURATION)
    limit = _size_limit(settings)
    if args.batch is None:
        return _sign_file(*pairs[0], base, args, password, limit)
    return _sign_batch(pairs, base, args, password, limit)


def run_augment(args: argparse.Namespace, settings: Settings) -> int:
    """Augment one signed file; return the exit status."""
    quiet_library_loggers(settings.log_level)
    try:
        check_target(args.output)
        setup = AugmentSetup(
            trust_root_paths=anchors(args, settings),
            extra_cert_paths=extra_certs(settings),
            tsa_urls=tuple(args.tsa or tsa_urls(settings)),
        )
        pdf = _read(args.input, _size_limit(settings))
        _check_augmentable(pdf)
        outcome = augment_pdf(pdf, Level(args.level), setup)
    except UsageError as e:
        return _usage("augment", e)
    except InputError as e:
        return _report(e, EXIT_UNUSABLE)
    except ConfigurationError as e:
        return _report(e, EXIT_CONFIGURATION)
    except EdocxError as e:
        return _report(e, EXIT_FAILED, tsa=tsa_hint(args, settings))
    return _write(args.output, outcome)


def _sign_file(
    source: Path, target: Path, base: SignJob, args: argparse.Namespace,
    password: str | None, limit: int,
) -> int:  # fmt: skip
    try:
        job = replace(base, document_id=source.name, at=datetime.now(UTC))
        outcome = sign_one(_read(source, limit), job, args, password)
        refusal = refusal_of(outcome, job, password)
    except InputError as e:
        return _report(e, EXIT_UNUSABLE, source)
    except ConfigurationError as e:
        return _report(e, EXIT_CONFIGURATION, source)
    except EdocxError as e:
        return _report(e, EXIT_FAILED, source, tsa=args.tsa_hint)
    if refusal is not None:
        print(f"edocx: {source}: the signed file does not verify, so it was "
              f"not written: {refusal}", file=sys.stderr)  # fmt: skip
        return EXIT_FAILED
    return _write(target, outcome)


@dataclass
class _Tally:
    """How a batch went, for its closing line."""

    total: int
    started: float
    failed: int = 0

    def line(self) -> str:
        seconds = time.monotonic() - self.started
        rate = self.total / max(seconds, 1e-6)
        return (
            f"{self.total - self.failed} of {self.total} signed, {self.failed} "
            f"failed, in {seconds:.1f} s ({rate:.1f} docs/s)"
        )


def _sign_batch(
    pairs: list[tuple[Path, Path]], base: SignJob, args: argparse.Namespace,
    password: str | None, limit: int,
) -> int:  # fmt: skip
    worst, tally = 0, _Tally(len(pairs), time.monotonic())
    for done, (source, target) in enumerate(pairs, start=1):
        status = _sign_file(source, target, base, args, password, limit)
        worst, tally.failed = max(worst, status), tally.failed + (status != 0)
        rate = done / max(time.monotonic() - tally.started, 1e-6)
        print(f"{done}/{len(pairs)}  {rate:.1f} docs/s  {source.name}", file=sys.stderr)
    print(tally.line())
    return worst


def sign_one(
    pdf: bytes, job: SignJob, args: argparse.Namespace, password: str | None = None
) -> SignOutcome:
    """Sign ``pdf`` in the role ``args.role`` with the functions the hub uses."""
    if isinstance(job, PersonalSignJob):
        return sign_personal_outcome(prepare_draft(pdf, password).pdf, job)
    assert isinstance(job, SealJob | PlainSignJob)
    text, image = args.stamp_text, args.image
    appearance = Appearance(text, image=image) if text else None
    return sign_as_is(pdf, job, appearance, password)


def _check_augmentable(pdf: bytes) -> None:
    """Refuse a file augment cannot extend, with the reason."""
    # TODO(#4): augment an encrypted PDF in place (a password option and an
    # update encrypted as the file is, as a plain signature does).
    encrypted = InputError("the PDF is encrypted; edocx augment cannot extend it yet")
    try:
        opened = open_pdf(pdf, None, operation=None)
    except PDFPasswordRequiredError as e:
        raise encrypted from e
    if opened.encrypted:
        raise encrypted
    if not opened.strict:
        raise InputError(
            "the PDF does not follow the PDF standard strictly; a new revision "
            "would not verify"
        )


def _pairs(args: argparse.Namespace) -> list[tuple[Path, Path]]:
    if args.batch is None:
        if args.input is None or args.output is None:
            raise UsageError("give IN.pdf and OUT.pdf, or --batch DIR --out DIR")
        check_target(args.output)
        return [(args.input, args.output)]
    if args.out is None or args.input is not None:
        raise UsageError("--batch DIR needs --out DIR and no IN or OUT")
    if not args.batch.is_dir():
        raise UsageError(f"--batch names no folder: {args.batch}")
    sources = sorted(p for p in args.batch.iterdir() if p.suffix.lower() == ".pdf")
    if not sources:
        raise InputError(f"no PDF file in {args.batch}")
    out = output_folder(args.out)
    return [(source, out / source.name) for source in sources]


def _size_limit(settings: Settings) -> int:
    """The largest input, in bytes: the hub's limit for a draft's upload."""
    return settings.http.max_upload_mb * 1024 * 1024


def _read(path: Path, limit: int) -> bytes:
    # The size first: a file of gigabytes would be read whole, then parsed.
    try:
        size = path.stat().st_size
        if size > limit:
            raise InputError(
                f"{path} is {size / 2**20:.1f} MB, larger than the "
                f"{limit // 2**20} MB edocx signs (http.max_upload_mb)",
                hint="set EDOCX_HTTP__MAX_UPLOAD_MB to allow larger files, "
                "as the hub would accept them",
            )
        return path.read_bytes()
    except OSError as e:
        raise InputError(f"cannot read {path}: {e.strerror}") from e


def _write(target: Path, outcome: SignOutcome) -> int:
    try:
        write_atomically(target, outcome.pdf)
    except OSError as e:
        print(f"edocx: cannot write {target}: {e.strerror or e}", file=sys.stderr)
        return EXIT_USAGE
    _say_outcome(target, outcome)
    return 0


def _usage(command: str, error: UsageError) -> int:
    print(f"edocx {command}: {error}", file=sys.stderr)
    return EXIT_USAGE


def _report(
    error: EdocxError, status: int, source: Path | None = None, *, tsa: str = ""
) -> int:
    where = f"{source}: " if source is not None else ""
    detail = error.detail
    if isinstance(error, PDFAlreadySignedError):
        detail = "the PDF already carries the personal signature (edocx_personal)"
    elif isinstance(error, PDFAlreadyIssuedError):
        detail = detail.replace("the document has already been issued: it", "the PDF")
    print(f"edocx: {where}{detail}", file=sys.stderr)
    hint = next((h for cls, h in CLI_HINTS.items() if isinstance(error, cls)), None)
    if isinstance(error, TimestampError):
        hint = tsa or hint
    if hint or error.hint:
        print(f"hint: {hint or error.hint}", file=sys.stderr)
    return status


def _say_outcome(target: Path, outcome: SignOutcome) -> None:
    asked = f" ({outcome.requested} asked)" if outcome.downgraded else ""
    print(f"{target}: {outcome.level}{asked}")
    for warning in outcome.warnings:
        print(f"warning: {target.name}: {warning}", file=sys.stderr)
