"""Audit events, written in the same transaction as the change they record.

Each event has a sequence number, the time, the acting user and agency, the
action, the object acted on and, where bytes are involved, their SHA-256.
Recording an event appends its entry (:func:`edocx.audit.entry.entry_bytes`)
to the Merkle log (:mod:`edocx.audit.log`, RFC 9162) in the caller's
transaction: there is no change without its entry and no entry without its
change. The tables refuse updates and deletes (schema triggers). Events
never carry secrets or document bytes.
"""

from __future__ import annotations

from contextvars import ContextVar
from datetime import datetime
from typing import Any

from edocx.audit import log
from edocx.audit.entry import (
    AuditEvent,
    decode_details,
    encode_details,
    entry_bytes,
    event_from_row,
)
from edocx.audit.merkle import leaf_hash
from edocx.store.db import Reader, Tx

__all__ = [
    "AUDIT_INDICES",
    "AuditEvent",
    "entry_bytes",
    "list_events",
    "record_event",
]

# Detail names that would put a secret or a document's bytes in the log,
# which anyone holding an export can read: refused outright.
FORBIDDEN_DETAILS = frozenset(
    {"token", "secret", "password", "passphrase", "pin", "private_key", "body"}
)

# The leaf indices the current task appended, in order, when a caller (the
# web layer, for the Audit-Index header) set a list here; None: not kept.
AUDIT_INDICES: ContextVar[list[int] | None] = ContextVar(
    "edocx_audit_indices", default=None
)


async def record_event(
    tx: Tx,
    *,
    at: datetime,
    actor: int | None,
    agency: int | None,
    action: str,
    object_type: str,
    object_id: str,
    content_sha256: str | None = None,
    details: dict[str, Any] | None = None,
) -> int:
    """Append one event to the audit log; return its leaf index (0-based)."""
    if at.tzinfo is None:
        raise ValueError("audit times must be timezone-aware")
    forbidden = FORBIDDEN_DETAILS.intersection(k.lower() for k in details or {})
    if forbidden:
        raise ValueError(f"audit details may not carry {sorted(forbidden)}")
    encoded = encode_details(details)
    stamp = at.isoformat()
    # Deferred, as the leaf's insert after it: once the log is ready,
    # nothing here waits for the database (the leaf hash does not depend on
    # the sequence number).
    await log.ready(tx)
    tx.defer(
        "INSERT INTO audit_events (at, actor_id, agency_id, action, object_type,"
        " object_id, content_sha256, details_json) VALUES (?,?,?,?,?,?,?,?)",
        (
            stamp, actor, agency, action, object_type, object_id,
            content_sha256, encoded,
        ),
    )  # fmt: skip

    # The entry as it will be computed from the row later: the details go
    # through the same JSON round trip as the stored text.
    event = AuditEvent(
        0, stamp, actor, agency, action, object_type, object_id,
        content_sha256, decode_details(encoded),
    )  # fmt: skip
    index = await log.append(tx, leaf_hash(entry_bytes(event)))

    kept = AUDIT_INDICES.get()
    if kept is not None:
        kept.append(index)
    return index


async def list_events(
    db: Reader,
    *,
    after_seq: int = 0,
    limit: int = 100,
    object_id: str | None = None,
) -> list[AuditEvent]:
    """Return events after ``after_seq`` in sequence order."""
    sql = "SELECT * FROM audit_events WHERE seq > ?"
    params: list[object] = [after_seq]
    if object_id is not None:
        sql += " AND object_id = ?"
        params.append(object_id)
    rows = await db.fetch_all(sql + " ORDER BY seq LIMIT ?", [*params, limit])
    return [event_from_row(row) for row in rows]
