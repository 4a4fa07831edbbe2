"""Request and response bodies of the API, as pydantic models.

Times are ISO 8601 in Vietnam time (UTC+07:00), the legal time of the
documents; numbers are written with at least two digits.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from edocx.exchange.compute import SignedDocument
from edocx.exchange.numbering import format_number
from edocx.store.models import Delivery, Document, StatusEntry, User
from edocx.vntime import vietnam_time

StatusCodeText = Literal["01", "02", "03", "04", "05", "06", "13", "15", "16"]


def legal_time(stamp: str | None) -> str | None:
    """Render a stored UTC time in Vietnam time."""
    if stamp is None:
        return None
    return vietnam_time(datetime.fromisoformat(stamp)).isoformat()


class SignerOut(BaseModel):
    name: str
    position: str
    competence: str | None


class DocumentOut(BaseModel):
    id: str
    agency: str = Field(description="organ id of the issuing agency")
    state: Literal["draft", "signed", "issued", "relayed"]
    type: str
    type_abbreviation: str | None
    subject: str
    signer: SignerOut
    priority: int
    recipients: list[str]
    number: str | None
    notation: str | None
    issued_at: str | None
    edxml_document_id: str | None
    sha256: str = Field(description="SHA-256 of the current PDF")
    created_at: str
    updated_at: str

    @classmethod
    def of(cls, doc: Document) -> DocumentOut:
        return cls(
            id=doc.uuid, agency=doc.organ_id, state=doc.state.value,
            type=doc.type_name, type_abbreviation=doc.type_abbreviation,
            subject=doc.subject,
            signer=SignerOut(name=doc.signer_name, position=doc.signer_position,
                             competence=doc.signer_competence),
            priority=doc.priority, recipients=list(doc.recipients),
            number=None if doc.number is None else format_number(doc.number),
            notation=doc.notation, issued_at=legal_time(doc.issued_at),
            edxml_document_id=doc.edxml_document_id, sha256=doc.current_blob,
            created_at=legal_time(doc.created_at) or "",
            updated_at=legal_time(doc.updated_at) or "",
        )  # fmt: skip


class SignedDocumentOut(DocumentOut):
    """A document just signed or sealed, with the PAdES level of that act."""

    level: Literal["B-B", "B-T", "B-LT", "B-LTA"] = Field(
        description="PAdES baseline level of the signature just made"
    )
    requested_level: Literal["B-B", "B-T", "B-LT", "B-LTA"] = Field(
        description="the level the configuration asks for"
    )
    downgraded: bool = Field(
        description="made at B-B because no TSA answered "
        "(signing.allow_downgrade_to_bb)"
    )
    warnings: list[str]

    @classmethod
    def of_signed(cls, signed: SignedDocument) -> SignedDocumentOut:
        base = DocumentOut.of(signed.document).model_dump()
        return cls(
            **base, level=signed.level.value, requested_level=signed.requested.value,
            downgraded=signed.downgraded, warnings=list(signed.warnings),
        )  # fmt: skip


class DraftOut(BaseModel):
    document: DocumentOut
    warnings: list[str]
    existing_signatures: dict[str, Any] | None = Field(
        description="report on signatures the upload already carried"
    )


class DocumentList(BaseModel):
    items: list[DocumentOut]


class DeliveryOut(BaseModel):
    recipient: str
    status: StatusCodeText | None = Field(description="latest status code")
    status_at: str | None
    progress: StatusCodeText | None
    change: StatusCodeText | None

    @classmethod
    def of(cls, delivery: Delivery) -> DeliveryOut:
        return cls.model_validate(
            {
                "recipient": delivery.recipient_organ_id,
                "status": delivery.last_status,
                "status_at": legal_time(delivery.last_status_at),
                "progress": delivery.progress_status,
                "change": delivery.change_status,
            }
        )


class StatusEntryOut(BaseModel):
    code: StatusCodeText
    at: str
    agency: str
    description: str | None

    @classmethod
    def of(cls, entry: StatusEntry) -> StatusEntryOut:
        return cls.model_validate(
            {
                "code": entry.code,
                "at": legal_time(entry.at),
                "agency": entry.organ_id,
                "description": entry.description,
            }
        )


class ReportOut(BaseModel):
    context: str
    sha256: str
    verdict: str
    report: dict[str, Any]
    created_at: str


class ReportsOut(BaseModel):
    items: list[ReportOut]


class VerifyQuery(BaseModel):
    """How POST /verify answers: the report as JSON (default), HTML or text."""

    model_config = ConfigDict(extra="forbid")

    format: Literal["json", "html", "text"] | None = None


class MeOut(BaseModel):
    id: int
    display_name: str
    role: str
    agency: str | None

    @classmethod
    def of(cls, user: User) -> MeOut:
        return cls(id=user.id, display_name=user.display_name,
                   role=user.role.value, agency=user.organ_id)  # fmt: skip


class AuditEventOut(BaseModel):
    seq: int
    at: str
    actor: int | None
    agency: int | None
    action: str
    object_type: str
    object_id: str
    content_sha256: str | None
    details: dict[str, Any] | None


class AuditEventsOut(BaseModel):
    items: list[AuditEventOut]
    next_after: int = Field(description="pass as 'after' to read on")


# SQLite integers are signed 64-bit: a larger one overflows in the query.
SQL_INT_MAX = 2**63 - 1


class AuditQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    after: int = Field(default=0, ge=0, le=SQL_INT_MAX)
    limit: int = Field(default=100, ge=1, le=1000)
    object_id: str | None = None


class DocumentsQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    state: Literal["draft", "signed", "issued", "relayed"] | None = None
