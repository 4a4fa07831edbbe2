"""How far edocx agrees with the DSS test corpus: ``edocx bench corpus``.

The corpus (``dss-pdf`` in the shared test data) holds real signed PDFs
from the EU DSS test suite and a ``manifest.json`` of the facts DSS's own
tests establish about them. This module verifies every file as a stranger
would (offline, with no trust anchors), sets each fact the report shares
with the manifest beside the manifest's value, and counts the agreements.
The test suite (``tests/verification/test_dss_corpus.py``) reads the same
facts through :func:`load_manifest` and :func:`compare_file`, so the figure
and the tests cannot drift apart.

Which facts count: a manifest fact whose source is a DSS test or the file
itself (``dss-test``, ``inspected``); never a heuristic or pyHanko's own
opinion; the level only where a DSS test asserts it; the modification
class, derived from DSS's change flags, as the manifest gives it. A
manifest signature without a field name is matched by order among the
report's signatures that no named manifest signature claims. A file DSS
refuses as a PDF is compared on its counts only.
"""

from __future__ import annotations

import json
import logging
import os
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edocx.errors import ConfigurationError
from edocx.logsetup import configure_logging
from edocx.verification import ValidationReport, VerifyOptions, verify_pdf
from edocx.verification.report import (
    Coverage,
    Indication,
    SignatureKind,
    SignatureReport,
)

logger = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SIGNATURE_FACTS = (
    "field",
    "intact",
    "crypto_ok",
    "byte_range_valid",
    "timestamp_valid",
    "signature_timestamp_valid",
    "modification_class",
    "level",
)
FILE_FACTS = ("signature_count", "document_timestamp_count")
# The report's name for a file fact -> the manifest's.
_MANIFEST_FILE_KEYS = {
    "signature_count": "dss_signature_count",
    "document_timestamp_count": "doc_timestamp_count",
}
REFERENCE_SOURCES = ("dss-test", "inspected")
_DERIVABLE = frozenset(
    {
        "byte_range_valid",
        "timestamp_valid",
        "signature_timestamp_valid",
        "modification_class",
    }
)
# Roles DSS reports as a signature or a timestamp of its own.
_REPORTED_ROLES = ("signature", "document-timestamp")


@dataclass(frozen=True)
class ExpectedSignature:
    """One manifest signature: its place, its field and its asserted facts."""

    index: int
    field: str | None
    reported_by_dss: bool
    facts: Mapping[str, Any]

    @property
    def case_id(self) -> str:
        return self.field or f"#{self.index}"


@dataclass(frozen=True)
class ExpectedFile:
    name: str
    kinds: tuple[str, ...]
    accepted: bool
    facts: Mapping[str, Any]
    signatures: tuple[ExpectedSignature, ...]
    summary: Mapping[str, Any]


@dataclass(frozen=True)
class Comparison:
    """One fact: what the manifest says and what the report says."""

    file: str
    subject: str
    fact: str
    expected: Any
    reported: Any

    @property
    def agreed(self) -> bool:
        return bool(self.expected == self.reported)


def corpus_dir(data_dir: Path | None = None) -> Path:
    """``data_dir``, else ``$EDOCX_TEST_DATA``, else ../shared/data; + dss-pdf."""
    if data_dir is None:
        env = os.environ.get("EDOCX_TEST_DATA")
        data_dir = Path(env) if env else PROJECT_ROOT.parent / "shared" / "data"
    return data_dir if data_dir.name == "dss-pdf" else data_dir / "dss-pdf"


def load_manifest(folder: Path) -> list[ExpectedFile]:
    """The corpus files and their asserted facts; [] without a manifest."""
    manifest = folder / "manifest.json"
    if not manifest.is_file():
        return []
    return [_file(entry) for entry in json.loads(manifest.read_text("utf-8"))]


def _file(entry: dict[str, Any]) -> ExpectedFile:
    facts, sources = entry["facts"], entry["fact_sources"]
    return ExpectedFile(
        name=entry["file"],
        kinds=tuple(entry["kinds"]),
        accepted=facts.get("dss_accepts_file", True) is not False,
        facts={
            name: facts[key]
            for name, key in _MANIFEST_FILE_KEYS.items()
            if asserted(facts, key, sources) is not None
        },
        signatures=tuple(
            _signature(i, sig) for i, sig in enumerate(entry["signatures"])
        ),
        summary=entry.get("summary") or {},
    )


def _signature(index: int, sig: dict[str, Any]) -> ExpectedSignature:
    sources = sig.get("fact_sources", {})
    reported = sig.get("dss_role") in _REPORTED_ROLES
    facts: dict[str, Any] = {}
    for name in SIGNATURE_FACTS[1:]:
        value = _expected(sig, name, sources)
        if value is not None:
            facts[name] = value
    # A placeholder (no ByteRange, nothing asserted) is not a signature.
    if sig.get("field") and reported and (sig.get("byte_range") or facts):
        facts = {"field": sig["field"], **facts}
    return ExpectedSignature(index, sig.get("field") or None, reported, facts)


def _expected(sig: dict[str, Any], name: str, sources: dict[str, str]) -> Any:
    if name == "level":
        # Only a DSS test's level; the structural guess is a hint.
        source = sources.get("level", "")
        return sig.get("level") if source.startswith("dss-test") else None
    if name == "modification_class":
        value = sig.get(name)
        return value if value in ("none", "harmless", "suspicious") else None
    return asserted(sig, name, sources)


def asserted(facts: Mapping[str, Any], key: str, sources: Mapping[str, str]) -> Any:
    """The fact if a DSS test or the file itself asserts it, else None."""
    source = sources.get(key, "")
    if facts.get(key) is None or not source.startswith(REFERENCE_SOURCES):
        return None
    if source.startswith("inspected") and source != "inspected":
        return None  # heuristics and pyHanko's own opinion are no reference
    return facts[key]


def match_signatures(
    report: ValidationReport, expected: ExpectedFile
) -> dict[int, SignatureReport | None]:
    """Pair each manifest signature with its report entry (by field, else order)."""
    named = {s.field for s in expected.signatures if s.field}
    unnamed = iter(s for s in report.signatures if s.field not in named)
    pairs: dict[int, SignatureReport | None] = {}
    for sig in expected.signatures:
        if sig.field:
            found = [s for s in report.signatures if s.field == sig.field]
            pairs[sig.index] = found[0] if found else None
        else:
            pairs[sig.index] = next(unnamed, None)
    return pairs


def reported_fact(sig: SignatureReport | None, name: str) -> Any:
    """A signature fact as the report states it, in the manifest's terms."""
    if sig is None:
        return None
    if name in type(sig).model_fields or name == "crypto_ok":
        value = getattr(sig, name)
        if value is not None or name not in _DERIVABLE:
            return value.value if hasattr(value, "value") else value
    # TODO(#3): read only the report's own fields once every report fills
    # them; until then derive them from the timestamp and the coverage.
    if name == "timestamp_valid":
        document_timestamp = sig.kind is SignatureKind.DOCUMENT_TIMESTAMP
        return _token_valid(sig) if document_timestamp else None
    if name == "signature_timestamp_valid":
        return _token_valid(sig) if sig.kind is SignatureKind.SIGNATURE else None
    if name == "modification_class":
        return _modification_class(sig)
    if name == "byte_range_valid":
        return _byte_range_valid(sig)
    return None


def _byte_range_valid(sig: SignatureReport) -> bool | None:
    # A ByteRange that ends a revision covers it entirely (pyHanko's level).
    if sig.coverage is None:
        return None
    return sig.coverage in (Coverage.ENTIRE_REVISION, Coverage.ENTIRE_FILE)


def _token_valid(sig: SignatureReport) -> bool | None:
    # The manifest's meaning: the imprint matches and the token's own
    # signature verifies; trust in the TSA is another question.
    if sig.timestamp is None:
        return None
    return sig.timestamp.intact and sig.timestamp.valid


def _modification_class(sig: SignatureReport) -> str | None:
    if sig.coverage is Coverage.ENTIRE_FILE:
        return "none"
    if sig.changes_allowed is None:
        return None
    return "harmless" if sig.changes_allowed else "suspicious"


def compare_file(expected: ExpectedFile, report: ValidationReport) -> list[Comparison]:
    """Every asserted fact of one file beside the report's."""
    found = [
        Comparison(expected.name, expected.name, name, value, getattr(report, name))
        for name, value in expected.facts.items()
    ]
    if not expected.accepted:
        return found
    pairs = match_signatures(report, expected)
    for sig in expected.signatures:
        subject = f"{expected.name}/{sig.case_id}"
        for name in SIGNATURE_FACTS:
            if name in sig.facts:
                got = reported_fact(pairs[sig.index], name)
                found.append(
                    Comparison(expected.name, subject, name, sig.facts[name], got)
                )
    return found


def passes_where_flagged(expected: ExpectedFile, report: ValidationReport) -> list[str]:
    """Signatures the report passes although DSS finds them broken or altered."""
    pairs = match_signatures(report, expected)
    flagged = []
    for sig in expected.signatures:
        found = pairs[sig.index]
        bad = (
            sig.facts.get("intact") is False
            or sig.facts.get("crypto_ok") is False
            or sig.facts.get("modification_class") == "suspicious"
        )
        if bad and found is not None and found.indication is Indication.TOTAL_PASSED:
            flagged.append(f"{expected.name}/{sig.case_id}")
    return flagged


def verify_corpus_file(folder: Path, name: str) -> ValidationReport:
    """Verify one corpus file as a stranger would: offline, no trust anchors."""
    options = VerifyOptions(trust_root_paths=(), allow_fetching=False)
    return verify_pdf((folder / name).read_bytes(), options)


def run_corpus_bench(data_dir: Path | None = None) -> int:
    """Verify the corpus, print a table per fact and the JSON figure."""
    configure_logging("WARNING")
    folder = corpus_dir(data_dir)
    corpus = load_manifest(folder)
    if not corpus:
        raise ConfigurationError(
            f"the DSS corpus (dss-pdf/manifest.json) is not in {folder.parent}",
            hint="pass --data DIR or set EDOCX_TEST_DATA to the shared data folder",
        )
    comparisons: list[Comparison] = []
    flagged: list[str] = []
    for expected in corpus:
        report = verify_corpus_file(folder, expected.name)
        comparisons.extend(compare_file(expected, report))
        flagged.extend(passes_where_flagged(expected, report))
    _print(comparisons, flagged, len(corpus))
    return 0


def _print(comparisons: list[Comparison], flagged: list[str], files: int) -> None:
    print(f"edocx bench corpus: {files} DSS corpus files, offline, no trust anchors")
    print(f"{'fact':<28} {'agreed':>7} {'total':>6}")
    for fact in (*SIGNATURE_FACTS, *FILE_FACTS):
        of_fact = [c for c in comparisons if c.fact == fact]
        agreed = sum(c.agreed for c in of_fact)
        print(f"{fact:<28} {agreed:>7} {len(of_fact):>6}")
    _print_disagreements(c for c in comparisons if not c.agreed)
    for subject in flagged:
        print(f"PASSES WHERE DSS FLAGS IT: {subject}")

    agreed = sum(c.agreed for c in comparisons)
    total = len(comparisons)
    result = {
        "bench": "corpus",
        "files": files,
        "facts_total": total,
        "facts_agreed": agreed,
        "agreement": round(agreed / total, 4) if total else 0.0,
        "passes_where_dss_flags": len(flagged),
        "disagreements_by_fact": dict(
            Counter(c.fact for c in comparisons if not c.agreed)
        ),
    }
    print(json.dumps(result))


def _print_disagreements(disagreements: Iterable[Comparison]) -> None:
    print("disagreements (fact, where, DSS corpus -> edocx):")
    for c in sorted(disagreements, key=lambda c: (c.fact, c.subject)):
        print(f"  {c.fact:<26} {c.subject}: {c.expected!r} -> {c.reported!r}")
