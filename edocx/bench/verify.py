"""``scripts/bench verify``: edocx's verifier against bare pyHanko validation.

One run makes a fresh development PKI in a scratch directory, serves its
TSA, OCSP and CRLs on a loopback port, and signs two batches of PAdES B-LT
documents from the demo PDFs:

- first-seen signers: every document signed by a different certificate;
- repeated signers: the same few certificates, round after round.

Each batch is then verified offline, in this process, by edocx's
:func:`~edocx.verification.verify.verify_pdf` (its caches emptied before the
batch) and by bare pyHanko (one validation context per document built from
the document's DSS, no fetching, the same trust root). The ratios are
edocx / pyHanko in documents per second; above 1 edocx is faster.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

from pyhanko.pdf_utils.reader import PdfFileReader

from edocx.bench import bare
from edocx.bench.figure import Figure
from edocx.config import Settings
from edocx.demo.run import find_demo_pdfs
from edocx.logsetup import configure_logging
from edocx.pki.credentials import CredentialRef, load_signer
from edocx.pki.devpki import PKILayout, SubscriberSpec, init_pki, load_architecture
from edocx.pki.devpki import tsa_url as dev_tsa_url
from edocx.pki.server import PKIServerThread
from edocx.pki.trust import load_certs
from edocx.verification.cache import cache_hits, clear_caches
from edocx.verification.report import Verdict
from edocx.verification.verify import VerifyOptions, verify_pdf

BENCH_PASSPHRASE = b"bench passphrase, not a secret"
REPEATED_SIGNERS = 3


@dataclass(frozen=True)
class Batches:
    root: Path
    first_seen: list[bytes]
    repeated: list[bytes]


def run_verify_bench(
    settings: Settings, *, documents: int, data_dir: Path | None = None
) -> int:
    """Sign both batches, time both verifiers on each; print table and JSON."""
    configure_logging("WARNING")
    pdfs = [path.read_bytes() for path in find_demo_pdfs(data_dir)]
    # The comparison needs files both can read; pyHanko's default strict
    # reader refuses some of the demo files.
    pdfs = [pdf for pdf in pdfs if _strictly_readable(pdf)]
    with tempfile.TemporaryDirectory(prefix="edocx-bench-") as scratch:
        batches = _sign_batches(settings, Path(scratch), pdfs, documents)
        figures = _measure(batches)
    _report(figures, documents)
    return 0


def _strictly_readable(pdf: bytes) -> bool:
    try:
        PdfFileReader(BytesIO(pdf))
    except Exception:
        return False
    return True


def _sign_batches(
    settings: Settings, scratch: Path, pdfs: list[bytes], documents: int
) -> Batches:
    from edocx.bench.hub import _scratch_settings

    bench_settings = _scratch_settings(settings, scratch)
    people = [
        SubscriberSpec(f"bench-{i}", "person", f"Người ký {i}", "Cơ quan đo")
        for i in range(documents + 1)
    ]
    layout = init_pki(bench_settings, BENCH_PASSPHRASE, people, at=datetime.now(UTC))
    server = PKIServerThread(
        load_architecture(bench_settings, BENCH_PASSPHRASE), bench_settings.pki_url
    )
    server.start()
    try:
        sign = _signing(layout, dev_tsa_url(bench_settings))
        labels = [p.label for p in people[1:]]
        # Signer 0 signs only the warm-up document.
        warm_up = sign(pdfs[0], people[0].label)
        first_seen = [sign(pdfs[i % len(pdfs)], labels[i]) for i in range(documents)]
        repeated = [
            sign(pdfs[i % len(pdfs)], labels[i % REPEATED_SIGNERS])
            for i in range(documents)
        ]
    finally:
        server.stop()
    return Batches(layout.root_cert_path, [warm_up, *first_seen], repeated)


def _signing(layout: PKILayout, url: str) -> Callable[[bytes, str], bytes]:
    roots = load_certs([layout.root_cert_path])
    extra = load_certs(layout.chain_cert_paths)

    def sign(pdf: bytes, label: str) -> bytes:
        ref = CredentialRef(layout.p12_path(label), BENCH_PASSPHRASE)
        return bare.sign_b_lt(pdf, load_signer(ref), url, roots, extra)

    return sign


def _measure(batches: Batches) -> dict[str, Figure]:
    options = VerifyOptions(trust_root_paths=(batches.root,), allow_fetching=False)
    roots = load_certs([batches.root])
    warm_up, first_seen = batches.first_seen[0], batches.first_seen[1:]

    # Warm-up: imports and first-call costs of both, outside the timings.
    _edocx(options)(warm_up)
    _bare(roots)(warm_up)
    figures: dict[str, Figure] = {}
    for name, batch in (("first_seen", first_seen), ("repeated", batches.repeated)):
        clear_caches()
        figures[f"edocx_{name}"] = _timed(f"edocx_{name}", batch, _edocx(options))
        figures[f"pyhanko_{name}"] = _timed(f"pyhanko_{name}", batch, _bare(roots))
    return figures


def _edocx(options: VerifyOptions) -> Callable[[bytes], None]:
    def verify(pdf: bytes) -> None:
        report = verify_pdf(pdf, options)
        if report.verdict is not Verdict.PASSED:
            raise RuntimeError(f"edocx gave {report.verdict} on a bench document")

    return verify


def _bare(roots: Sequence[object]) -> Callable[[bytes], None]:
    def verify(pdf: bytes) -> None:
        if not bare.validate_offline(pdf, roots):  # type: ignore[arg-type]
            raise RuntimeError("bare pyHanko did not validate a bench document")

    return verify


def _timed(name: str, batch: list[bytes], verify: Callable[[bytes], None]) -> Figure:
    start = time.perf_counter()
    for pdf in batch:
        verify(pdf)
    return Figure(name, len(batch), time.perf_counter() - start)


def _report(figures: dict[str, Figure], documents: int) -> None:
    print("edocx bench verify (one process; docs/s, higher is better)")
    print(f"{'measure':<20} {'docs':>5} {'seconds':>9} {'docs/s':>8}")
    for fig in figures.values():
        print(f"{fig.name:<20} {fig.documents:>5} {fig.seconds:>9.2f} "
              f"{fig.per_second:>8.2f}")  # fmt: skip

    def ratio(kind: str) -> float:
        edocx, base = figures[f"edocx_{kind}"], figures[f"pyhanko_{kind}"]
        return round(edocx.per_second / base.per_second, 3)

    result = {
        "bench": "verify",
        "documents": documents,
        "repeated_signers": REPEATED_SIGNERS,
        "ratio_first_seen": ratio("first_seen"),
        "ratio_repeated": ratio("repeated"),
        "cache_hits_repeated": cache_hits(),
        **{f"{k}_docs_per_s": round(v.per_second, 3) for k, v in figures.items()},
    }
    print(f"ratio first-seen (edocx/pyHanko): {result['ratio_first_seen']}   "
          f"ratio repeated: {result['ratio_repeated']}")  # fmt: skip
    print(json.dumps(result))
