"""The audit log's check of itself at the hub's start: cheap, repairing nothing.

The database alone cannot prove it was not rewritten (docs/audit-log.md),
but a hub can at least notice that its log no longer agrees with the newest
tree head it signed itself, or that the triggers refusing UPDATE and DELETE
are gone. :func:`check_at_start` looks for both, once, and says what it
found; nothing is recreated silently, because a missing trigger or a
changed leaf is evidence an auditor must see as it is.

Its cost: one pass over the stored leaf hashes up to the newest head (32
bytes each, read in pages), and one query of the schema.
"""

from __future__ import annotations

import logging
from pathlib import Path

from edocx.audit import checkpoints, log
from edocx.audit.merkle import EMPTY_ROOT, node_hash
from edocx.audit.treehead import SignedTreeHead, unb64
from edocx.store.db import Database, Reader

logger = logging.getLogger(__name__)

# The triggers of migrations 0001 and 0006 that keep the log append-only.
APPEND_ONLY_TRIGGERS = (
    "audit_events_no_update",
    "audit_events_no_delete",
    "audit_leaves_in_order",
    "audit_leaves_no_update",
    "audit_leaves_no_delete",
    "audit_nodes_no_update",
    "audit_nodes_no_delete",
    "audit_checkpoints_no_update",
    "audit_checkpoints_no_delete",
)
_PAGE = 20000

# What the last start found, per database file, for GET /healthz.
_found_at_start: dict[Path, list[str]] = {}


async def check_at_start(db: Database) -> list[str]:
    """Check the log against its own newest head and its triggers.

    Return the problems found (empty when none) and log each as a WARNING;
    :func:`problems_found` answers them again until the next start.
    """
    async with db.read() as reader:
        problems = await missing_triggers(reader)
        problems += await _against_own_head(reader)
    for problem in problems:
        logger.warning("audit log check at start: %s", problem)
    _found_at_start[db.path] = problems
    return problems


def problems_found(db: Database) -> list[str]:
    """What the last start's check found in ``db`` (empty if not checked)."""
    return list(_found_at_start.get(db.path, []))


async def missing_triggers(reader: Reader) -> list[str]:
    """Name the append-only triggers the schema no longer has."""
    rows = await reader.fetch_all(
        "SELECT name FROM sqlite_master WHERE type = 'trigger'"
    )
    present = {row[0] for row in rows}
    missing = [name for name in APPEND_ONLY_TRIGGERS if name not in present]
    if not missing:
        return []
    return [
        "its append-only triggers are missing (" + ", ".join(missing) + "): the"
        " database was changed outside the hub; they were not recreated"
    ]


async def _against_own_head(reader: Reader) -> list[str]:
    sth = await checkpoints.latest(reader)
    if sth is None:
        return []
    size = await log.tree_size(reader)
    if size < sth.tree_size:
        return [
            f"the log holds {size} entries, fewer than its own newest {_name(sth)}:"
            " entries were deleted or the tail cut off"
        ]
    root = await _root_of_leaves(reader, sth.tree_size)
    if root != unb64(sth.root_hash):
        return [
            f"the stored leaves do not make the root of its own newest {_name(sth)}:"
            " the log was changed outside the hub"
        ]
    return []


async def _root_of_leaves(reader: Reader, size: int) -> bytes:
    """The RFC 9162 root of the first ``size`` stored leaf hashes, in one pass.

    The stack holds the roots of the perfect subtrees so far, largest
    first; the root folds it from the right.
    """
    if size == 0:
        return EMPTY_ROOT
    stack: list[tuple[int, bytes]] = []
    for start in range(0, size, _PAGE):
        rows = await reader.fetch_all(
            "SELECT hash FROM audit_leaves WHERE idx >= ? AND idx < ? ORDER BY idx",
            (start, min(size, start + _PAGE)),
        )
        for row in rows:
            stack.append((1, bytes(row[0])))
            while len(stack) > 1 and stack[-1][0] == stack[-2][0]:
                (width, right), (_, left) = stack.pop(), stack.pop()
                stack.append((width * 2, node_hash(left, right)))
    root = stack[-1][1]
    for _, left in reversed(stack[:-1]):
        root = node_hash(left, root)
    return root


def _name(sth: SignedTreeHead) -> str:
    return f"tree head (size {sth.tree_size}, made at {sth.made_at_vietnam})"
