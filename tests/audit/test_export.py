"""The export format and the offline checks, on logs built here (no hub).

The tree heads here are unsigned stand-ins: the signature check is given
as a function, so that these tests look at what ``verify_log`` does with
the entries and the heads' sizes, roots and times. The signed heads are
checked in test_tamper.py and test_cli.py.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from edocx.audit.export import (
    ExportedEntry,
    ExportedLog,
    ExportFormatError,
    entry_line,
    log_line,
    read_export,
    tree_head_line,
)
from edocx.audit.merkle import leaf_hash, root_of
from edocx.audit.treehead import SignedTreeHead
from edocx.audit.verify import roots_at, verify_log

T0 = datetime(2026, 12, 5, 1, 0, tzinfo=UTC)


def _entries(count: int) -> list[ExportedEntry]:
    items = []
    for i in range(count):
        entry = f'{{"action":"document.draft","object_id":"d{i}"}}'.encode()
        items.append(ExportedEntry(i, entry, leaf_hash(entry)))
    return items


def _head(entries: Sequence[ExportedEntry], size: int, minute: int) -> SignedTreeHead:
    root = root_of([e.leaf_hash for e in entries[:size]])
    return SignedTreeHead(
        tree_size=size,
        root_hash=base64.b64encode(root).decode(),
        made_at=(T0 + timedelta(minutes=minute)).isoformat(),
        signature=base64.b64encode(f"sig{size}-{minute}".encode()).decode(),
        key_id="00" * 32,
        certificates=[],
        timestamp_token="",
    )


def _log(entries: list[ExportedEntry], heads: list[SignedTreeHead]) -> ExportedLog:
    return ExportedLog(len(entries), T0.isoformat(), entries, heads)


def _good(sth: SignedTreeHead) -> list[str]:
    return []


@pytest.mark.parametrize("count", [0, 1, 2, 3, 5, 8, 13, 17])
def test_roots_in_one_pass_are_the_tree_hashes(count: int) -> None:
    entries = _entries(count)
    sizes = list(range(count + 1))

    roots = roots_at(entries, sizes)

    assert roots == {n: root_of([e.leaf_hash for e in entries[:n]]) for n in sizes}


def test_the_format_reads_back_what_it_writes() -> None:
    entries = _entries(3)
    head = _head(entries, 3, 0)
    text = (
        log_line(3, T0)
        + "".join(entry_line(e.index, e.entry, e.leaf_hash) for e in entries)
        + tree_head_line(head)
    )

    exported = read_export(text.splitlines())

    assert exported.entries == entries
    assert exported.tree_heads == [head]
    assert verify_log(exported, [head], _good).ok


@pytest.mark.parametrize(
    ("lines", "where"),
    [
        ([], "the file is empty"),
        (['{"kind":"log","format":"edocx-audit-log","version":2,"size":0}'], "line 1"),
        (["LOG", "{}"], "line 1: not JSON"),
        (["{log}", "{}"], "line 1: not JSON"),
        (["[1]"], "line 1: not a JSON object"),
        (["{}", '{"kind": "entry"}'], "line 1"),
    ],
)
def test_a_file_not_of_the_format_is_refused(lines: list[str], where: str) -> None:
    with pytest.raises(ExportFormatError) as refused:
        read_export(lines)
    assert refused.value.detail.startswith(where)


def test_a_bad_line_is_named() -> None:
    entries = _entries(1)
    lines = [
        log_line(1, T0),
        entry_line(0, entries[0].entry, entries[0].leaf_hash),
        '{"kind":"entry","index":1,"entry":"{}","leaf_hash":"not base64!"}',
    ]

    with pytest.raises(ExportFormatError) as refused:
        read_export(lines)

    assert refused.value.detail.startswith("line 3: not base64")


def test_a_gap_in_the_numbering_is_named() -> None:
    entries = _entries(6)
    heads = [_head(entries, 6, 0)]
    del entries[2]

    report = verify_log(_log(entries, heads), heads, _good)

    assert report.first_bad_entry == 2
    assert "entry 2: the entry in position 2 says it is entry 3" in report.lines()[0]


def test_two_heads_of_one_size_are_two_histories() -> None:
    entries = _entries(4)
    forked = _entries(4)
    forked[3] = ExportedEntry(3, b"{}", leaf_hash(b"{}"))
    mine, theirs = _head(entries, 4, 1), _head(forked, 4, 2)

    report = verify_log(_log(entries, [mine]), [theirs], _good)

    assert any("the hub signed two histories" in line for line in report.lines())


def test_a_larger_tree_older_than_a_smaller_one_is_reported() -> None:
    entries = _entries(4)
    heads = [_head(entries, 2, 5), _head(entries, 4, 1)]

    report = verify_log(_log(entries, heads), [], _good)

    smaller = f"tree head of size 2 made at {heads[0].made_at_vietnam}"
    assert report.lines()[0].endswith(f"made before the smaller {smaller}")
    assert "+07:00" in smaller


def test_a_head_that_does_not_verify_is_reported() -> None:
    entries = _entries(2)
    head = _head(entries, 2, 0)

    report = verify_log(_log(entries, [head]), [], lambda sth: ["bad signature"])

    name = f"tree head of size 2 made at {head.made_at_vietnam}"
    assert report.lines()[0] == (
        f"{name}: not a genuine tree head, set aside: bad signature"
    )
    assert report.first_bad is None and not report.ok


def test_the_span_narrows_to_the_kept_heads() -> None:
    entries = _entries(8)
    kept = [_head(entries, 2, 0), _head(entries, 6, 1)]
    entries[4] = ExportedEntry(4, b"{}", leaf_hash(b"{}"))

    report = verify_log(_log(entries, []), kept, _good)

    assert report.first_bad == (2, 5) and report.first_bad_entry is None
    assert report.lines()[0].startswith("one of entries 2 to 5: the first 6 entries")
    assert "first entry that does not match: one of entries 2 to 5" in report.lines()


def test_entries_without_any_head_prove_nothing() -> None:
    report = verify_log(_log(_entries(2), []), [], _good)

    assert not report.ok
    assert report.lines()[0] == "the tree heads: none to check the entries against"


def test_two_heads_made_within_one_second_read_apart() -> None:
    entries = _entries(3)
    first = _head(entries, 2, 0).model_copy(
        update={"made_at": "2026-12-05T01:00:00.250000+00:00"}
    )
    second = first.model_copy(update={"made_at": "2026-12-05T01:00:00.750000+00:00"})

    assert first.made_at_vietnam == "2026-12-05T08:00:00.250000+07:00"
    assert first.made_at_vietnam != second.made_at_vietnam


def test_a_file_with_only_a_forged_head_is_not_called_rolled_back() -> None:
    entries = _entries(4)
    kept = _head(entries, 4, 1)
    forged = _head(entries, 2, 0)

    def check(sth: SignedTreeHead) -> list[str]:
        return ["bad signature"] if sth == forged else []

    report = verify_log(_log(entries, [forged]), [kept], check)

    text = "\n".join(report.lines())
    assert "not a genuine tree head, set aside: bad signature" in text
    assert "rolled back" not in text
    assert len(report.findings) == 1
