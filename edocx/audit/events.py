"""Audit events, written in the same transaction as the change they record.

Each event has a sequence number, the time, the acting user and agency, the
action, the object acted on and, where bytes are involved, their SHA-256.
The table refuses updates and deletes (schema triggers): entries are only
ever appended, so that a later version can chain them into a Merkle log
(RFC 9162) without rewriting history. Events never carry secrets or
document bytes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from edocx.store.db import Reader, Row, Tx


@dataclass(frozen=True)
class AuditEvent:
    seq: int
    at: str
    actor_id: int | None
    agency_id: int | None
    action: str
    object_type: str
    object_id: str
    content_sha256: str | None
    details: dict[str, Any] | None


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
    """Append one event to the audit log; return its sequence number."""
    if at.tzinfo is None:
        raise ValueError("audit times must be timezone-aware")
    encoded = (
        None
        if details is None
        else json.dumps(details, ensure_ascii=False, sort_keys=True)
    )
    return await tx.execute(
        "INSERT INTO audit_events (at, actor_id, agency_id, action, object_type,"
        " object_id, content_sha256, details_json) VALUES (?,?,?,?,?,?,?,?)",
        (
            at.isoformat(), actor, agency, action, object_type, object_id,
            content_sha256, encoded,
        ),
    )  # fmt: skip


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
    return [_event(row) for row in rows]


def _event(row: Row) -> AuditEvent:
    details = row["details_json"]
    return AuditEvent(
        seq=row["seq"],
        at=row["at"],
        actor_id=row["actor_id"],
        agency_id=row["agency_id"],
        action=row["action"],
        object_type=row["object_type"],
        object_id=row["object_id"],
        content_sha256=row["content_sha256"],
        details=None if details is None else json.loads(details),
    )
