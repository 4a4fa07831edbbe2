"""The DSS test corpus (``dss-pdf`` in the shared test data) as test cases.

``manifest.json`` lists, per PDF, the facts the EU DSS test suite asserts
about it (see the corpus README for their sources). The facts are read, and
the report's signatures matched to the manifest's, by
:mod:`edocx.bench.corpus`, so that these tests and ``edocx bench corpus``
judge the same facts: only facts from a DSS test or from inspection of the
file; a missing fact is one nobody asserted, and is not checked either way.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pytest

from edocx.bench.corpus import (
    ExpectedFile,
    ExpectedSignature,
    corpus_dir,
    load_manifest,
    match_signatures,
    verify_corpus_file,
)
from edocx.verification import ValidationReport
from edocx.verification.report import SignatureReport

CORPUS_DIR = corpus_dir()


@dataclass(frozen=True)
class SignatureFacts:
    """One manifest signature; ``facts`` holds only the asserted ones."""

    index: int
    field: str | None
    facts: Mapping[str, Any]

    @property
    def case_id(self) -> str:
        # A signature without a field name is known by its place in the file.
        return self.field or f"#{self.index}"

    @property
    def intact(self) -> bool | None:
        return self.facts.get("intact")

    @property
    def crypto_ok(self) -> bool | None:
        return self.facts.get("crypto_ok")

    @property
    def modification_class(self) -> str | None:
        return self.facts.get("modification_class")


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
    expected: ExpectedFile


def load_corpus() -> list[CorpusFile]:
    return [_corpus_file(entry) for entry in load_manifest(CORPUS_DIR)]


def _corpus_file(expected: ExpectedFile) -> CorpusFile:
    return CorpusFile(
        name=expected.name,
        kinds=expected.kinds,
        signature_count=expected.facts.get("signature_count"),
        timestamp_count=expected.facts.get("document_timestamp_count"),
        accepted=expected.accepted,
        all_crypto_ok=expected.summary.get("all_signatures_crypto_ok"),
        malformed=bool(expected.summary.get("malformed")),
        # A file DSS refuses as a PDF has no signatures to compare.
        signatures=tuple(
            _signature(sig) for sig in expected.signatures if expected.accepted
        ),
        expected=expected,
    )


def _signature(sig: ExpectedSignature) -> SignatureFacts:
    return SignatureFacts(index=sig.index, field=sig.field, facts=sig.facts)


@functools.cache
def report_for(name: str) -> ValidationReport:
    """Verify a corpus file once per run: offline, with no trust anchors."""
    return verify_corpus_file(CORPUS_DIR, name)


def reported_signature(
    corpus_file: CorpusFile, facts: SignatureFacts
) -> SignatureReport:
    """The report entry for a manifest signature (by field, else by order)."""
    report = report_for(corpus_file.name)
    found = match_signatures(report, corpus_file.expected)[facts.index]
    assert found is not None, f"no report for {facts.case_id}: {report.problems}"
    return found


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
