"""Traffic that is cut by a kill, and what the hub must hold afterwards.

:class:`Ledger` keeps what the clients were told: a send or a status that
got a 2xx is a promise the hub made. :func:`check_store` reads the hub's
files after the crashes and lists every broken promise and every half-done
change it finds.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from edocx.audit.cli import trust_roots
from edocx.audit.export import export_log, read_export
from edocx.audit.headcheck import verify_tree_head
from edocx.audit.treehead import SignedTreeHead
from edocx.audit.verify import verify_log
from edocx.config import Settings
from edocx.store.blobs import BlobStore
from edocx.store.db import Database

# Tree heads made often, so that a kill or a full disk falls between some.
AUDIT_ENV = {
    "EDOCX_AUDIT__CHECKPOINT_EVERY_ENTRIES": "40",
    "EDOCX_AUDIT__CHECKPOINT_EVERY_S": "1",
    "EDOCX_AUDIT__CHECKPOINT_POLL_S": "0.3",
}
# A delivery's progress status is the last of these in its history.
PROGRESS = ("01", "02", "03", "04", "05", "06")


@dataclass(frozen=True)
class Sent:
    """A send the hub answered 2xx: the packet's DocumentId, uuid, PDF hash."""

    edxml_id: str
    uuid: str
    pdf_sha256: str


@dataclass(frozen=True)
class Pending:
    """A send not answered yet: what its retry must send again, byte for byte."""

    key: str
    packet: bytes
    pdf_sha256: str


@dataclass
class Ledger:
    """What the clients were told, across every run of the hub."""

    tried: set[str] = field(default_factory=set)
    sent: dict[str, Sent] = field(default_factory=dict)
    # Sends without an answer yet (cut by a kill), by DocumentId.
    pending: dict[str, Pending] = field(default_factory=dict)
    # (uuid, code) of each status the hub acknowledged.
    statuses: list[tuple[str, str]] = field(default_factory=list)
    heads: list[SignedTreeHead] = field(default_factory=list)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


async def check_store(settings: Settings, ledger: Ledger) -> list[str]:
    """Every fault found in the hub's database and blob store."""
    db = Database(settings.storage.db_path)
    await db.open()
    try:
        async with db.read() as reader:
            faults = await _integrity(reader)
            faults += await _documents(reader, settings, ledger)
            faults += await _statuses(reader, ledger)
        faults += await _audit(db, settings, ledger)
    finally:
        await db.close()
    return faults


async def _integrity(reader: Any) -> list[str]:
    faults = []
    check = [row[0] for row in await reader.fetch_all("PRAGMA integrity_check")]
    if check != ["ok"]:
        faults.append(f"integrity_check: {check[:5]}")
    broken = await reader.fetch_all("PRAGMA foreign_key_check")
    if broken:
        faults.append(f"{len(broken)} rows name rows that do not exist")
    return faults


async def _documents(reader: Any, settings: Settings, ledger: Ledger) -> list[str]:
    """Each acknowledged send once and whole; no stored document half made."""
    faults = []
    rows = await reader.fetch_all(
        "SELECT d.id, d.uuid, d.edxml_document_id, a.blob_sha256,"
        " (SELECT COUNT(*) FROM deliveries v WHERE v.document_id = d.id),"
        " (SELECT COUNT(*) FROM document_recipients r WHERE r.document_id = d.id),"
        " (SELECT COUNT(*) FROM edxml_packets p WHERE p.document_id = d.id)"
        " FROM documents d LEFT JOIN document_attachments a"
        " ON a.document_id = d.id AND a.position = 0"
    )
    by_id: dict[str, list[Any]] = {}
    for row in rows:
        by_id.setdefault(row[2], []).append(row)
    blobs = BlobStore(settings.storage.blob_dir)

    for edxml_id, sent in ledger.sent.items():
        found = by_id.get(edxml_id, [])
        if len(found) != 1 or found[0][1] != sent.uuid:
            faults.append(f"acknowledged send {edxml_id}: {len(found)} documents")
        elif found[0][3] != sent.pdf_sha256:
            faults.append(f"acknowledged send {edxml_id}: another PDF stored")

    for row in rows:
        _, uuid, edxml_id, digest, deliveries, recipients, packets = row
        if edxml_id not in ledger.tried:
            faults.append(f"document {uuid} was never sent")
        if (deliveries, recipients, packets) != (2, 2, 1):
            faults.append(f"document {uuid} half stored: {tuple(row)[4:]}")
        if digest is None or not blobs.exists(digest):
            faults.append(f"document {uuid}: its PDF blob is missing")
        elif sha256(blobs.get_sync(digest)) != digest:
            faults.append(f"document {uuid}: its PDF blob is damaged")
    return faults


async def _statuses(reader: Any, ledger: Ledger) -> list[str]:
    """Each acknowledged status kept; each delivery's summary its history's."""
    faults = []
    kept = {
        (row[0], row[1])
        for row in await reader.fetch_all(
            "SELECT d.uuid, s.code FROM delivery_statuses s"
            " JOIN deliveries v ON v.id = s.delivery_id"
            " JOIN documents d ON d.id = v.document_id"
        )
    }
    for uuid, code in ledger.statuses:
        if (uuid, code) not in kept:
            faults.append(f"acknowledged status {code} of {uuid} is missing")

    deliveries = await reader.fetch_all(
        "SELECT id, progress_status, last_status FROM deliveries"
    )
    for delivery_id, progress, last in deliveries:
        history = [
            row[0]
            for row in await reader.fetch_all(
                "SELECT code FROM delivery_statuses WHERE delivery_id = ? ORDER BY id",
                (delivery_id,),
            )
        ]
        steps = [code for code in history if code in PROGRESS]
        expected = (steps[-1] if steps else None, history[-1] if history else None)
        if (progress, last) != expected:
            faults.append(
                f"delivery {delivery_id}: summary {(progress, last)}, history {history}"
            )
    return faults


async def _audit(db: Database, settings: Settings, ledger: Ledger) -> list[str]:
    """The exported log verifies, against every tree head seen before a kill."""
    out = io.StringIO()
    await export_log(db, out, at=datetime.now(UTC))
    exported = read_export(out.getvalue().splitlines())
    roots = trust_roots(settings)
    report = verify_log(
        exported, ledger.heads, lambda sth: verify_tree_head(sth, roots)
    )
    return [] if report.ok else [f"audit log: {line}" for line in report.lines()]
