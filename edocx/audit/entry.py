"""One audit event and its entry in the log: canonical JSON (RFC 8785).

The entry is computed from the event's row, never stored beside it, so that
the row is the only copy and a change to it shows as a leaf that no longer
matches. It holds the time (UTC, ISO 8601, as stored), the acting user and
agency, the action, the object acted on, the SHA-256 of the bytes involved
and the details the caller gave; never a token, key or document body (the
events carry none, see :func:`edocx.audit.events.record_event`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import rfc8785

from edocx.store.db import Row


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


def entry_bytes(event: AuditEvent) -> bytes:
    """Return the event's entry in the log: its canonical JSON (RFC 8785).

    The sequence number is left out: an entry's place in the log is its
    leaf index, which the tree itself fixes.
    """
    return rfc8785.dumps(
        {
            "at": event.at,
            "actor": event.actor_id,
            "agency": event.agency_id,
            "action": event.action,
            "object_type": event.object_type,
            "object_id": event.object_id,
            "sha256": event.content_sha256,
            "details": event.details,
        }
    )


def encode_details(details: dict[str, Any] | None) -> str | None:
    """Return the details as the row stores them."""
    if details is None:
        return None
    return json.dumps(details, ensure_ascii=False, sort_keys=True)


def decode_details(text: str | None) -> dict[str, Any] | None:
    """Return the details a row stores."""
    return None if text is None else dict(json.loads(text))


def event_from_row(row: Row) -> AuditEvent:
    """Return the event an ``audit_events`` row holds."""
    return AuditEvent(
        seq=row["seq"],
        at=row["at"],
        actor_id=row["actor_id"],
        agency_id=row["agency_id"],
        action=row["action"],
        object_type=row["object_type"],
        object_id=row["object_id"],
        content_sha256=row["content_sha256"],
        details=decode_details(row["details_json"]),
    )
