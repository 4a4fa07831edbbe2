"""Value objects read from the database, and the closed lists they use."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    """What a user of the hub may do (one role per user)."""

    SIGNER = "signer"  # the competent person: signs drafts personally
    CLERK = "clerk"  # numbers, seals, sends, receives, answers statuses
    CERTIFIER = "certifier"  # certifies copies
    SYSTEM = "system"  # an agency's document system: pull, push, statuses
    AUDITOR = "auditor"  # reads every agency's metadata and the audit log
    ADMIN = "admin"  # the hub's operator: agencies, keys, tokens


class DocumentState(StrEnum):
    DRAFT = "draft"
    SIGNED = "signed"
    ISSUED = "issued"
    RELAYED = "relayed"  # numbered and signed by the agency's own system (edXML)


class NumberState(StrEnum):
    RESERVED = "reserved"
    ISSUED = "issued"
    VOIDED = "voided"


@dataclass(frozen=True)
class Agency:
    id: int
    organ_id: str
    name: str
    abbreviation: str
    place: str
    seal_credential: str | None


@dataclass(frozen=True)
class User:
    id: int
    agency_id: int | None
    organ_id: str | None
    display_name: str
    role: Role
    position: str | None
    credential_label: str | None


@dataclass(frozen=True)
class Document:
    id: int
    uuid: str
    agency_id: int
    organ_id: str
    state: DocumentState
    type_name: str
    type_abbreviation: str | None
    drafting_unit: str | None
    subject: str
    signer_name: str
    signer_position: str
    signer_competence: str | None
    priority: int
    current_blob: str
    number: int | None
    code_notation: str | None
    notation: str | None
    year: int | None
    issued_at: str | None
    edxml_document_id: str | None
    created_at: str
    updated_at: str
    recipients: tuple[str, ...]
    # Relayed documents only: the packet's CodeNumber as written, its
    # promulgation date, business type, digest and the reader's warnings.
    code_number: str | None = None
    promulgation_date: str | None = None
    business_type: int = 0
    packet_blob: str | None = None
    warnings_json: str | None = None


@dataclass(frozen=True)
class Delivery:
    id: int
    document_id: int
    recipient_agency_id: int
    recipient_organ_id: str
    progress_status: str | None
    change_status: str | None
    last_status: str | None
    last_status_at: str | None
    created_at: str
    # The life-cycle: the time the current state was reported,
    # the kind of the last change request, an accepted recall or update,
    # a replacement, and the number of the recipient's incoming book.
    state_reported_at: str | None = None
    change_kind: str | None = None
    cancelled_at: str | None = None
    update_applied_at: str | None = None
    replaced_by: str | None = None  # uuid of the replacing document
    replaced_at: str | None = None
    incoming_year: int | None = None
    incoming_number: int | None = None


@dataclass(frozen=True)
class StatusEntry:
    code: str
    at: str
    organ_id: str
    actor_id: int | None  # None: recorded by the hub itself
    description: str | None
    outcome: str = "applied"  # applied, repeat or late
    reported_at: str | None = None
    change_kind: str | None = None


@dataclass(frozen=True)
class NumberEntry:
    agency_id: int
    year: int
    number: int
    document_id: int
    state: NumberState
    reason: str | None
    reserved_at: str
    settled_at: str | None
