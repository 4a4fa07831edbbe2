"""``edocx edxml check FILE``: read an edXML packet offline and judge it.

Exit status: 0 the packet is usable (warnings allowed), 1 it is not (or it
has warnings under ``--strict``, or it is refused as hostile XML), 3 the
file is not XML at all (or cannot be read).
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from edocx.cliparts import command_group, file_action, read_input
from edocx.config import Settings
from edocx.edxml.model import Finding, PacketReport
from edocx.edxml.parse import PacketParseError
from edocx.edxml.rules import check_packet

EXIT_USABLE = 0
EXIT_UNUSABLE = 1
EXIT_NOT_XML = 3


def add_parsers(commands: Any) -> None:
    """Add ``edxml check`` to the ``edocx`` subcommands."""
    actions = command_group(commands, "edxml", "edXML packets (QCVN 102:2016)")
    check = file_action(
        actions, "check", "read a packet offline and list its errors and warnings",
        __doc__,
    )  # fmt: skip
    check.add_argument(
        "--strict", action="store_true", help="treat every warning as an error"
    )
    check.add_argument("--format", choices=["text", "json"], default="text")
    check.set_defaults(run=run_check)


def run_check(args: argparse.Namespace, settings: Settings) -> int:
    """Check the packet named on the command line; return the exit status."""
    data = read_input(args.file)
    if data is None:
        return EXIT_NOT_XML

    try:
        report = check_packet(data)
    except PacketParseError as e:
        refusal = Finding(e.code, e.detail)
        _print(PacketReport(facts=None, errors=(refusal,)), args)
        return EXIT_NOT_XML if e.not_xml else EXIT_UNUSABLE

    _print(report, args)
    return EXIT_USABLE if report.usable_under(strict=args.strict) else EXIT_UNUSABLE


def _print(report: PacketReport, args: argparse.Namespace) -> None:
    if args.format == "json":
        out = report.to_json()
        out["strict"] = args.strict
        out["usable"] = report.usable_under(strict=args.strict)
        print(json.dumps(out, ensure_ascii=False, indent=2))
        return
    print("\n".join(render_text(report, strict=args.strict)))


def render_text(report: PacketReport, *, strict: bool) -> list[str]:
    """Return the report as lines for a clerk: facts, then errors, warnings."""
    lines = list(_fact_lines(report))
    for finding in report.errors:
        lines.append(f"error: {finding.code}: {finding.message}")
    label = "error (strict)" if strict else "warning"
    for finding in report.warnings:
        lines.append(f"{label}: {finding.code}: {finding.message}")
    verdict = "usable" if report.usable_under(strict=strict) else "unusable"
    lines.append(f"verdict: {verdict}")
    return lines


def _fact_lines(report: PacketReport) -> list[str]:
    facts = report.facts
    if facts is None:
        return []
    sender = facts.sender.organ_id if facts.sender else "-"
    code = f"{facts.code_number or '-'}/{facts.code_notation or '-'}"
    lines = [
        f"kind: {facts.kind.value}",
        f"sender: {sender}",
        "recipients: " + (", ".join(o.organ_id for o in facts.recipients) or "-"),
        f"document id: {facts.document_id or '-'}",
        f"number and notation: {code}",
        f"business type: {_or_dash(facts.business_type)}",
        f"status code: {facts.status_code or '-'}",
    ]
    for answered in facts.response_for:
        lines.append(f"response for: {answered.document_id or '-'}")
    for a in facts.attachments:
        state = f"{a.size} bytes" if a.base64_valid else "not base64 or missing"
        lines.append(f"attachment: {a.content_id} {a.name or '-'} ({state})")
    detail = f" ({facts.signature_detail})" if facts.signature_detail else ""
    lines.append(f"packet signature: {facts.signature.value}{detail}")
    return lines


def _or_dash(value: object) -> str:
    return "-" if value is None else str(value)
