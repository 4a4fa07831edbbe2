"""The audit log's Merkle tree (RFC 9162) in the hub's database.

Each audit event is a leaf (``audit_leaves``: index, event, leaf hash) and
every complete subtree is kept as soon as its last leaf arrives
(``audit_nodes``, schema 0006). A root or a proof is then made from at most
two stored hashes per level of the tree, fetched in one query: O(log n),
whatever the log's size.

Appending runs in the transaction of the change it records
(:func:`edocx.audit.events.record_event`), so it must stay cheap: the right
edge of the tree (the complete subtrees a new leaf may close) is kept in
memory per writing connection, and an append is one insert of the leaf and,
for every other leaf, one insert of the subtrees it completes, both deferred
(:meth:`~edocx.store.db.Tx.defer`): they reach the database with the
transaction's next statement, at no cost of their own. A transaction grows
its own copy of the edge, which becomes the connection's when it commits
only; the edge is reloaded when another connection has written since it was
loaded (``PRAGMA data_version``). A trigger still refuses a leaf out of
order: a stale edge fails its transaction rather than leaving a gap.

Events recorded before the log existed get their leaves, in order, the
first time the log is opened for writing (:func:`catch_up`).
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from edocx.audit import merkle
from edocx.audit.entry import entry_bytes, event_from_row
from edocx.audit.treehead import SignedTreeHead
from edocx.errors import EdocxError
from edocx.store.db import Reader, Tx

__all__ = [
    "AuditEntry",
    "AuditLogError",
    "Reader",
    "append",
    "catch_up",
    "consistency_proof",
    "document_files",
    "document_indices",
    "entries",
    "inclusion_proof",
    "root_at",
    "tree_heads",
    "tree_size",
]

logger = logging.getLogger(__name__)

_CATCH_UP_PAGE = 5000


class AuditLogError(EdocxError):
    code = "audit-log-damaged"
    title = "The audit log is damaged"


@dataclass(frozen=True)
class AuditEntry:
    """One leaf of the log: its index, entry bytes and stored leaf hash.

    ``entry`` is computed from the event's row as it is now; it is empty
    when the row of a leaf is missing (deleted behind the hub's back), so
    that a check of ``leaf_hash(entry)`` against the stored hash fails.
    """

    index: int
    entry: bytes
    leaf_hash: bytes
    seq: int


@dataclass
class _Edge:
    """The complete subtrees (level, hash) that make the tree, largest first."""

    size: int = 0
    subtrees: list[tuple[int, bytes]] = field(default_factory=list)
    # PRAGMA data_version when loaded: another connection wrote when it moves.
    version: int | None = None

    def push(self, leaf: bytes) -> list[tuple[int, int, bytes]]:
        """Add a leaf; return the subtrees it completes as (level, idx, hash)."""
        index = self.size
        level, value = 0, leaf
        made: list[tuple[int, int, bytes]] = []
        while self.subtrees and self.subtrees[-1][0] == level:
            _, left = self.subtrees.pop()
            level, value = level + 1, merkle.node_hash(left, value)
            made.append((level, (index + 1 - (1 << level)) >> level, value))
        self.subtrees.append((level, value))
        self.size += 1
        return made

    def copy(self) -> _Edge:
        return _Edge(self.size, list(self.subtrees), self.version)


# The committed edge of each writing connection (the database has a single
# writer), and the edge each open transaction grows from it.
_edges: weakref.WeakKeyDictionary[Any, _Edge] = weakref.WeakKeyDictionary()
_growing: weakref.WeakKeyDictionary[Tx, _Edge] = weakref.WeakKeyDictionary()


async def ready(tx: Tx) -> None:
    """Make ``tx`` ready to append: its edge loaded, earlier leaves caught up.

    Call it before deferring an event's insert: a reload would otherwise
    find that event without its leaf and give it one.
    """
    await _edge_of(tx)


async def append(tx: Tx, leaf: bytes) -> int:
    """Append the leaf of the event inserted last in ``tx``; return its index.

    Call it right after deferring the event's insert (and :func:`ready`
    before that): the leaf's row takes the event's sequence number from
    ``last_insert_rowid()``.
    """
    edge = await _edge_of(tx)
    index = edge.size
    made = edge.push(leaf)
    tx.defer(
        "INSERT INTO audit_leaves (idx, seq, hash) VALUES (?, last_insert_rowid(), ?)",
        (index, leaf),
    )
    if made:
        rows = ",".join(["(?,?,?)"] * len(made))
        tx.defer(
            f"INSERT INTO audit_nodes (level, idx, hash) VALUES {rows}",
            [value for node in made for value in node],
        )
    return index


async def _edge_of(tx: Tx) -> _Edge:
    """The edge ``tx`` grows: the connection's, reloaded when stale."""
    growing = _growing.get(tx)
    if growing is not None:
        return growing

    if not tx.begun:
        await tx.fetch_value("SELECT 1")  # begins it: its data_version is known
    conn = _connection(tx)
    committed = _edges.get(conn)
    if committed is None or committed.version != tx.data_version:
        committed = await _load_edge(tx)
        committed.version = tx.data_version
        # Loading may have given earlier events their leaves: this
        # transaction's commit keeps them, and with them this edge.
        tx.after_commit(lambda: _edges.__setitem__(conn, committed))

    growing = committed.copy()
    _growing[tx] = growing
    tx.after_commit(lambda: _edges.__setitem__(conn, growing))
    return growing


async def catch_up(tx: Tx) -> int:
    """Give leaves to the events that have none; return how many were added.

    Run when the hub opens its database, and by bulk imports that insert
    events first (one statement for many rows) and hash them after.
    """
    before = await tree_size(tx)
    edge = await _load_edge(tx)
    edge.version = tx.data_version
    conn = _connection(tx)
    tx.after_commit(lambda: _edges.__setitem__(conn, edge))
    return edge.size - before


async def _load_edge(tx: Tx) -> _Edge:
    # The edge of the stored tree, then the events that still need leaves.
    size = await tree_size(tx)
    keys = merkle.subtrees_for_root(size)
    known = await _subtrees(tx, keys)
    edge = _Edge(size, [(n.bit_length() - 1, known[(s, n)]) for s, n in keys])

    added = 0
    rows_from = 0
    while True:
        rows = await tx.fetch_all(
            "SELECT * FROM audit_events WHERE seq > (SELECT COALESCE(MAX(seq), 0)"
            " FROM audit_leaves) ORDER BY seq LIMIT ?",
            (_CATCH_UP_PAGE,),
        )
        if not rows:
            break
        rows_from = rows_from or rows[0]["seq"]
        await _add_many(tx, edge, rows)
        added += len(rows)
    if added:
        # The hub gives an event its leaf in the event's own transaction; an
        # event without one was written by something else (an older
        # version, a bulk import, or a hand on the database).
        logger.warning(
            "audit log: %d events the hub did not append got their leaves now"
            " (from event seq %d)", added, rows_from,
        )  # fmt: skip
    return edge


async def _add_many(tx: Tx, edge: _Edge, rows: Iterable[Any]) -> None:
    leaves: list[tuple[int, int, bytes]] = []
    nodes: list[tuple[int, int, bytes]] = []
    for row in rows:
        leaf = merkle.leaf_hash(entry_bytes(event_from_row(row)))
        leaves.append((edge.size, row["seq"], leaf))
        nodes.extend(edge.push(leaf))
    await tx.execute_many(
        "INSERT INTO audit_leaves (idx, seq, hash) VALUES (?,?,?)", leaves
    )
    await tx.execute_many(
        "INSERT INTO audit_nodes (level, idx, hash) VALUES (?,?,?)", nodes
    )


def _connection(tx: Tx) -> Any:
    # NOTE: the edge belongs to the connection that writes, which a
    # transaction does not otherwise expose.
    return tx._conn


async def tree_size(db: Reader) -> int:
    """Return the number of leaves in the log."""
    size = await db.fetch_value("SELECT COALESCE(MAX(idx) + 1, 0) FROM audit_leaves")
    return int(size)


async def root_at(db: Reader, size: int) -> bytes:
    """Return the root hash of the first ``size`` leaves."""
    await _within(db, size)
    known = await _subtrees(db, merkle.subtrees_for_root(size))
    return merkle.range_root(0, size, lambda s, n: known[(s, n)])


async def inclusion_proof(db: Reader, index: int, size: int) -> list[bytes]:
    """Return the inclusion proof of leaf ``index`` in the tree of ``size``."""
    await _within(db, size)
    known = await _subtrees(db, merkle.subtrees_for_inclusion(index, size))
    return merkle.inclusion_proof(index, size, lambda s, n: known[(s, n)])


async def consistency_proof(db: Reader, old: int, new: int) -> list[bytes]:
    """Return the proof that the tree of ``old`` leaves is a prefix of ``new``."""
    await _within(db, new)
    known = await _subtrees(db, merkle.subtrees_for_consistency(old, new))
    return merkle.consistency_proof(old, new, lambda s, n: known[(s, n)])


async def _within(db: Reader, size: int) -> None:
    current = await tree_size(db)
    if not 0 <= size <= current:
        raise ValueError(f"the log has {current} leaves, not {size}")


async def _subtrees(
    db: Reader, keys: Sequence[merkle.Subtree]
) -> dict[merkle.Subtree, bytes]:
    """Fetch the stored hashes of complete subtrees, in one query."""
    if not keys:
        return {}
    parts: list[str] = []
    params: list[int] = []
    for number, (start, size) in enumerate(keys):
        level = size.bit_length() - 1
        if level == 0:
            parts.append("SELECT ?, hash FROM audit_leaves WHERE idx = ?")
            params += [number, start]
        else:
            parts.append("SELECT ?, hash FROM audit_nodes WHERE level = ? AND idx = ?")
            params += [number, level, start >> level]
    rows = await db.fetch_all(" UNION ALL ".join(parts), params)

    found = {keys[row[0]]: bytes(row[1]) for row in rows}
    missing = [key for key in keys if key not in found]
    if missing:
        start, size = missing[0]
        raise AuditLogError(
            f"the audit log has no hash for leaves {start} to {start + size - 1}",
            hint="the database was changed outside the hub; check it with"
            " `edocx audit verify` against the tree heads kept outside",
        )
    return found


async def entries(db: Reader, start: int, end: int) -> list[AuditEntry]:
    """Return the leaves ``start`` to ``end`` (excluded) with their entries."""
    rows = await db.fetch_all(
        "SELECT l.idx AS leaf_idx, l.hash AS leaf_hash, l.seq AS leaf_seq, e.*"
        " FROM audit_leaves l LEFT JOIN audit_events e ON e.seq = l.seq"
        " WHERE l.idx >= ? AND l.idx < ? ORDER BY l.idx",
        (start, end),
    )
    return [_entry(row) for row in rows]


def _entry(row: Any) -> AuditEntry:
    entry = b"" if row["seq"] is None else entry_bytes(event_from_row(row))
    return AuditEntry(row["leaf_idx"], entry, bytes(row["leaf_hash"]), row["leaf_seq"])


async def document_indices(db: Reader, document_id: str) -> list[int]:
    """Return the leaf indices of the events that name a document.

    An event names it as its object or in its details (``document``); a
    verification (``document.verify``) names one of its PDFs by SHA-256.
    """
    # TODO(#6): a full scan of audit_events; an index on object_id and the
    # document detail would make this fast on large logs.
    rows = await db.fetch_all(
        "SELECT l.idx FROM audit_events e JOIN audit_leaves l ON l.seq = e.seq"
        " WHERE e.object_id = ? OR (e.details_json IS NOT NULL"
        " AND json_extract(e.details_json, '$.document') = ?)"
        " OR (e.action = 'document.verify' AND e.content_sha256 IN"
        " (SELECT r.blob_sha256 FROM document_revisions r JOIN documents d"
        " ON d.id = r.document_id WHERE d.uuid = ?)) ORDER BY l.idx",
        (document_id, document_id, document_id),
    )
    return [row[0] for row in rows]


async def document_files(db: Reader, document_id: str) -> list[str]:
    """Return the SHA-256 of every PDF the document has had, oldest first."""
    rows = await db.fetch_all(
        "SELECT DISTINCT r.blob_sha256 FROM document_revisions r JOIN documents d"
        " ON d.id = r.document_id WHERE d.uuid = ? ORDER BY r.blob_sha256",
        (document_id,),
    )
    return [row[0] for row in rows]


async def tree_heads(db: Reader) -> list[SignedTreeHead]:
    """Return every signed tree head kept, oldest first."""
    rows = await db.fetch_all("SELECT head_json FROM audit_checkpoints ORDER BY id")
    return [SignedTreeHead.model_validate_json(row[0]) for row in rows]
