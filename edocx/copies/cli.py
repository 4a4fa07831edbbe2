"""``edocx copy check FILE.pdf``: is this certified copy as issued? (offline)

With the certifying body's certificate alone (``--certificate``; without
it, the certificate of the file's last signature is taken and said so):

1. the QR payload the file keeps verifies with the certificate and names
   the copy's code, number, book, date, body and document;
2. that certificate is a seal (organisation) certificate of the body the
   payload names: one of its organisation identifiers is the body's code;
   the answer always names it (its subject);
3. the file's first revision is the scan that payload names;
4. every signature of the file passes, validated offline against the
   configured trust anchors and the body's certificate; one of them is the
   certifier's personal signature, one the body's seal with that same
   certificate.

An offline check cannot know whether the body revoked the copy since: the
answer says so and gives the address of the online check.

Exit status: 0 as issued, 1 not as issued, 3 the file cannot be read.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from edocx.config import Settings
from edocx.copies import binding, evidence, qr
from edocx.errors import EdocxError
from edocx.pki.trust import load_certs, trust_root_paths
from edocx.verification import VerifyOptions, verify_pdf
from edocx.verification.report import ValidationReport, Verdict

EXIT_AS_ISSUED = 0
EXIT_NOT_AS_ISSUED = 1
EXIT_UNREADABLE = 3


def add_parsers(commands: Any) -> None:
    """Add ``copy check`` to the ``edocx`` subcommands."""
    copy = commands.add_parser("copy", help="certified e-copies")
    actions = copy.add_subparsers(dest="copy_command", required=True)
    check = actions.add_parser(
        "check", help="check a certified copy offline",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    check.add_argument("file", type=Path)
    check.add_argument(
        "--certificate", type=Path, metavar="PEM",
        help="the certifying body's seal certificate (PEM or DER)",
    )  # fmt: skip
    check.set_defaults(run=run_check)


def run_check(args: argparse.Namespace, settings: Settings) -> int:
    """Check the file named on the command line; return the exit status."""
    try:
        pdf = Path(args.file).read_bytes()
    except OSError as e:
        print(f"edocx: cannot read {args.file}: {e.strerror}", file=sys.stderr)
        return EXIT_UNREADABLE

    # 1. and 2. The payload and the scan.
    anchors = trust_root_paths(settings)
    given: tuple[Path, ...] = (args.certificate,) if args.certificate else ()
    certificates = _certificates(given, pdf)
    facts = evidence.examine(pdf, certificates)
    if facts.first_revision_sha256 is None and facts.qr_text is None:
        print("edocx: the file is not a readable PDF", file=sys.stderr)
        return EXIT_UNREADABLE

    # 3. The signatures, offline.
    report = verify_pdf(pdf, VerifyOptions(anchors + given, allow_fetching=False))
    problems = _problems(facts, report)
    _print(facts, problems, from_file=not given)
    return EXIT_NOT_AS_ISSUED if problems else EXIT_AS_ISSUED


def _certificates(given: tuple[Path, ...], pdf: bytes) -> tuple[bytes, ...]:
    if given:
        try:
            return tuple(bytes(c.dump()) for c in load_certs(given))
        except EdocxError as e:
            print(f"edocx: {e.detail}", file=sys.stderr)
            return ()
    return evidence.last_signer_certificate(pdf)


def _problems(facts: evidence.FileEvidence, report: ValidationReport) -> list[str]:
    problems: list[str] = []
    if facts.payload_problem:
        problems.append(f"QR payload: {facts.payload_problem}")
    elif not facts.scan_matches:
        problems.append("the first revision is not the scan the payload names")
    if report.verdict is not Verdict.PASSED:
        problems.append(f"the signatures do not pass: {report.verdict.value}")
    if facts.signer is not None and report.verdict is not Verdict.UNUSABLE:
        problems += binding.signature_problems(report, facts.signer)
    return problems


def _print(
    facts: evidence.FileEvidence, problems: list[str], *, from_file: bool
) -> None:
    claim = facts.claim
    if claim is not None:
        print(f"Copy {claim.code}: number {claim.number} of {claim.book},")
        print(f"  certified on {claim.date} by {claim.body}: {claim.document_name}")
    if facts.signer is not None:
        print(f"Payload signed by: {binding.signer_subject(facts.signer)}")
    else:
        print("Payload signed by: no given certificate verifies it")
    if from_file:
        print("note: checked with the certificate inside the file; give the body's")
        print("  certificate with --certificate to know who certified it")
    if problems:
        print("NOT AS ISSUED:")
        for problem in problems:
            print(f"  - {problem}")
    else:
        print("AS ISSUED: the copy is the one the body certified, unmodified.")
    if facts.qr_text:
        address = qr.parse_qr_text(facts.qr_text).address
        print("Whether it was revoked since can only be checked online:")
        print(f"  {address}")
