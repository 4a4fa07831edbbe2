"""The ``edocx`` command: serve, manage the PKI, sign, augment, verify, demo, bench."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from edocx import accesscli as access_cli
from edocx.audit import cli as audit_cli
from edocx.config import Settings, load_settings
from edocx.copies import cli as copy_cli
from edocx.copies import duplicatecli as duplicate_cli
from edocx.edxml import cli as edxml_cli
from edocx.errors import EdocxError
from edocx.logsetup import configure_logging, quiet_library_loggers
from edocx.signing import cli as signing_cli
from edocx.signing.asn1fix import install as install_asn1_correction


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return 2
    # Before any signing or timestamping: asn1crypto's encoder, corrected
    # (edocx.signing.asn1fix, docs/known-issues.md).
    install_asn1_correction()
    try:
        settings = load_settings()
        configure_logging(settings.log_level, as_json=settings.log_json)
        status: int = args.run(args, settings)
    except EdocxError as e:
        print(f"edocx: {e.detail}", file=sys.stderr)
        if e.hint:
            print(f"hint: {e.hint}", file=sys.stderr)
        return 3 if args.command == "verify" else 1
    return status


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors exit with a chosen status."""

    usage_error_status = 2

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(self.usage_error_status, f"{self.prog}: error: {message}\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="edocx", description=__doc__)
    commands = parser.add_subparsers(dest="command")

    serve = commands.add_parser("serve", help="run the hub (creates var/ if missing)")
    serve.set_defaults(run=_serve)

    pki = commands.add_parser("pki", help="the development PKI")
    pki_commands = pki.add_subparsers(dest="pki_command", required=True)
    pki_init = pki_commands.add_parser("init", help="create the development PKI")
    pki_init.set_defaults(run=_pki_init)

    verify = commands.add_parser(
        "verify",
        help="verify a signed PDF offline",
        description="Verify the signatures of a PDF. Exit status: 0 every "
        "signature passed, 1 one failed or the file has no signature, 2 none "
        "failed and one is indeterminate, 3 the input is not a usable PDF.",
    )
    # Exit status 2 means "indeterminate" here: a usage error is unusable input.
    verify.usage_error_status = 3
    verify.add_argument("file", type=Path)
    verify.add_argument(
        "--trust", type=Path, action="append", metavar="PEM",
        help="a PEM or DER file of trusted root certificates (several allowed "
        "in a PEM file), added to the configured anchors; repeatable",
    )  # fmt: skip
    verify.add_argument(
        "--trust-only", action="store_true",
        help="trust only the --trust files, not the configured anchors",
    )  # fmt: skip
    verify.add_argument(
        "--format", choices=["text", "json", "html"], default="text",
        help="how to print the report (default: text)",
    )  # fmt: skip
    # Kept for scripts written before --format.
    verify.add_argument(
        "--json", dest="format", action="store_const", const="json",
        help=argparse.SUPPRESS,
    )  # fmt: skip
    verify.set_defaults(run=_verify)

    signing_cli.add_parsers(commands)
    edxml_cli.add_parsers(commands)
    copy_cli.add_parsers(commands)
    duplicate_cli.add_parsers(commands)
    audit_cli.add_parsers(commands)
    access_cli.add_parsers(commands)

    demo = commands.add_parser("demo", help="play the main job against the hub")
    demo.add_argument("--url", default=None, help="hub address (default: config)")
    demo.add_argument(
        "--tokens", type=Path, default=None,
        help="demo tokens file (default: var/demo-tokens.json)",
    )  # fmt: skip
    demo.add_argument(
        "--data",
        type=Path,
        default=None,
        help="the shared data folder or its pdf-unsigned/ "
        "(default: $EDOCX_TEST_DATA, else ../shared/data beside the checkout)",
    )
    demo.set_defaults(run=_demo)

    _bench_parsers(commands)
    return parser


def _bench_parsers(commands: Any) -> None:
    """``edocx bench NAME``: each bench with only the options it reads."""
    bench = commands.add_parser("bench", help="measure against the bare libraries")
    names = bench.add_subparsers(dest="name", required=True, metavar="NAME")
    hub = names.add_parser("hub", help="signing and verifying throughput")
    hub.add_argument(
        "--rounds", type=_positive, default=4, metavar="N",
        help="passes over the demo PDFs (default 4)",
    )  # fmt: skip
    _data_option(hub)
    corpus = names.add_parser("corpus", help="agreement with the DSS test corpus")
    _data_option(corpus)
    verify = names.add_parser("verify", help="the verifier against bare pyHanko")
    _documents_option(verify, "documents per batch")
    _data_option(verify)
    sign = names.add_parser(
        "sign", help="signing at each level and key against stock pyHanko"
    )
    _documents_option(sign, "documents per level and key")
    sign.add_argument(
        "--large-mb", type=_positive, default=50, metavar="N",
        help="size in MB of the large PDF whose signing is measured (default "
        "50); the JSON key of its peak memory follows it: peak_rss_mb_<N>mb",
    )  # fmt: skip
    send = names.add_parser(
        "send", help="the end-to-end send to 1, 3 and 10 recipients over HTTP"
    )
    send.add_argument(
        "--documents", type=_positive, default=16, metavar="N",
        help="documents per cell (recipients x clients; default 16)",
    )  # fmt: skip
    _data_option(send)
    audit = names.add_parser(
        "audit", help="audit log appends, proofs in a large log, size per entry"
    )
    audit.add_argument(
        "--entries", type=_positive, default=1_000_000, metavar="N",
        help="entries of the log the proofs are made in (default 1000000)",
    )  # fmt: skip
    audit.add_argument(
        "--appends", type=_positive, default=20_000, metavar="N",
        help="events appended to measure appends per second (default 20000)",
    )  # fmt: skip
    audit.add_argument(
        "--batch", type=_positive, default=100, metavar="N",
        help="events per transaction when appending (default 100)",
    )  # fmt: skip
    load = names.add_parser(
        "load", help="sends, inbox reads, statuses and verifications at once"
    )
    load.add_argument(
        "--seconds", type=_positive, default=60, metavar="N",
        help="how long the clients run (default 60)",
    )  # fmt: skip
    load.add_argument(
        "--clients", type=_positive, default=64, metavar="N",
        help="concurrent clients (default 64)",
    )  # fmt: skip
    _data_option(load)
    for parser in (hub, corpus, verify, sign, send, audit, load):
        parser.set_defaults(run=_bench)


def _documents_option(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument(
        "--documents", type=_positive, default=30, metavar="N",
        help=f"{what} (default 30)",
    )  # fmt: skip


def _data_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data", type=Path, default=None, metavar="DIR",
        help="the shared data folder or its pdf-unsigned/ (as for demo)",
    )  # fmt: skip


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    from edocx.web.server import run_server

    return run_server(settings)


def _pki_init(args: argparse.Namespace, settings: Settings) -> int:
    from edocx.bootstrap import ensure_pki

    layout = ensure_pki(settings, create=True)
    print(f"development PKI in {layout.dir} (root: {layout.root_cert_path})")
    return 0


def _verify(args: argparse.Namespace, settings: Settings) -> int:
    from edocx.verification.cli import TrustChoice, run_verify_cli

    # The verdict is the output; progress lines would only clutter it.
    configure_logging("WARNING")
    quiet_library_loggers(settings.log_level)
    trust = TrustChoice(tuple(args.trust or ()), replace=args.trust_only)
    if trust.replace and not trust.files:
        print("edocx verify: --trust-only needs at least one --trust", file=sys.stderr)
        return 3
    return run_verify_cli(args.file, settings, trust=trust, output=args.format)


def _demo(args: argparse.Namespace, settings: Settings) -> int:
    from edocx.demo.run import run_demo

    return asyncio.run(
        run_demo(settings, url=args.url, tokens=args.tokens, data_dir=args.data)
    )


def _bench(args: argparse.Namespace, settings: Settings) -> int:
    quiet_library_loggers(settings.log_level)
    if args.name == "verify":
        from edocx.bench.verify import run_verify_bench

        return run_verify_bench(settings, documents=args.documents, data_dir=args.data)
    if args.name == "sign":
        from edocx.bench.sign import run_sign_bench

        return run_sign_bench(
            settings, documents=args.documents, large_mb=args.large_mb
        )
    if args.name == "send":
        from edocx.bench.send import run_send_bench

        return run_send_bench(settings, documents=args.documents, data_dir=args.data)
    if args.name == "audit":
        from edocx.bench.audit import run_audit_bench

        return run_audit_bench(
            entries=args.entries, appends=args.appends, batch=args.batch
        )
    if args.name == "load":
        from edocx.bench.load import run_load_bench

        return run_load_bench(
            settings, seconds=args.seconds, clients=args.clients, data_dir=args.data
        )
    if args.name == "corpus":
        from edocx.bench.corpus import run_corpus_bench

        return run_corpus_bench(args.data)
    from edocx.bench.hub import run_bench

    return run_bench(settings, rounds=args.rounds, data_dir=args.data)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


if __name__ == "__main__":
    sys.exit(main())
