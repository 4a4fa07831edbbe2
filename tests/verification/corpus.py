"""The DSS test corpus (``dss-pdf`` in the shared test data) as test cases.

``manifest.json`` lists, per PDF, the facts the EU DSS test suite asserts
about it (see the corpus README for their sources). Only facts from a DSS
test or from inspection of the file are used; a missing fact is one nobody
asserted, and is not checked either way.
"""

from __future__ import annotations

import functools
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from edocx.verification import ValidationReport, VerifyOptions, verify_pdf

REPO_ROOT = Path(__file__).resolve().parents[2]
CORPUS_DIR = (
    Path(os.environ.get("EDOCX_TEST_DATA", REPO_ROOT.parent / "shared" / "data"))
    / "dss-pdf"
)
TRUSTED_SOURCES = ("dss-test", "inspected")


@dataclass(frozen=True)
class SignatureFacts:
    field: str
    intact: bool | None
    crypto_ok: bool | None
    modification_class: str | None


@dataclass(frozen=True)
class CorpusFile:
    name: str
    kinds: tuple[str, ...]
    signature_count: int | None
    timestamp_count: int | None
    accepted: bool
    all_crypto_ok: bool | None
    malformed: bool
    signatures: tuple[SignatureFacts, ...]


def load_corpus() -> list[CorpusFile]:
    manifest = CORPUS_DIR / "manifest.json"
    if not manifest.is_file():
        return []
    return [_parse(entry) for entry in json.loads(manifest.read_text("utf-8"))]


def _parse(entry: dict[str, Any]) -> CorpusFile:
    facts = entry["facts"]
    summary = entry.get("summary") or {}
    return CorpusFile(
        name=entry["file"],
        kinds=tuple(entry["kinds"]),
        signature_count=_asserted(facts, "dss_signature_count", entry["fact_sources"]),
        timestamp_count=_asserted(facts, "doc_timestamp_count", entry["fact_sources"]),
        accepted=facts.get("dss_accepts_file", True) is not False,
        all_crypto_ok=summary.get("all_signatures_crypto_ok"),
        malformed=bool(summary.get("malformed")),
        signatures=tuple(
            _signature(sig) for sig in entry["signatures"] if sig.get("field")
        ),
    )


def _signature(sig: dict[str, Any]) -> SignatureFacts:
    sources = sig.get("fact_sources", {})
    return SignatureFacts(
        field=sig["field"],
        intact=_asserted(sig, "intact", sources),
        crypto_ok=_asserted(sig, "crypto_ok", sources),
        modification_class=sig.get("modification_class"),
    )


def _asserted(facts: dict[str, Any], key: str, sources: dict[str, str]) -> Any:
    source = sources.get(key, "")
    if facts.get(key) is None or not source.startswith(TRUSTED_SOURCES):
        return None
    if source.startswith("inspected") and source != "inspected":
        return None  # heuristics and pyHanko's own opinion are no reference
    return facts[key]


@functools.cache
def report_for(name: str) -> ValidationReport:
    """Verify a corpus file once per run: offline, with no trust anchors."""
    options = VerifyOptions(trust_root_paths=(), allow_fetching=False)
    return verify_pdf((CORPUS_DIR / name).read_bytes(), options)


def cases(
    corpus: list[CorpusFile],
    divergences: dict[tuple[str, str], str],
    check: str,
    items: list[tuple[str, Any]],
) -> list[Any]:
    """Parametrize ``items`` (id, value), marking known divergences xfail."""
    if not corpus:
        return [pytest.param(None, marks=pytest.mark.skip(reason=_MISSING))]
    params = []
    for case_id, value in items:
        reason = divergences.get((case_id, check))
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        params.append(pytest.param(value, id=case_id, marks=marks))
    return params


_MISSING = f"DSS corpus not found at {CORPUS_DIR} (set EDOCX_TEST_DATA)"
