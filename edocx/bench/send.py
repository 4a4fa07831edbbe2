"""``scripts/bench send``: the end-to-end send of a signed document.

One run starts a hub on a free loopback port with a fresh development PKI
(the hub serves the TSA, OCSP and CRLs itself), registers recipients
beside the demo agencies, and signs PAdES B-LT documents from a demo PDF
with bare pyHanko (a different signature, hence different bytes, for
every send: the hub's caches keyed by content must not answer). Then, for
1, 3 and 10 recipients, with 1 and 16 clients sending at once, it measures
the send of each document:

1. the sender's system posts the signed document: ``POST /api/v1/edxml``
   with a document packet carrying the PDF (the hub verifies it at the
   door, stores it and routes it to each recipient). Before that route
   existed the flow was the hub's own: upload as a draft, sign, issue;
   the JSON's ``flow`` says which one ran ("edxml" or "issue");
2. every recipient's system, each on its own, fetches the PDF (the hub
   records 01) and then posts status 03 (accepted).

A send's latency runs from the start of step 1 to the answer of the last
recipient's 03. Per cell the bench reports documents per second (documents
/ wall time of the cell) and the p50 and p99 send latencies (nearest rank).

The reference is bare pyHanko validation of the same documents in this
process, one validation context per document built from its DSS, no
fetching, the same trust root (:func:`edocx.bench.bare.validate_offline`);
its time per document is the median over the documents of the cell below,
each validated right before it is sent, so that both sides meet the same
load of the machine (a reference taken at another moment swings the ratio
by a third on a shared 2-core machine).

``overhead_ratio_n3`` = p50 send latency with 3 recipients and 1 client /
median bare validation time, over the same documents. The hub's own work
(everything but the validation: HTTP, XML, base64, storage, routing, the
fetches and statuses) adds ``overhead_ratio_n3 - 1`` to the validation;
the target is at most 1.25. ``post_ratio_n3`` is the same ratio for the
sender's post alone (verify at the door, store, route: step 1).

The hub runs in a process of its own (with its worker processes), as
deployed; the clients run in the bench's process.
"""

from __future__ import annotations

import asyncio
import json
import math
import multiprocessing
import secrets
import statistics
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from edocx.bench import bare
from edocx.bench.hub import _scratch_settings
from edocx.bench.sendflows import Send, choose_flow, receive
from edocx.bootstrap import ensure_demo_agencies, ensure_pki, read_demo_tokens
from edocx.config import Settings, read_key_passphrase
from edocx.demo.client import HubClient
from edocx.demo.run import find_demo_pdfs
from edocx.logsetup import configure_logging, quiet_library_loggers
from edocx.pki.credentials import CredentialRef, load_signer
from edocx.pki.devpki import PKILayout, tsa_url
from edocx.pki.trust import load_certs
from edocx.store.db import Database
from edocx.store.models import Role
from edocx.store.seed import create_agency, create_user

RECIPIENTS = (1, 3, 10)
CLIENTS = (1, 16)
TARGET = 1.25
SENDER = "a"
# Recipients registered for the bench beside the demo agencies B and C.
EXTRA_RECIPIENTS = tuple(f"000.00.99.B{i:02d}" for i in range(1, 9))
# The hub's process starts clean, as the workers do (no forked loop).
_SPAWN = multiprocessing.get_context("spawn")


@dataclass(frozen=True)
class Cell:
    """One measured cell: recipients, clients, latencies and wall time."""

    recipients: int
    clients: int
    latencies: tuple[float, ...]
    seconds: float
    # The sender's post alone: verified at the door, stored, routed.
    posts: tuple[float, ...] = ()

    @property
    def key(self) -> str:
        return f"n{self.recipients}_c{self.clients}"

    @property
    def per_second(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        return nearest_rank(self.latencies, q)


def nearest_rank(values: Sequence[float], q: float) -> float:
    """The ``q`` quantile of ``values`` by nearest rank (p50: q=0.5)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


@dataclass(frozen=True)
class Outcome:
    flow: str
    workers: int
    bare_s: float
    cells: tuple[Cell, ...]
    routes: dict[str, float]


def run_send_bench(
    settings: Settings, *, documents: int, data_dir: Path | None = None
) -> int:
    """Run the send bench in a scratch directory; print the table and JSON."""
    configure_logging("WARNING")
    source = find_demo_pdfs(data_dir)[0].read_bytes()
    with tempfile.TemporaryDirectory(prefix="edocx-bench-") as scratch:
        bench_settings = _scratch_settings(settings, Path(scratch))
        ensure_pki(bench_settings)
        outcome = asyncio.run(_measure(bench_settings, source, documents))
    _report(outcome, documents)
    return 0


async def _measure(settings: Settings, source: bytes, documents: int) -> Outcome:
    tokens = await _directory(settings)
    async with hub_process(settings):
        # The cells' documents, and one per worker for the warm-up.
        cells = len(RECIPIENTS) * len(CLIENTS)
        count = documents * cells + settings.workers.processes
        signed = await asyncio.to_thread(sign_all, settings, source, count)
        async with aiohttp.ClientSession() as http:
            return await _cells(http, settings, tokens, signed, documents)


@asynccontextmanager
async def hub_process(settings: Settings) -> AsyncIterator[int]:
    """Run the hub in a process of its own, as deployed; yield its pid.

    The clients' work (building requests, reading answers) then runs
    beside the hub, not on its event loop.
    """
    process = _SPAWN.Process(target=serve_hub, args=(settings,), name="edocx-hub")
    process.start()
    try:
        await _healthy(settings.http.public_url, process)
        assert process.pid is not None
        yield process.pid
    finally:
        # SIGTERM: aiohttp stops the hub, which stops its workers.
        process.terminate()
        await asyncio.to_thread(process.join, 30)
        if process.is_alive():
            process.kill()


def serve_hub(settings: Settings) -> None:
    """The hub process: serve ``settings`` until SIGTERM."""
    from edocx.web.app import create_app
    from edocx.web.runner import serve_app

    configure_logging("WARNING")
    quiet_library_loggers("WARNING")
    host, port = settings.http.host, settings.http.port
    serve_app(create_app(settings), host=host, port=port, access_log=None)


async def _healthy(base: str, process: BaseProcess, *, within_s: float = 60) -> None:
    deadline = time.monotonic() + within_s
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline and process.is_alive():
            try:
                async with http.get(base + "healthz") as answer:
                    if answer.status == 200:
                        return
            except aiohttp.ClientConnectionError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError(f"the bench's hub did not become healthy at {base}healthz")


async def _directory(settings: Settings) -> dict[str, str]:
    """Seed the demo agencies and the bench's; return the systems' tokens."""
    db = Database(settings.storage.db_path)
    await db.open()
    try:
        await ensure_demo_agencies(settings, db)
        demo = read_demo_tokens(settings)
        tokens = {
            "sender": demo[SENDER]["system"],
            "signer": demo[SENDER]["signer"],
            "clerk": demo[SENDER]["clerk"],
            "000.00.00.G22": demo["b"]["system"],
            "000.00.00.H14": demo["c"]["system"],
        }
        at = datetime.now(UTC)
        for code in EXTRA_RECIPIENTS:
            await create_agency(
                db, organ_id=code, name=f"Cơ quan đo {code}", abbreviation="CQ",
                place="Hà Nội", seal_credential=None, at=at,
            )  # fmt: skip
            tokens[code] = secrets.token_urlsafe(24)
            await create_user(
                db, organ_id=code, display_name="Hệ thống đo", role=Role.SYSTEM,
                token=tokens[code], at=at,
            )  # fmt: skip
    finally:
        await db.close()
    return tokens


def sign_all(settings: Settings, source: bytes, count: int) -> list[bytes]:
    """Sign ``source`` ``count`` times at B-LT with A's signer, bare pyHanko."""
    layout = PKILayout(settings.pki.dir)
    ref = CredentialRef(
        layout.p12_path("person-a-signer"), read_key_passphrase(settings)
    )
    signer = load_signer(ref)
    roots = load_certs([layout.root_cert_path])
    extra = load_certs(layout.chain_cert_paths)
    url = tsa_url(settings)
    return [bare.sign_b_lt(source, signer, url, roots, extra) for _ in range(count)]


def _bare_time(pdf: bytes, roots: list[Any]) -> float:
    start = time.perf_counter()
    if not bare.validate_offline(pdf, roots):
        raise RuntimeError("bare pyHanko did not validate a bench document")
    return time.perf_counter() - start


async def _cells(
    http: aiohttp.ClientSession, settings: Settings, tokens: dict[str, str],
    signed: list[bytes], documents: int,
) -> Outcome:  # fmt: skip
    base = settings.http.public_url
    codes = ["000.00.00.G22", "000.00.00.H14", *EXTRA_RECIPIENTS]
    receivers = {code: HubClient(http, base, tokens[code]) for code in codes}
    send, prepare, flow = choose_flow(http, base, tokens)
    workers = settings.workers.processes
    seqs = iter(range(1, len(signed) + 1))
    docs = iter(signed)

    def batch(size: int, recipients: list[str]) -> list[tuple[bytes, int]]:
        return [
            (prepare(next(docs), recipients, seq), seq)
            for seq in (next(seqs) for _ in range(size))
        ]

    # Warm-up: every worker loads pyHanko and the trust roots once.
    await _timed_cell(send, receivers, codes[:3], batch(workers, codes[:3]), workers)
    roots = load_certs([PKILayout(settings.pki.dir).root_cert_path])
    cells: list[Cell] = []
    bare_times: list[float] = []
    for n in RECIPIENTS:
        for clients in CLIENTS:
            sends = batch(documents, codes[:n])
            reference = None
            if (n, clients) == (3, 1):
                reference = _Reference(signed, roots, bare_times)
            cell = await _timed_cell(
                send, receivers, codes[:n], sends, clients, reference
            )
            cells.append(cell)
    routes = await route_means(http, base)
    return Outcome(flow, workers, statistics.median(bare_times), tuple(cells), routes)


@dataclass(frozen=True)
class _Reference:
    """Bare pyHanko validation of each document, timed just before its send."""

    signed: list[bytes]
    roots: list[Any]
    times: list[float]

    async def measure(self, seq: int) -> None:
        pdf = self.signed[seq - 1]
        self.times.append(await asyncio.to_thread(_bare_time, pdf, self.roots))


async def _timed_cell(
    send: Send, receivers: dict[str, HubClient], codes: list[str],
    sends: list[tuple[bytes, int]], clients: int, reference: _Reference | None = None,
) -> Cell:  # fmt: skip
    gate = asyncio.Semaphore(clients)
    latencies: list[float] = []
    posts: list[float] = []

    async def one(payload: bytes, seq: int) -> None:
        async with gate:
            if reference is not None:
                await reference.measure(seq)
            start = time.perf_counter()
            doc_id = await send(payload, codes, seq)
            posts.append(time.perf_counter() - start)
            await asyncio.gather(*(receive(receivers[c], doc_id) for c in codes))
            latencies.append(time.perf_counter() - start)

    start = time.perf_counter()
    await asyncio.gather(*(one(payload, seq) for payload, seq in sends))
    seconds = time.perf_counter() - start
    if reference is not None:
        # One client at a time: the reference's validations held the cell up.
        seconds -= sum(reference.times)
    return Cell(len(codes), clients, tuple(latencies), seconds, tuple(posts))


async def route_means(http: aiohttp.ClientSession, base: str) -> dict[str, float]:
    """Mean answer time per route of the hub, from its own /metrics."""
    async with http.get(base + "metrics") as answer:
        text = await answer.text()
    sums: dict[str, float] = {}
    counts: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = sample.labels
            route = f"{labels.get('method')} {labels.get('route')}"
            if sample.name.endswith("_seconds_sum"):
                sums[route] = sums.get(route, 0.0) + sample.value
            elif sample.name.endswith("_seconds_count"):
                counts[route] = counts.get(route, 0.0) + sample.value
    # The API's routes; the PKI's and the health checks are not the send.
    return {
        route: round(sums[route] / counts[route], 5)
        for route in sums
        if counts.get(route) and " /api/" in route
    }


def _report(outcome: Outcome, documents: int) -> None:
    print(f"edocx bench send (flow {outcome.flow}, {outcome.workers} worker "
          f"processes, {documents} documents per cell)")  # fmt: skip
    print(f"{'recipients':>10} {'clients':>7} {'docs/s':>8} {'p50 ms':>8} "
          f"{'p99 ms':>8} {'p50/bare':>8}")  # fmt: skip
    result: dict[str, Any] = {
        "bench": "send",
        "flow": outcome.flow,
        "workers": outcome.workers,
        "documents_per_cell": documents,
        "bare_validation_s": round(outcome.bare_s, 5),
    }
    for cell in outcome.cells:
        p50, p99 = cell.percentile(0.5), cell.percentile(0.99)
        print(f"{cell.recipients:>10} {cell.clients:>7} {cell.per_second:>8.2f} "
              f"{p50 * 1000:>8.1f} {p99 * 1000:>8.1f} "
              f"{p50 / outcome.bare_s:>8.3f}")  # fmt: skip
        result[f"docs_per_s_{cell.key}"] = round(cell.per_second, 3)
        result[f"p50_s_{cell.key}"] = round(p50, 5)
        result[f"p99_s_{cell.key}"] = round(p99, 5)
    (n3,) = [c for c in outcome.cells if (c.recipients, c.clients) == (3, 1)]
    result["overhead_ratio_n3"] = round(n3.percentile(0.5) / outcome.bare_s, 3)
    post = nearest_rank(n3.posts, 0.5)
    result["post_p50_s_n3_c1"] = round(post, 5)
    result["post_ratio_n3"] = round(post / outcome.bare_s, 3)
    result["overhead_target"] = TARGET
    result["route_mean_s"] = outcome.routes
    print(f"bare pyHanko validation: {outcome.bare_s * 1000:.1f} ms per document")
    print("hub's mean answer time by route (ms):")
    for route, seconds in sorted(outcome.routes.items()):
        print(f"  {route:<52} {seconds * 1000:>8.1f}")
    ratio = result["overhead_ratio_n3"]
    print(f"overhead_ratio_n3 = p50 send (3 recipients, 1 client) / bare "
          f"validation = {ratio} (target <= {TARGET}); the sender's post "
          f"alone: {result['post_ratio_n3']}")  # fmt: skip
    print(json.dumps(result, ensure_ascii=False))
