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
from typing import Any

from edocx.cliparts import command_group, file_action, read_input
from edocx.config import Settings
from edocx.copies import binding, evidence
from edocx.copies.offlineanswer import (
    COPY,
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
from edocx.verification import VerifyOptions, verify_pdf
from edocx.verification.report import ValidationReport, Verdict


def add_parsers(commands: Any) -> None:
    """Add ``copy check`` to the ``edocx`` subcommands."""
    actions = command_group(commands, "copy", "certified e-copies")
    check = file_action(actions, "check", "check a certified copy offline", __doc__)
    certificate_option(check, "certifying")
    check.set_defaults(run=run_check)


def run_check(args: argparse.Namespace, settings: Settings) -> int:
    """Check the file named on the command line; return the exit status."""
    pdf = read_input(args.file)
    if pdf is None:
        return EXIT_UNREADABLE

    # 1. and 2. The payload and the scan.
    anchors = trust_root_paths(settings)
    try:
        given, certificates = given_certificates(args.certificate, pdf)
    except EdocxError as e:
        print(f"edocx: {e.detail}", file=sys.stderr)
        return EXIT_UNREADABLE
    facts = evidence.examine(pdf, certificates)
    if facts.first_revision_sha256 is None and facts.qr_text is None:
        print("edocx: the file is not a readable PDF", file=sys.stderr)
        return EXIT_UNREADABLE

    # 3. The signatures, offline.
    report = verify_pdf(pdf, VerifyOptions(anchors + given, allow_fetching=False))
    problems = _problems(facts, report)
    answer = Answer(facts.claim, facts.signer, problems, facts.qr_text)
    print_answer(answer, COPY, from_file=not given)
    return EXIT_NOT_AS_ISSUED if problems else EXIT_AS_ISSUED


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
