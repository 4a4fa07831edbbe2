"""``scripts/bench hub``: the hub's signing and verification against pyHanko.

One run starts a hub on a free loopback port with a fresh development PKI
(the hub serves the TSA, OCSP and CRLs itself), uploads the demo PDFs as
drafts, then measures in documents per second:

- signing through the hub (POST .../sign: a PAdES B-LT personal signature,
  done by the worker pool) against bare pyHanko signing of the same drafts
  with the same key and TSA;
- verification through the hub (POST /verify) against bare pyHanko
  validation of the same signed files (one validation context per document,
  no fetching, the same trust roots).

The hub is measured twice: one request at a time, and with as many requests
in flight as it has workers. The ratios are hub / bare; above 1 the hub is
faster.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from edocx.bench import bare
from edocx.bench.figure import Figure
from edocx.bootstrap import ensure_demo_agencies, ensure_pki
from edocx.config import (
    HTTPSettings,
    KeySettings,
    PKISettings,
    Settings,
    StorageSettings,
    read_key_passphrase,
)
from edocx.demo.client import HubClient
from edocx.demo.run import find_demo_pdfs
from edocx.logsetup import configure_logging
from edocx.pki.credentials import CredentialRef, load_signer
from edocx.pki.devpki import PKILayout, tsa_url
from edocx.pki.trust import load_certs
from edocx.store.db import Database


def run_bench(settings: Settings, *, rounds: int, data_dir: Path | None = None) -> int:
    """Run the hub bench in a scratch directory; print the table and JSON."""
    configure_logging("WARNING")
    files = [(path.name, path.read_bytes()) for path in find_demo_pdfs(data_dir)]
    with tempfile.TemporaryDirectory(prefix="edocx-bench-") as scratch:
        bench_settings = _scratch_settings(settings, Path(scratch))
        ensure_pki(bench_settings)
        figures = asyncio.run(_measure(bench_settings, files, rounds))
    _report(figures, bench_settings.workers.processes)
    return 0


def _scratch_settings(settings: Settings, scratch: Path) -> Settings:
    from edocx.web.server import free_loopback_port

    port = free_loopback_port()
    secret = scratch / "secrets" / "key-passphrase"
    return Settings(
        demo=True,
        http=HTTPSettings(
            host="127.0.0.1", port=port, public_url=f"http://127.0.0.1:{port}/"
        ),
        storage=StorageSettings(var_dir=scratch),
        pki=PKISettings(dir=scratch / "pki", template=settings.pki.template),
        keys=KeySettings(passphrase_file=secret),
        workers=settings.workers,
        log_level="WARNING",
    )


async def _measure(
    settings: Settings, files: list[tuple[str, bytes]], rounds: int
) -> dict[str, Figure]:
    from edocx.web.app import create_app

    db = Database(settings.storage.db_path)
    await db.open()
    await ensure_demo_agencies(settings, db)
    await db.close()

    runner = web.AppRunner(create_app(settings), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, settings.http.host, settings.http.port).start()
    try:
        async with aiohttp.ClientSession() as http:
            return await _compare(http, settings, files, rounds)
    finally:
        await runner.cleanup()


async def _compare(
    http: aiohttp.ClientSession,
    settings: Settings,
    files: list[tuple[str, bytes]],
    rounds: int,
) -> dict[str, Figure]:
    tokens = json.loads((settings.storage.var_dir / "demo-tokens.json").read_text())
    clerk = HubClient(http, settings.http.public_url, tokens["a"]["clerk"])
    signer = HubClient(http, settings.http.public_url, tokens["a"]["signer"])
    width = settings.workers.processes
    layout = PKILayout(settings.pki.dir)

    # Drafts are made outside the timed parts: 2 batches for the hub, one
    # for the bare library, of the same prepared files.
    batches = [await _drafts(clerk, files, rounds) for _ in range(2)]
    prepared = [await clerk.download(doc) for doc in batches[0]]
    # Warm-up: the first call of each worker loads pyHanko and the keys.
    warm_up = [_call(signer.sign, doc) for doc in batches[0][:width]]
    await _timed("warm-up", warm_up, width)

    figures: dict[str, Figure] = {}
    figures["hub_sign_serial"] = await _timed(
        "hub_sign_serial", [_call(signer.sign, d) for d in batches[0][width:]], 1
    )
    figures["hub_sign"] = await _timed(
        "hub_sign", [_call(signer.sign, d) for d in batches[1]], width
    )
    signed = [await clerk.download(doc) for doc in batches[1]]
    figures["bare_sign"] = await asyncio.to_thread(
        _bare_sign, prepared[width:], settings, layout
    )
    figures["hub_verify_serial"] = await _timed(
        "hub_verify_serial", [_call(clerk.verify, pdf) for pdf in signed], 1
    )
    figures["hub_verify"] = await _timed(
        "hub_verify", [_call(clerk.verify, pdf) for pdf in signed], width
    )
    figures["bare_verify"] = await asyncio.to_thread(_bare_verify, signed, layout)
    return figures


def _call(
    fn: Callable[[Any], Awaitable[Any]], arg: Any
) -> Callable[[], Awaitable[Any]]:
    return lambda: fn(arg)


async def _drafts(
    clerk: HubClient, files: list[tuple[str, bytes]], rounds: int
) -> list[str]:
    header = {
        "type": "Quyết định",
        "subject": "V/v đo hiệu năng ký số",
        "signer": {"name": "Nguyễn Văn Thành", "position": "Chủ tịch"},
        "recipients": ["000.00.00.G22"],
    }
    ids = []
    for _ in range(rounds):
        for name, pdf in files:
            draft = await clerk.create_draft(header, pdf, name)
            ids.append(draft["document"]["id"])
    return ids


async def _timed(
    name: str, calls: Sequence[Callable[[], Awaitable[Any]]], width: int
) -> Figure:
    gate = asyncio.Semaphore(width)

    async def one(call: Callable[[], Awaitable[Any]]) -> None:
        async with gate:
            result = await call()
            if isinstance(result, dict) and result.get("verdict") not in (
                None,
                "PASSED",
            ):
                raise RuntimeError(f"{name}: verification gave {result['verdict']}")

    start = time.perf_counter()
    await asyncio.gather(*(one(call) for call in calls))
    return Figure(name, len(calls), time.perf_counter() - start)


def _bare_sign(pdfs: list[bytes], settings: Settings, layout: PKILayout) -> Figure:
    passphrase = read_key_passphrase(settings)
    signer = load_signer(CredentialRef(layout.p12_path("person-a-signer"), passphrase))
    roots = load_certs([layout.root_cert_path])
    extra = load_certs(layout.chain_cert_paths)
    url = tsa_url(settings)

    bare.sign_b_lt(pdfs[0], signer, url, roots, extra)  # warm-up
    start = time.perf_counter()
    for pdf in pdfs:
        bare.sign_b_lt(pdf, signer, url, roots, extra)
    return Figure("bare_sign", len(pdfs), time.perf_counter() - start)


def _bare_verify(pdfs: list[bytes], layout: PKILayout) -> Figure:
    roots = load_certs([layout.root_cert_path])
    start = time.perf_counter()
    for pdf in pdfs:
        if not bare.validate_offline(pdf, roots):
            raise RuntimeError("bare pyHanko did not validate a hub-signed file")
    return Figure("bare_verify", len(pdfs), time.perf_counter() - start)


def _report(figures: dict[str, Figure], workers: int) -> None:
    print(f"edocx bench hub ({workers} worker processes; docs/s, higher is better)")
    print(f"{'measure':<20} {'docs':>5} {'seconds':>9} {'docs/s':>8}")
    for fig in figures.values():
        print(f"{fig.name:<20} {fig.documents:>5} {fig.seconds:>9.2f} "
              f"{fig.per_second:>8.2f}")  # fmt: skip

    def ratio(hub: str, base: str) -> float:
        return round(figures[hub].per_second / figures[base].per_second, 3)

    result = {
        "bench": "hub",
        "workers": workers,
        "sign_ratio": ratio("hub_sign", "bare_sign"),
        "sign_ratio_serial": ratio("hub_sign_serial", "bare_sign"),
        "verify_ratio": ratio("hub_verify", "bare_verify"),
        "verify_ratio_serial": ratio("hub_verify_serial", "bare_verify"),
        **{f"{k}_docs_per_s": round(v.per_second, 3) for k, v in figures.items()},
    }
    print(f"sign ratio (hub/bare): {result['sign_ratio']}   "
          f"verify ratio (hub/bare): {result['verify_ratio']}")  # fmt: skip
    print(json.dumps(result))
