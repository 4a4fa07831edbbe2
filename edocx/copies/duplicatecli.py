"""``edocx duplicate check FILE.pdf``: is this e-duplicate as issued? (offline)

With the issuing body's certificate (``--certificate``; without it, the
certificate of the file's last signature is taken and said so), and the
register record when the holder has it (``--record RECORD.json``), the
steps of ``duplicatecheck`` run on the file: the payload's signer must be a seal
certificate of the body the payload names. The answer names the signer, the
duplicate and gives the address of the online check, the only one that
knows whether the body revoked it since.

Exit status: 0 as issued, 1 not as issued, 3 a file cannot be read.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from edocx.cliparts import command_group, file_action, read_input
from edocx.config import Settings
from edocx.copies.duplicatecheck import check_offline
from edocx.copies.duplicaterecord import BirthRecord, record_sha256
from edocx.copies.offlineanswer import (
    DUPLICATE,
    EXIT_AS_ISSUED,
    EXIT_NOT_AS_ISSUED,
    EXIT_UNREADABLE,
    Answer,
    certificate_option,
    given_certificates,
    print_answer,
)
from edocx.errors import EdocxError
from edocx.pki.trust import trust_root_paths


def add_parsers(commands: Any) -> None:
    """Add ``duplicate check`` to the ``edocx`` subcommands."""
    actions = command_group(commands, "duplicate", "e-duplicates from registers")
    check = file_action(actions, "check", "check an e-duplicate offline", __doc__)
    certificate_option(check, "issuing")
    check.add_argument(
        "--record", type=Path, metavar="JSON",
        help="the register record the duplicate should show",
    )  # fmt: skip
    check.set_defaults(run=run_check)


def run_check(args: argparse.Namespace, settings: Settings) -> int:
    """Check the file named on the command line; return the exit status."""
    pdf = read_input(args.file)
    if pdf is None:
        return EXIT_UNREADABLE
    try:
        record = None if args.record is None else _record_sha256(args.record)
    except (OSError, ValueError) as e:
        print(f"edocx: {e}", file=sys.stderr)
        return EXIT_UNREADABLE

    try:
        given, certificates = given_certificates(args.certificate, pdf)
    except EdocxError as e:
        print(f"edocx: {e.detail}", file=sys.stderr)
        return EXIT_UNREADABLE

    anchors = trust_root_paths(settings) + given
    checked = check_offline(pdf, certificates, anchors, record_sha256=record)
    if not checked.readable:
        print("edocx: the file is not a readable PDF", file=sys.stderr)
        return EXIT_UNREADABLE
    answer = Answer(checked.claim, checked.signer, checked.problems, checked.qr_text)
    print_answer(answer, DUPLICATE, from_file=not given)
    return EXIT_AS_ISSUED if checked.as_issued else EXIT_NOT_AS_ISSUED


def _record_sha256(path: Path) -> str:
    """Return the canonical digest of the record in ``path``."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return record_sha256(BirthRecord.model_validate(data))
    except (json.JSONDecodeError, ValidationError) as e:
        raise ValueError(f"{path} is not a register record: {e}") from e
