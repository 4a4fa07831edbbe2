"""``scripts/bench sign``: edocx's signing against stock pyHanko, and its memory.

One run makes a fresh development PKI in a scratch directory with an
RSA-2048 and an ECDSA P-256 signer, starts its TSA, OCSP and CRLs in a
process of their own on a loopback port (as the hub serves them: keys kept
loaded, the asn1crypto correction in place), and writes two inputs: a
one-page PDF and a large one (50 MB by default). Then, each in a fresh
process:

1. edocx signs the one-page file at every level (B-B, B-T, B-LT, B-LTA)
   with each key, ``documents`` times per level and key;
2. stock pyHanko does the same with the same files, keys and TSA, then
   validates one of edocx's files per level and key (strict reader,
   revocation fetched from the loopback PKI); the run fails if any fails;
3. edocx signs the large file at B-T and reports its peak resident memory,
   against a limit of the memory before the file, plus ``WORKING_MB``, plus
   twice the file (its bytes in, the signed bytes out).

The ratios are edocx / pyHanko in documents per second: above 1 edocx is
faster. The last line is one JSON object of the figures.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any, TypeVar

from edocx.bench.signside import (
    KEY_TYPES,
    SideResult,
    SignSetup,
    edocx_side,
    peak_rss,
    stock_side,
)
from edocx.config import Settings
from edocx.logsetup import configure_logging
from edocx.pki.devpki import SubscriberSpec, init_pki, load_architecture, tsa_url
from edocx.signing.levels import Level

BENCH_PASSPHRASE = b"bench passphrase, not a secret"
SIGNERS = {
    "rsa2048": SubscriberSpec("bench-rsa", "person", "Người ký RSA", "Cơ quan đo"),
    "ecdsa-p256": SubscriberSpec(
        "bench-ecdsa", "person", "Người ký ECDSA", "Cơ quan đo", key_type="ecdsa-p256"
    ),
}
# The memory target: the process before the file, plus this much working
# memory whatever the file's size, plus the file twice (the input and the
# signed output, both held as bytes by the caller).
WORKING_MB = 16
_spawn = multiprocessing.get_context("spawn")
T = TypeVar("T")


def run_sign_bench(settings: Settings, *, documents: int, large_mb: int = 50) -> int:
    """Measure both sides and the memory; print the table and the JSON."""
    configure_logging("WARNING")
    with tempfile.TemporaryDirectory(prefix="edocx-bench-") as scratch:
        bench_settings, setup = _prepare(settings, Path(scratch), large_mb)
        with _pki_services(bench_settings):
            ours = _fresh_process(edocx_side, setup, documents)
            theirs = _fresh_process(stock_side, setup, documents, ours.files)
            memory = _fresh_process(peak_rss, setup)
    _report(ours, theirs, memory, documents, large_mb)
    return 0


def _prepare(
    settings: Settings, scratch: Path, large_mb: int
) -> tuple[Settings, SignSetup]:
    from edocx.bench.hub import _scratch_settings

    bench_settings = _scratch_settings(settings, scratch)
    layout = init_pki(
        bench_settings, BENCH_PASSPHRASE, list(SIGNERS.values()), at=datetime.now(UTC)
    )
    small, large = scratch / "one-page.pdf", scratch / "large.pdf"
    small.write_bytes(simple_pdf(b""))
    large.write_bytes(simple_pdf(os.urandom(large_mb * 2**20)))
    setup = SignSetup(
        p12_paths={k: layout.p12_path(s.label) for k, s in SIGNERS.items()},
        passphrase=BENCH_PASSPHRASE,
        tsa_url=tsa_url(bench_settings),
        root_path=layout.root_cert_path,
        chain_paths=layout.chain_cert_paths,
        small_pdf=small,
        large_pdf=large,
    )
    return bench_settings, setup


def _fresh_process(fn: Callable[..., T], *args: Any) -> T:
    with ProcessPoolExecutor(max_workers=1, mp_context=_spawn) as pool:
        return pool.submit(fn, *args).result()


@contextmanager
def _pki_services(settings: Settings) -> Iterator[None]:
    ready, stop = _spawn.Event(), _spawn.Event()
    process = _spawn.Process(
        target=_serve_pki, args=(settings, ready, stop), name="bench-pki"
    )
    process.start()
    try:
        deadline = time.monotonic() + 60
        while not ready.wait(timeout=0.2):
            if not process.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the bench's PKI services did not start")
        yield
    finally:
        stop.set()
        process.join(timeout=15)
        if process.is_alive():
            process.kill()
            process.join()


def _serve_pki(settings: Settings, ready: Event, stop: Event) -> None:
    """The hub's TSA, OCSP and CRLs, as ``edocx serve`` runs them."""
    from edocx.pki.server import PKIServerThread
    from edocx.signing import asn1fix

    asn1fix.install()
    server = PKIServerThread(
        load_architecture(settings, BENCH_PASSPHRASE), settings.pki_url
    )
    server.start()
    ready.set()
    stop.wait()
    server.stop()


def simple_pdf(image: bytes) -> bytes:
    """A one-page PDF with a line of text and, if given, a grey image.

    The image's bytes make the file as large as wanted; they are stored
    as they are (no filter), so the file is as large as they are.
    """
    width = 1024
    height = max(1, len(image) // width)
    image = image[: width * height]
    draw = b"BT /F1 14 Tf 72 770 Td (edocx sign bench) Tj ET"
    if image:
        draw += b" q 400 0 0 300 72 400 cm /Im1 Do Q"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842]"
        b" /Resources << /Font << /F1 4 0 R >>"
        + (b" /XObject << /Im1 6 0 R >>" if image else b"")
        + b" >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        _stream(b"", draw),
    ]
    if image:
        info = (
            f"/Type /XObject /Subtype /Image /Width {width} /Height {height}"
            " /ColorSpace /DeviceGray /BitsPerComponent 8 "
        ).encode()
        objects.append(_stream(info, image))
    return assemble_pdf(objects)


def _stream(entries: bytes, data: bytes) -> bytes:
    head = b"<< " + entries + b"/Length " + str(len(data)).encode() + b" >>"
    return head + b"\nstream\n" + data + b"\nendstream"


def assemble_pdf(objects: list[bytes], *, trailer: bytes = b"") -> bytes:
    """Lay ``objects`` (numbered from 1, the first the catalog) out as a PDF.

    ``trailer`` holds more entries of the trailer dictionary.
    """
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R %s>>\n" % (len(objects) + 1, trailer)
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def _report(
    ours: SideResult,
    theirs: SideResult,
    memory: dict[str, float],
    documents: int,
    large_mb: int,
) -> None:
    print(f"edocx bench sign ({documents} one-page documents per level and key,")
    print("each side in a fresh process, the hub's TSA on loopback; docs/s)")
    print(f"{'level':<6} {'key':<11} {'edocx':>8} {'pyHanko':>8} {'ratio':>7}")
    result: dict[str, Any] = {"bench": "sign", "documents": documents}
    for key_type in KEY_TYPES:
        for level in Level:
            cell = (str(level), key_type)
            fast, stock = ours.figures[cell], theirs.figures[cell]
            ratio = round(fast.per_second / stock.per_second, 2)
            print(f"{level!s:<6} {key_type:<11} {fast.per_second:>8.1f} "
                  f"{stock.per_second:>8.1f} {ratio:>7.2f}")  # fmt: skip
            name = f"{_key(str(level))}_{_key(key_type)}"
            result[f"ratio_{name}"] = ratio
            result[f"edocx_{name}_docs_per_s"] = round(fast.per_second, 2)
            result[f"pyhanko_{name}_docs_per_s"] = round(stock.per_second, 2)

    base, peak = memory["base_rss_mb"], memory["peak_rss_mb"]
    limit = base + WORKING_MB + 2 * large_mb
    print(f"peak RSS signing a {large_mb} MB PDF at B-T: {peak:.1f} MB; "
          f"before the file {base:.1f} MB; limit {limit:.1f} MB = that "
          f"+ {WORKING_MB} MB + 2 x the file")  # fmt: skip
    result[f"peak_rss_mb_{large_mb}mb"] = round(peak, 1)
    result["base_rss_mb"] = round(base, 1)
    result["peak_rss_limit_mb"] = round(limit, 1)
    result["peak_rss_within_limit"] = peak <= limit
    print(json.dumps(result))


def _key(name: str) -> str:
    return name.lower().replace("-", "_")
