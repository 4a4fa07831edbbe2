"""``scripts/bench load``: the hub under a steady mix of agencies' calls.

One run starts a hub on a free loopback port with a fresh development PKI
(the hub serves the TSA, OCSP and CRLs itself) in a process of its own, as
deployed, and drives it from ``--clients`` concurrent clients (default 64)
for ``--seconds`` (default 60). Each client repeats, for the whole time, one
call drawn at random by weight:

- ``send``: A's system posts a document packet (QCVN 102:2016) to B and C,
  ``POST /api/v1/edxml``; its PDF is a demo PDF made unique by a comment
  after ``%%EOF`` (unsigned: the hub verifies it and keeps a warning);
- ``inbox``: B's or C's system lists its inbox, ``GET /api/v1/inbox``;
- ``status``: B's system fetches a document sent to it (01) and answers 03,
  ``POST /api/v1/documents/{id}/statuses``;
- ``verify``: a clerk verifies a PAdES B-LT document signed for the run,
  ``POST /api/v1/verify``; logged in, as the public rate limit
  (``ratelimit.public_per_minute``) would stop anonymous calls from the
  bench's one address long before the hub is busy.

A call that raises or answers other than 2xx is an error. The hub's
resident memory (its process and its workers) is sampled every second from
the end of the warm-up; flat is the second half of the run growing no more
than the first (``rss_mb_start``, ``rss_mb_mid``, ``rss_mb_end``). The
report is a table per kind of call, then one JSON line: ``requests_per_s``,
``p50_ms``, ``p99_ms``, ``errors``, ``rss_mb_start``, ``rss_mb_mid``,
``rss_mb_end`` and the figures per kind.
"""

from __future__ import annotations

import asyncio
import io
import json
import random
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp

from edocx.bench.hub import _scratch_settings
from edocx.bench.send import hub_process, nearest_rank, sign_all
from edocx.bench.sendflows import document_packet
from edocx.bootstrap import ensure_pki, seed_demo
from edocx.config import Settings
from edocx.demo.agencies import DEMO_AGENCIES
from edocx.demo.run import find_demo_pdfs
from edocx.logsetup import configure_logging
from edocx.vntime import vietnam_time

# The share of each kind of call in the mix.
MIX = {"send": 25, "inbox": 35, "status": 20, "verify": 20}
# Signed documents the verifications draw from.
SIGNED_DOCUMENTS = 8
A, B, C = (agency.code for agency in DEMO_AGENCIES)


@dataclass
class Tally:
    """Latencies and errors of one kind of call."""

    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    first_error: str = ""

    def error(self, what: str) -> None:
        self.errors += 1
        self.first_error = self.first_error or what[:200]


@dataclass
class Outcome:
    seconds: float
    clients: int
    workers: int
    tallies: dict[str, Tally]
    rss_mb: list[float]


def run_load_bench(
    settings: Settings, *, seconds: int, clients: int, data_dir: Path | None = None
) -> int:
    """Run the load bench in a scratch directory; print the table and JSON."""
    configure_logging("WARNING")
    source = find_demo_pdfs(data_dir)[0].read_bytes()
    with tempfile.TemporaryDirectory(prefix="edocx-bench-") as scratch:
        bench_settings = _scratch_settings(settings, Path(scratch))
        ensure_pki(bench_settings)
        outcome = asyncio.run(_measure(bench_settings, source, seconds, clients))
    _report(outcome)
    return 0 if not sum(t.errors for t in outcome.tallies.values()) else 1


async def _measure(
    settings: Settings, source: bytes, seconds: int, clients: int
) -> Outcome:
    tokens = await seed_demo(settings)
    async with hub_process(settings) as pid:
        signed = await asyncio.to_thread(sign_all, settings, source, SIGNED_DOCUMENTS)
        connector = aiohttp.TCPConnector(limit=clients)
        async with aiohttp.ClientSession(connector=connector) as http:
            load = Load(http, settings.http.public_url, tokens, source, signed)
            await load.warm_up()
            rss: list[float] = []
            sampler = asyncio.ensure_future(_sample_rss(pid, rss))
            start = time.perf_counter()
            stop_at = start + seconds
            await asyncio.gather(*(load.client(stop_at, n) for n in range(clients)))
            elapsed = time.perf_counter() - start
            sampler.cancel()
    workers = settings.workers.processes
    return Outcome(elapsed, clients, workers, load.tallies, rss)


class Load:
    """The clients' calls, and what each kind of call measured."""

    def __init__(
        self, http: aiohttp.ClientSession, base: str,
        tokens: dict[str, dict[str, str]], source: bytes, signed: list[bytes],
    ) -> None:  # fmt: skip
        self.http = http
        self.api = base.rstrip("/") + "/api/v1"
        self.tokens = tokens
        self.source = source
        self.signed = signed
        self.sent: list[str] = []  # documents sent to B and C, by uuid
        self.seq = 0
        self.tallies = {kind: Tally() for kind in MIX}
        self.calls: dict[str, Callable[[], Awaitable[None]]] = {
            "send": self.send, "inbox": self.inbox,
            "status": self.status, "verify": self.verify,
        }  # fmt: skip

    async def warm_up(self) -> None:
        """Load every worker's libraries once, outside the measured time."""
        await asyncio.gather(*(self.send() for _ in range(4)))
        await asyncio.gather(*(self.verify() for _ in range(4)))
        for tally in self.tallies.values():
            tally.latencies.clear()

    async def client(self, stop_at: float, number: int) -> None:
        rng = random.Random(number)
        kinds, weights = list(MIX), list(MIX.values())
        while time.perf_counter() < stop_at:
            kind = rng.choices(kinds, weights)[0]
            if kind == "status" and not self.sent:
                kind = "send"
            await self.timed(kind)

    async def timed(self, kind: str) -> None:
        tally = self.tallies[kind]
        start = time.perf_counter()
        try:
            await self.calls[kind]()
        except (aiohttp.ClientError, TimeoutError, LoadError) as e:
            tally.error(f"{type(e).__name__}: {e}")
            return
        tally.latencies.append(time.perf_counter() - start)

    def _auth(self, agency: str, person: str) -> dict[str, str]:
        return {"Authorization": "Bearer " + self.tokens[agency][person]}

    async def send(self) -> None:
        self.seq += 1
        seq = self.seq
        pdf = self.source + f"\n% load {seq}\n".encode()
        on = vietnam_time(datetime.now(UTC))
        packet = await asyncio.to_thread(document_packet, pdf, A, [B, C], seq, on=on)
        headers = {**self._auth("a", "system"), "Content-Type": "application/xml"}
        body = await self._call("POST", "/edxml", data=packet, headers=headers)
        self.sent.append(str(body["document"]["id"]))

    async def inbox(self) -> None:
        agency = random.choice(("b", "c"))
        await self._call("GET", "/inbox", headers=self._auth(agency, "system"))

    async def status(self) -> None:
        uuid = random.choice(self.sent)
        headers = self._auth("b", "system")
        await self._call("GET", f"/documents/{uuid}/pdf", headers=headers)
        path = f"/documents/{uuid}/statuses"
        await self._call("POST", path, json={"code": "03"}, headers=headers)

    async def verify(self) -> None:
        form = aiohttp.FormData()
        form.add_field(
            "file", io.BytesIO(random.choice(self.signed)), filename="signed.pdf",
            content_type="application/pdf",
        )  # fmt: skip
        await self._call("POST", "/verify", data=form, headers=self._auth("a", "clerk"))

    async def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        async with self.http.request(method, self.api + path, **kwargs) as answer:
            data = await answer.read()
            if answer.status >= 300:
                raise LoadError(
                    f"{method} {path}: HTTP {answer.status}: {data[:160]!r}"
                )
            if answer.content_type.endswith("json"):
                return json.loads(data)
            return None


class LoadError(Exception):
    """A call answered other than 2xx."""


async def _sample_rss(pid: int, into: list[float]) -> None:
    """Append the hub's resident memory (MB), its workers' included, each second."""
    while True:
        into.append(round(process_tree_rss_mb(pid), 1))
        await asyncio.sleep(1.0)


def process_tree_rss_mb(pid: int) -> float:
    """Resident memory of ``pid`` and its children, from /proc (Linux)."""
    total = 0
    for each in (pid, *_children(pid)):
        try:
            status = Path(f"/proc/{each}/status").read_text()
        except OSError:
            continue  # ended meanwhile
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total / 1024


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children = (task / "children").read_text().split()
        except OSError:
            continue
        for child in map(int, children):
            found += [child, *_children(child)]
    return found


def _report(outcome: Outcome) -> None:
    print(f"edocx bench load: {outcome.clients} clients for {outcome.seconds:.1f} s,"
          f" {outcome.workers} worker processes")  # fmt: skip
    print(f"{'call':>8} {'requests':>9} {'per s':>8} {'p50 ms':>8} {'p99 ms':>8}"
          f" {'errors':>7}")  # fmt: skip
    every: list[float] = []
    result: dict[str, Any] = {"bench": "load", "clients": outcome.clients}
    for kind, tally in outcome.tallies.items():
        every += tally.latencies
        figures = _figures(tally.latencies, outcome.seconds)
        print(f"{kind:>8} {len(tally.latencies):>9} {figures[0]:>8.1f}"
              f" {figures[1]:>8.1f} {figures[2]:>8.1f} {tally.errors:>7}")  # fmt: skip
        result[f"{kind}_per_s"], result[f"{kind}_p50_ms"] = figures[0], figures[1]
        result[f"{kind}_p99_ms"], result[f"{kind}_errors"] = figures[2], tally.errors
        if tally.first_error:
            print(f"  first {kind} error: {tally.first_error}")
    errors = sum(t.errors for t in outcome.tallies.values())
    per_s, p50, p99 = _figures(every, outcome.seconds)
    rss = outcome.rss_mb or [0.0]
    print(f"{'all':>8} {len(every):>9} {per_s:>8.1f} {p50:>8.1f} {p99:>8.1f}"
          f" {errors:>7}")  # fmt: skip
    print(f"hub resident memory (MB), each second: {rss}")
    result.update(
        seconds=round(outcome.seconds, 1), requests=len(every),
        requests_per_s=per_s, p50_ms=p50, p99_ms=p99, errors=errors,
        rss_mb_start=rss[0], rss_mb_mid=rss[len(rss) // 2], rss_mb_end=rss[-1],
        rss_mb_max=max(rss),
    )  # fmt: skip
    print(json.dumps(result))


def _figures(latencies: list[float], seconds: float) -> tuple[float, float, float]:
    """Requests per second, p50 and p99 (ms, nearest rank) of ``latencies``."""
    if not latencies:
        return 0.0, 0.0, 0.0
    return (
        round(len(latencies) / seconds, 2),
        round(nearest_rank(latencies, 0.5) * 1000, 1),
        round(nearest_rank(latencies, 0.99) * 1000, 1),
    )
