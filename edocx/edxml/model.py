"""What an edXML packet says, and what the reader found wrong with it."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any


class PacketKind(StrEnum):
    """The two message types of the exchange (domain §2): edoc and status."""

    DOCUMENT = "document"
    STATUS = "status"


class SignatureState(StrEnum):
    """The packet-level signature as read (its check is a warning only)."""

    ABSENT = "absent"
    BROKEN = "broken"  # a Signature element outside XML-DSig's namespace
    UNVERIFIED = "unverified"  # an XML-DSig signature not checked yet
    VALID = "valid"
    INVALID = "invalid"


@dataclass(frozen=True)
class Organ:
    """An agency named in a packet: its QCVN 102 code and its name."""

    organ_id: str
    name: str | None = None


@dataclass(frozen=True)
class ResponseFor:
    """The document a packet answers (a status, or a revocation's target)."""

    organ_id: str | None
    code: str | None
    promulgation_date: str | None
    document_id: str | None


@dataclass(frozen=True)
class Attachment:
    """An attachment of the manifest and what its encoded content holds."""

    content_id: str
    name: str | None
    size: int | None
    base64_valid: bool


@dataclass(frozen=True)
class Replacement:
    """Which old document a replacement packet replaces, for which agencies."""

    document_id: str | None
    organ_ids: tuple[str, ...]


@dataclass(frozen=True)
class UpdateInfo:
    """The flags and receiver list of an update packet (business type 2)."""

    document_info: str | None
    document_receiver: str | None
    receivers: tuple[tuple[str, str | None], ...]


@dataclass(frozen=True)
class Finding:
    """One error or warning: a stable code, a sentence, and where it is."""

    code: str
    message: str
    where: str | None = None


@dataclass(frozen=True)
class PacketFacts:
    """The facts an importer reads from a packet, whatever else is wrong."""

    kind: PacketKind
    sender: Organ | None = None
    recipients: tuple[Organ, ...] = ()
    document_id: str | None = None
    code_number: str | None = None
    code_notation: str | None = None
    promulgation_date: str | None = None
    type_name: str | None = None
    subject: str | None = None
    business_type: int | None = None
    business_document_id: str | None = None
    status_code: str | None = None
    response_for: tuple[ResponseFor, ...] = ()
    replacements: tuple[Replacement, ...] = ()
    update: UpdateInfo | None = None
    attachments: tuple[Attachment, ...] = ()
    signature: SignatureState = SignatureState.ABSENT
    # The signer's certificate subject when valid, else why it is not.
    signature_detail: str | None = None


@dataclass(frozen=True)
class PacketReport:
    """The facts of a packet with its errors and warnings."""

    facts: PacketFacts | None
    errors: tuple[Finding, ...] = ()
    warnings: tuple[Finding, ...] = ()

    @property
    def usable(self) -> bool:
        """Tell whether an importer may read and route the packet."""
        return self.facts is not None and not self.errors

    def usable_under(self, *, strict: bool) -> bool:
        """Tell whether the packet is usable, warnings counting under strict."""
        return self.usable and not (strict and self.warnings)

    def to_json(self) -> dict[str, Any]:
        """Return the report as plain JSON-ready data."""
        return {
            "usable": self.usable,
            "facts": asdict(self.facts) if self.facts else None,
            "errors": [asdict(f) for f in self.errors],
            "warnings": [asdict(f) for f in self.warnings],
        }
