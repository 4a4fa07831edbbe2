"""Offline verification of an exported audit log against signed tree heads.

:func:`verify_log` needs no hub and no network: the export, the tree heads
its holder kept (copies an agency's system received from the hub) and the
roots of trust of the hub's audit key. Its steps, cheapest first:

1. the entries are numbered 0, 1, 2... without gap or repeat;
2. each entry's leaf hash, recomputed from its bytes, is the one the hub
   stored when it appended it;
3. each tree head's signature and timestamp verify (offline); a head that
   fails is named as not genuine and is no evidence for the steps below;
4. no two genuine heads of one size disagree, and a larger tree is never
   older than a smaller one;
5. the root of the first ``tree_size`` leaves is each genuine head's root:
   this is inclusion and consistency at once, for every head given;
6. the export holds as many entries as the newest genuine head, whether
   the file brought it or its holder kept it (a log cut short shows here),
   and the file's own heads reach that head (a rollback shows here).

The report names the first entry that does not match: exactly when a leaf
or an index is wrong, else as "one of entries A to B", the span between
the last head that matched and the first one that did not (each kept head
narrows it).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from edocx.audit.export import ExportedEntry, ExportedLog
from edocx.audit.merkle import EMPTY_ROOT, leaf_hash, node_hash
from edocx.audit.treehead import SignedTreeHead, unb64

# verify_tree_head(sth) with the roots of trust already bound.
HeadCheck = Callable[[SignedTreeHead], list[str]]


@dataclass(frozen=True)
class Finding:
    """One thing that does not match, and where."""

    where: str
    detail: str
    first_entry: int | None = None
    # Set when the entry is only known to lie in first_entry..last_entry.
    last_entry: int | None = None


@dataclass
class VerifyReport:
    entries: int
    tree_heads: int
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def first_bad(self) -> tuple[int, int] | None:
        """Where the first entry that does not match lies: ``(n, n)`` when
        known exactly, else the span ``(a, b)`` it is known to lie in.

        A root that does not match says only that some entry of a span
        differs; an entry whose leaf or place is wrong is the better answer,
        unless a span lies wholly before it.
        """
        exact = [f.first_entry for f in self.findings
                 if f.first_entry is not None and f.last_entry is None]  # fmt: skip
        spans = [(f.first_entry, f.last_entry) for f in self.findings
                 if f.first_entry is not None and f.last_entry is not None]  # fmt: skip
        first = min(exact, default=None)
        before = [span for span in spans if first is None or span[1] < first]
        if before:
            return min(before)
        return None if first is None else (first, first)

    @property
    def first_bad_entry(self) -> int | None:
        """The first entry that does not match, when it is known exactly."""
        span = self.first_bad
        return span[0] if span is not None and span[0] == span[1] else None

    def lines(self) -> list[str]:
        """The report as lines of text, the verdict last."""
        out = [f"{f.where}: {f.detail}" for f in self.findings]
        span = self.first_bad
        if span is not None:
            low, high = span
            where = str(low) if low == high else f"one of entries {low} to {high}"
            out.append(f"first entry that does not match: {where}")
        verdict = "good" if self.ok else "TAMPERED OR INCOMPLETE"
        out.append(
            f"{_count(self.entries, 'entry', 'entries')},"
            f" {_count(self.tree_heads, 'tree head', 'tree heads')} checked: {verdict}"
        )
        return out


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def verify_log(
    exported: ExportedLog, kept: Sequence[SignedTreeHead], check_head: HeadCheck
) -> VerifyReport:
    """Check ``exported`` against its own tree heads and the ``kept`` ones."""
    heads = _distinct([*exported.tree_heads, *kept])
    report = VerifyReport(len(exported.entries), len(heads))
    findings = report.findings

    # 1-2. Numbering and leaves.
    findings.extend(_numbering(exported.entries))
    findings.extend(_leaves(exported.entries))

    # 3. The heads themselves. One whose signature, chain or timestamp fails
    # is no evidence of anything: it is named and set aside.
    genuine = []
    for sth in heads:
        problems = check_head(sth)
        if problems:
            detail = "not a genuine tree head, set aside: " + "; ".join(problems)
            findings.append(Finding(_name(sth), detail))
        else:
            genuine.append(sth)
    if not genuine and exported.entries:
        findings.append(Finding("the tree heads", "none to check the entries against"))

    # 4. Forks and times, among genuine heads only.
    findings.extend(_disagreements(genuine))

    # 5. Roots, from the leaves recomputed from the entries' bytes.
    findings.extend(_roots(exported.entries, genuine))

    # 6. Completeness against the newest genuine head, in the file or given.
    keep = {_key(s) for s in genuine}
    own = [s for s in exported.tree_heads if _key(s) in keep]
    findings.extend(_completeness(exported, genuine, own))
    return report


def _key(sth: SignedTreeHead) -> tuple[int, str, str]:
    return (sth.tree_size, sth.root_hash, sth.signature)


def _distinct(heads: Iterable[SignedTreeHead]) -> list[SignedTreeHead]:
    seen: dict[tuple[int, str, str], SignedTreeHead] = {}
    for sth in heads:
        seen.setdefault(_key(sth), sth)
    return sorted(seen.values(), key=lambda s: (s.tree_size, _when(s)))


def _name(sth: SignedTreeHead) -> str:
    # Shown in Vietnam time, as legal times are.
    return f"tree head of size {sth.tree_size} made at {sth.made_at_vietnam}"


def _numbering(entries: Sequence[ExportedEntry]) -> list[Finding]:
    for position, item in enumerate(entries):
        if item.index != position:
            detail = (
                f"the entry in position {position} says it is entry {item.index}"
                " (an entry deleted, inserted or moved)"
            )
            return [Finding(f"entry {position}", detail, position)]
    return []


def _leaves(entries: Sequence[ExportedEntry]) -> list[Finding]:
    changed = [
        position
        for position, item in enumerate(entries)
        if leaf_hash(item.entry) != item.leaf_hash
    ]
    if not changed:
        return []
    detail = (
        "its content does not match the leaf hash stored when it was"
        " appended (the entry was changed or its event row deleted)"
    )
    if len(changed) > 1:
        shown = ", ".join(str(p) for p in changed[1:6])
        more = "..." if len(changed) > 6 else ""
        detail += f"; so do {len(changed) - 1} more: {shown}{more}"
    return [Finding(f"entry {changed[0]}", detail, changed[0])]


def _disagreements(heads: Sequence[SignedTreeHead]) -> list[Finding]:
    found: list[Finding] = []
    for older, newer in itertools.pairwise(heads):
        if older.tree_size == newer.tree_size and older.root_hash != newer.root_hash:
            found.append(
                Finding(_name(newer), f"another head of this size has another root"
                        f" ({_name(older)}): the hub signed two histories")
            )  # fmt: skip
        elif older.tree_size < newer.tree_size and _when(newer) < _when(older):
            found.append(
                Finding(_name(newer), f"made before the smaller {_name(older)}")
            )
    return found


def _when(sth: SignedTreeHead) -> datetime:
    return datetime.fromisoformat(sth.made_at)


def _roots(
    entries: Sequence[ExportedEntry], heads: Sequence[SignedTreeHead]
) -> list[Finding]:
    sizes = sorted({s.tree_size for s in heads if s.tree_size <= len(entries)})
    computed = roots_at(entries, sizes)
    good_size = 0
    for sth in heads:
        root = computed.get(sth.tree_size)
        if root is None:
            continue
        if root == unb64(sth.root_hash):
            good_size = max(good_size, sth.tree_size)
            continue
        if good_size >= sth.tree_size:
            # Its entries match another genuine head: a fork, named by
            # _disagreements; it says nothing more about any entry.
            continue
        return [_mismatch(sth, good_size)]
    return []


def _mismatch(sth: SignedTreeHead, good_size: int) -> Finding:
    last = sth.tree_size - 1
    if good_size == last:
        where = f"entry {last}"
    else:
        where = f"one of entries {good_size} to {last}"
    detail = (
        f"the first {sth.tree_size} entries do not make the root of the"
        f" {_name(sth)} (the first {good_size} do match a signed head)"
    )
    return Finding(where, detail, good_size, None if good_size == last else last)


def _completeness(
    exported: ExportedLog,
    genuine: Sequence[SignedTreeHead],
    own: Sequence[SignedTreeHead],
) -> list[Finding]:
    """The export against its own count and the newest genuine head.

    ``genuine`` are all the heads that verify, from the file and given;
    ``own`` those of them the file brought. A file without genuine heads is
    judged by the heads given alone.
    """
    found: list[Finding] = []
    have = len(exported.entries)
    if have != exported.size:
        found.append(
            Finding("the export", f"says {exported.size} entries, holds {have}",
                    min(have, exported.size))
        )  # fmt: skip
    if not genuine:
        return found
    newest = max(genuine, key=lambda s: s.tree_size)
    if newest.tree_size > have:
        detail = (
            f"the log holds {have} entries, fewer than the {_name(newest)}"
            " says existed: entries were deleted or the tail cut off"
        )
        found.append(Finding("the log", detail, have))
    if not own:
        # The file brings no genuine head: nothing of its own to roll back.
        return found
    largest = max(s.tree_size for s in own)
    if largest < newest.tree_size:
        detail = (
            f"the hub's newest tree head is of size {largest}, older than the"
            f" {_name(newest)}: its tree heads were rolled back"
        )
        found.append(Finding("the tree heads", detail))
    return found


def roots_at(
    entries: Sequence[ExportedEntry], sizes: Sequence[int]
) -> dict[int, bytes]:
    """Return the Merkle root (RFC 9162) of the first n entries for each size.

    One pass over the leaves: the stack holds the roots of the perfect
    subtrees of the leaves so far, largest first, as binary counting does;
    the root of n leaves folds that stack from the right.
    """
    wanted = set(sizes)
    roots: dict[int, bytes] = {}
    stack: list[tuple[int, bytes]] = []
    if 0 in wanted:
        roots[0] = EMPTY_ROOT
    for count, item in enumerate(entries, start=1):
        stack.append((1, leaf_hash(item.entry)))
        while len(stack) > 1 and stack[-1][0] == stack[-2][0]:
            (width, right), (_, left) = stack.pop(), stack.pop()
            stack.append((width * 2, node_hash(left, right)))
        if count in wanted:
            roots[count] = _fold(stack)
    return roots


def _fold(stack: Sequence[tuple[int, bytes]]) -> bytes:
    root = stack[-1][1]
    for _, left in reversed(stack[:-1]):
        root = node_hash(left, root)
    return root
