"""The measured sides of ``scripts/bench sign``, each run in a fresh process.

- :func:`edocx_side`: edocx's own signing path (``sign_plain_outcome``, the
  function the hub's workers and ``edocx sign`` call), started as edocx
  starts a process (with the asn1crypto correction of ``asn1fix``);
- :func:`stock_side`: pyHanko as its documentation shows it, untouched: a
  ``SimpleSigner`` loaded once from the same PKCS#12 file, ``sign_pdf`` with
  the same TSA, and at B-LT and B-LTA a validation context with fetching;
- :func:`peak_rss`: the most memory edocx's process holds while signing a
  large file.

A fresh process per side keeps one side's caches and the correction out of
the other's figures. Each side gets the same files, keys and TSA.
"""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko.sign.timestamps import HTTPTimeStamper
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from edocx.bench.figure import Figure
from edocx.pki.credentials import CredentialRef
from edocx.pki.trust import load_certs
from edocx.signing.levels import Level

KEY_TYPES = ("rsa2048", "ecdsa-p256")


@dataclass(frozen=True)
class SignSetup:
    """What both sides share: the PKI's files, the TSA and the inputs."""

    p12_paths: dict[str, Path]
    passphrase: bytes
    tsa_url: str
    root_path: Path
    chain_paths: tuple[Path, ...]
    small_pdf: Path
    large_pdf: Path

    def credential(self, key_type: str) -> CredentialRef:
        return CredentialRef(self.p12_paths[key_type], self.passphrase)


Cell = tuple[str, str]  # (level, key type)
Signing = Callable[[bytes], bytes]


@dataclass(frozen=True)
class SideResult:
    """One side's figure per cell, and one file it signed in each."""

    figures: dict[Cell, Figure]
    files: dict[Cell, bytes]


def edocx_side(setup: SignSetup, documents: int) -> SideResult:
    """Time edocx's signing for every level and key; keep one file of each."""
    from edocx.signing import asn1fix

    asn1fix.install()
    return _each_cell(setup, documents, _edocx_signing)


def stock_side(
    setup: SignSetup, documents: int, to_check: dict[Cell, bytes]
) -> SideResult:
    """Time stock pyHanko, then validate edocx's files with it, untouched."""
    result = _each_cell(setup, documents, _stock_signing)
    failed = [cell for cell, pdf in to_check.items() if not _valid(pdf, setup)]
    if failed:
        raise RuntimeError(f"pyHanko does not validate edocx's files of {failed}")
    return result


def _each_cell(
    setup: SignSetup,
    documents: int,
    make: Callable[[SignSetup, Level, str], Signing],
) -> SideResult:
    logging.disable(logging.WARNING)
    pdf = setup.small_pdf.read_bytes()
    result = SideResult({}, {})
    for key_type in KEY_TYPES:
        for level in Level:
            sign = make(setup, level, key_type)
            result.figures[(str(level), key_type)] = _timed(sign, pdf, documents)
            result.files[(str(level), key_type)] = sign(pdf)
    return result


def _timed(sign: Signing, pdf: bytes, documents: int) -> Figure:
    sign(pdf)  # warm-up: imports, the key, the TSA's certificates
    start = time.perf_counter()
    for _ in range(documents):
        sign(pdf)
    return Figure("sign", documents, time.perf_counter() - start)


def _edocx_signing(setup: SignSetup, level: Level, key_type: str) -> Signing:
    from edocx.signing import PlainSignJob, sign_plain_outcome

    def sign(pdf: bytes) -> bytes:
        job = PlainSignJob(
            document_id="bench",
            agency_code="000.00.00.G22",
            credential=setup.credential(key_type),
            tsa_urls=(setup.tsa_url,),
            trust_root_paths=(setup.root_path,),
            extra_cert_paths=setup.chain_paths,
            at=datetime.now(UTC),
            level=level,
        )
        outcome = sign_plain_outcome(pdf, job)
        if outcome.downgraded:
            raise RuntimeError(f"edocx signed at {outcome.level}, not {level}")
        return outcome.pdf

    return sign


def _stock_signing(setup: SignSetup, level: Level, key_type: str) -> Signing:
    signer = signers.SimpleSigner.load_pkcs12(
        str(setup.p12_paths[key_type]), passphrase=setup.passphrase
    )
    assert signer is not None
    # One client for the whole series: pyHanko then asks the TSA for its
    # size-estimate token once, not for every document.
    timestamper = HTTPTimeStamper(setup.tsa_url) if level.timestamped else None
    roots = load_certs([setup.root_path])
    extra = load_certs(setup.chain_paths)

    def sign(pdf: bytes) -> bytes:
        context = None
        if level.long_term:
            context = ValidationContext(
                trust_roots=roots, other_certs=extra, allow_fetching=True
            )
        meta = signers.PdfSignatureMetadata(
            field_name="Signature-bench",
            subfilter=SigSeedSubFilter.PADES,
            embed_validation_info=level.long_term,
            use_pades_lta=level.archival,
            validation_context=context,
        )
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
        out = signers.sign_pdf(writer, meta, signer=signer, timestamper=timestamper)
        signed: bytes = out.getvalue()
        return signed

    return sign


def _valid(pdf: bytes, setup: SignSetup) -> bool:
    reader = PdfFileReader(io.BytesIO(pdf), strict=True)
    context = ValidationContext(
        trust_roots=load_certs([setup.root_path]),
        other_certs=load_certs(setup.chain_paths),
        allow_fetching=True,
    )
    statuses = [
        validate_pdf_signature(sig, context, ts_validation_context=context)
        for sig in reader.embedded_regular_signatures
    ]
    return bool(statuses) and all(s.bottom_line for s in statuses)


def peak_rss(setup: SignSetup) -> dict[str, float]:
    """Sign the large file once at B-T (RSA); the memory before and at peak."""
    from edocx.signing import asn1fix

    asn1fix.install()
    logging.disable(logging.WARNING)
    sign = _edocx_signing(setup, Level.B_T, "rsa2048")
    sign(setup.small_pdf.read_bytes())  # everything loaded but the file
    base = _current_rss_mb()

    pdf = setup.large_pdf.read_bytes()
    signed = sign(pdf)
    grew = len(signed) - len(pdf)
    del pdf, signed
    return {"base_rss_mb": base, "peak_rss_mb": _status_mb("VmHWM"), "grew": grew}


def _current_rss_mb() -> float:
    return _status_mb("VmRSS")


def _status_mb(field: str) -> float:
    # getrusage's ru_maxrss would do, but a spawned process inherits there
    # the peak of the process that started it; VmHWM is this process's own.
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status")
