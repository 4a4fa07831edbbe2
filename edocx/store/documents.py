"""Documents, their recipients and their revisions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from edocx.store.db import Query, Reader, Row, Tx
from edocx.store.models import Document, DocumentState

_SELECT = (
    "SELECT d.*, a.organ_id FROM documents d JOIN agencies a ON a.id = d.agency_id"
)


@dataclass(frozen=True)
class NewDocument:
    """The header fields of a draft as the hub stores them."""

    uuid: str
    agency_id: int
    type_name: str
    type_abbreviation: str | None
    drafting_unit: str | None
    subject: str
    signer_name: str
    signer_position: str
    signer_competence: str | None
    priority: int
    recipient_agency_ids: tuple[int, ...]
    blob: str
    created_by: int


@dataclass(frozen=True)
class IssueFacts:
    """What issuing fixes on a document."""

    number: int
    code_notation: str
    notation: str
    year: int
    issued_at: datetime
    edxml_document_id: str
    blob: str


@dataclass(frozen=True)
class Revision:
    kind: str
    blob_sha256: str
    size: int
    actor_id: int
    created_at: str


async def insert_document(tx: Tx, new: NewDocument, *, at: datetime) -> int:
    stamp = at.isoformat()
    doc_id = await tx.execute(
        "INSERT INTO documents (uuid, agency_id, state, type_name, type_abbreviation,"
        " drafting_unit, subject, signer_name, signer_position, signer_competence,"
        " priority, current_blob, created_by, created_at, updated_at)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (
            new.uuid, new.agency_id, DocumentState.DRAFT.value, new.type_name,
            new.type_abbreviation, new.drafting_unit, new.subject, new.signer_name,
            new.signer_position, new.signer_competence, new.priority, new.blob,
            new.created_by, stamp, stamp,
        ),
    )  # fmt: skip
    await tx.execute_many(
        "INSERT INTO document_recipients (document_id, agency_id, position)"
        " VALUES (?,?,?)",
        [(doc_id, agency, i) for i, agency in enumerate(new.recipient_agency_ids)],
    )
    return doc_id


async def _recipients(db: Reader, doc_id: int) -> tuple[str, ...]:
    rows = await db.fetch_all(
        "SELECT a.organ_id FROM document_recipients r JOIN agencies a"
        " ON a.id = r.agency_id WHERE r.document_id = ? ORDER BY r.position",
        (doc_id,),
    )
    return tuple(row[0] for row in rows)


async def recipient_agency_ids(db: Reader, doc_id: int) -> list[int]:
    rows = await db.fetch_all(
        "SELECT agency_id FROM document_recipients WHERE document_id = ?"
        " ORDER BY position",
        (doc_id,),
    )
    return [row[0] for row in rows]


async def _document(db: Reader, row: Row) -> Document:
    fields = {key: row[key] for key in row.keys()}
    fields["state"] = DocumentState(fields["state"])
    fields["recipients"] = await _recipients(db, row["id"])
    for extra in ("created_by",):
        fields.pop(extra)
    return Document(**fields)


async def get_document(db: Reader, uuid: str) -> Document | None:
    found = await db.fetch_batch(document_queries(uuid))
    return document_from(*found)


def document_queries(uuid: str) -> list[Query]:
    """The queries of a document and its recipients, to run in one trip."""
    return [
        (_SELECT + " WHERE d.uuid = ?", (uuid,)),
        (
            "SELECT a.organ_id FROM document_recipients r JOIN agencies a"
            " ON a.id = r.agency_id WHERE r.document_id ="
            " (SELECT id FROM documents WHERE uuid = ?) ORDER BY r.position",
            (uuid,),
        ),
    ]


def document_from(rows: list[Row], recipients: list[Row]) -> Document | None:
    """The document of :func:`document_queries`' rows, if it exists."""
    if not rows:
        return None
    fields = {key: rows[0][key] for key in rows[0].keys()}
    fields["state"] = DocumentState(fields["state"])
    fields["recipients"] = tuple(row[0] for row in recipients)
    fields.pop("created_by")
    return Document(**fields)


async def get_document_by_id(db: Reader, doc_id: int) -> Document | None:
    row = await db.fetch_one(_SELECT + " WHERE d.id = ?", (doc_id,))
    return None if row is None else await _document(db, row)


async def list_documents(
    db: Reader, *, agency_id: int, state: DocumentState | None = None
) -> list[Document]:
    sql = _SELECT + " WHERE d.agency_id = ?"
    params: list[object] = [agency_id]
    if state is not None:
        sql += " AND d.state = ?"
        params.append(state.value)
    # TODO(#2): lists stop at the newest 500 documents; no paging yet.
    rows = await db.fetch_all(sql + " ORDER BY d.id DESC LIMIT 500", params)
    return [await _document(db, row) for row in rows]


async def mark_signed(tx: Tx, doc_id: int, *, blob: str, at: datetime) -> bool:
    """Move a draft to signed; return False when it was no longer a draft."""
    await tx.execute(
        "UPDATE documents SET state = 'signed', current_blob = ?, updated_at = ?"
        " WHERE id = ? AND state = 'draft'",
        (blob, at.isoformat(), doc_id),
    )
    return await tx.changes() == 1


async def mark_issued(tx: Tx, doc_id: int, facts: IssueFacts, *, at: datetime) -> bool:
    """Move a signed document to issued; return False when it was not signed."""
    await tx.execute(
        "UPDATE documents SET state = 'issued', current_blob = ?, number = ?,"
        " code_notation = ?, notation = ?, year = ?, issued_at = ?,"
        " edxml_document_id = ?, updated_at = ? WHERE id = ? AND state = 'signed'",
        (
            facts.blob, facts.number, facts.code_notation, facts.notation,
            facts.year, facts.issued_at.isoformat(), facts.edxml_document_id,
            at.isoformat(), doc_id,
        ),
    )  # fmt: skip
    return await tx.changes() == 1


async def insert_revision(
    tx: Tx, doc_id: int, *, kind: str, blob: str, size: int, actor_id: int,
    at: datetime,
) -> None:  # fmt: skip
    await tx.execute(
        "INSERT INTO document_revisions (document_id, kind, blob_sha256, size,"
        " actor_id, created_at) VALUES (?,?,?,?,?,?)",
        (doc_id, kind, blob, size, actor_id, at.isoformat()),
    )


async def list_revisions(db: Reader, doc_id: int) -> list[Revision]:
    rows = await db.fetch_all(
        "SELECT kind, blob_sha256, size, actor_id, created_at FROM document_revisions"
        " WHERE document_id = ? ORDER BY id",
        (doc_id,),
    )
    return [Revision(*row) for row in rows]
