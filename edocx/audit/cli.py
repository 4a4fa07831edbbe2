"""``edocx audit export|verify|proof|verify-proof``: the log, checked offline.

``export`` writes the hub's log and tree heads (JSON lines, see
docs/audit-log.md); ``verify`` checks such a file against the tree heads
its holder kept; ``proof`` writes a document's entries with their inclusion
proofs against one signed tree head; ``verify-proof`` checks that file.
Neither ``verify`` nor ``verify-proof`` needs the hub or the network.

Exit status: 0 everything matches, 1 something does not (named on the
output), 2 a usage error, 3 a file cannot be read or is not of the format.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO, TypeVar

from cryptography import x509

from edocx.audit import docproof as proofs
from edocx.audit.export import ExportFormatError, export_log, read_export
from edocx.audit.headcheck import verify_tree_head
from edocx.audit.treehead import SignedTreeHead
from edocx.audit.verify import HeadCheck, verify_log
from edocx.cliparts import cannot_read, command_group, file_action
from edocx.config import Settings
from edocx.errors import EdocxError
from edocx.pki.trust import load_certs, load_trust_roots
from edocx.store.db import Database

T = TypeVar("T")

EXIT_GOOD = 0
EXIT_MISMATCH = 1
EXIT_UNREADABLE = 3


def add_parsers(commands: Any) -> None:
    """Add ``audit export|verify|proof|verify-proof`` to the subcommands."""
    actions = command_group(commands, "audit", "the audit log: export, verify, proofs")

    export = actions.add_parser("export", help="write the log and its tree heads")
    _out_option(export, "the file to write (default: standard output)")
    export.set_defaults(run=run_export)

    verify = file_action(
        actions, "verify", "check an exported log offline against tree heads", __doc__
    )
    verify.add_argument(
        "--tree-head", type=Path, action="append", default=[], metavar="STH.json",
        help="a signed tree head kept outside the hub (JSON as the API answers"
        " it); repeatable",
    )  # fmt: skip
    _trust_options(verify)
    verify.set_defaults(run=run_verify)

    proof = actions.add_parser(
        "proof", help="write a document's entries with their inclusion proofs"
    )
    proof.add_argument("document_id", metavar="DOCUMENT_ID")
    proof.add_argument(
        "--tree-size", type=int, default=None, metavar="N",
        help="prove against the kept tree head of this size (default: latest)",
    )  # fmt: skip
    _out_option(proof, "the file to write (default: standard output)")
    proof.set_defaults(run=run_proof)

    check = file_action(actions, "verify-proof", "check a proof file offline", None)
    _trust_options(check)
    check.set_defaults(run=run_verify_proof)


def _out_option(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument("--out", type=Path, default=None, metavar="FILE", help=what)


def _trust_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--trust", type=Path, action="append", default=[], metavar="PEM",
        help="roots of trust of the hub's audit key, added to the configured"
        " anchors; repeatable",
    )  # fmt: skip
    parser.add_argument(
        "--trust-only", action="store_true",
        help="trust only the --trust files, not the configured anchors",
    )  # fmt: skip


def run_export(args: argparse.Namespace, settings: Settings) -> int:
    """Export the hub's log; return the exit status."""
    try:
        with _output(args.out) as out:
            size, heads = asyncio.run(_with_db(settings, lambda db: _export(db, out)))
    except OSError as e:
        print(f"edocx audit export: cannot write {e.filename}: {e.strerror}",
              file=sys.stderr)  # fmt: skip
        return EXIT_UNREADABLE
    print(f"exported {size} entries and {heads} tree heads", file=sys.stderr)
    return EXIT_GOOD


async def _export(db: Database, out: TextIO) -> tuple[int, int]:
    return await export_log(db, out, at=datetime.now(UTC))


def run_verify(args: argparse.Namespace, settings: Settings) -> int:
    """Verify an export against kept tree heads; print the report."""
    try:
        with args.file.open(encoding="utf-8") as lines:
            exported = read_export(lines)
        kept = [_read_head(path) for path in args.tree_head]
        check = _head_check(args, settings)
    except (OSError, UnicodeDecodeError, EdocxError) as e:
        print(f"edocx audit verify: {_why(e)}", file=sys.stderr)
        return EXIT_UNREADABLE

    report = verify_log(exported, kept, check)
    print("\n".join(report.lines()))
    return EXIT_GOOD if report.ok else EXIT_MISMATCH


def run_proof(args: argparse.Namespace, settings: Settings) -> int:
    """Write the proof that a document's events are in the log."""

    async def prove(db: Database) -> proofs.DocumentProof:
        return await proofs.document_proof(db, args.document_id, args.tree_size)

    proof = asyncio.run(_with_db(settings, prove))
    with _output(args.out) as out:
        out.write(proof.to_json())
    if proof.pending:
        print(
            f"{len(proof.pending)} later entries are not under a tree head yet:"
            " make one (POST /api/v1/audit/tree-head) and run again",
            file=sys.stderr,
        )
    return EXIT_GOOD


def run_verify_proof(args: argparse.Namespace, settings: Settings) -> int:
    """Check a proof file offline; print one line per entry."""
    try:
        proof = proofs.DocumentProof.from_json(args.file.read_text(encoding="utf-8"))
        check = _head_check(args, settings)
    except (OSError, UnicodeDecodeError, EdocxError) as e:
        print(f"edocx audit verify-proof: {_why(e)}", file=sys.stderr)
        return EXIT_UNREADABLE

    problems = proofs.check_proof(proof, check)
    print("\n".join(proofs.describe(proof, problems)))
    return EXIT_GOOD if not problems else EXIT_MISMATCH


def _read_head(path: Path) -> SignedTreeHead:
    try:
        return SignedTreeHead.model_validate_json(path.read_bytes())
    except ValueError as e:
        raise ExportFormatError(f"{path}: not a signed tree head") from e


def _head_check(args: argparse.Namespace, settings: Settings) -> HeadCheck:
    roots = trust_roots(settings, args.trust, only=args.trust_only)
    return lambda sth: verify_tree_head(sth, roots)


def trust_roots(
    settings: Settings, files: Sequence[Path] = (), *, only: bool = False
) -> list[x509.Certificate]:
    """The roots a tree head's certificates must chain to: ``files`` and,
    unless ``only``, the configured anchors (the development root in demo)."""
    loaded = load_certs(files)
    if not only:
        loaded += load_trust_roots(settings)
    # The PKI module reads asn1crypto certificates; the check takes
    # cryptography's.
    return [x509.load_der_x509_certificate(cert.dump()) for cert in loaded]


async def _with_db(settings: Settings, work: Callable[[Database], Awaitable[T]]) -> T:
    db = Database(settings.storage.db_path)
    await db.open()
    try:
        return await work(db)
    finally:
        await db.close()


@contextmanager
def _output(path: Path | None) -> Iterator[TextIO]:
    if path is None:
        yield sys.stdout
        return
    with path.open("w", encoding="utf-8") as out:
        yield out


def _why(error: Exception) -> str:
    if isinstance(error, EdocxError):
        return error.detail
    if isinstance(error, OSError):
        return cannot_read(error)
    return "the file is not UTF-8"
