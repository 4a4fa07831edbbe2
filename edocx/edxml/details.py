"""What an importer keeps of a usable packet beyond the reader's facts.

The header fields a relayed document is stored with, the decoded
attachments, and the secrecy mark. QCVN 102:2016 names no element for the
mark in the samples; an integrator's public code writes the document's
secrecy level ("Mức độ mật") as ``OtherInfo/Secret``, so that is where it
is read. Any value there other than a plain "no mark" is taken as a mark:
a document that might be a state secret is not carried.
"""

from __future__ import annotations

import base64
import unicodedata
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from edocx.edxml.read import business, business_text, header, q, text

# Values of OtherInfo/Secret that say "no mark" (folded: no accents, lower).
_NOT_SECRET = frozenset({"", "0", "thuong", "binh thuong", "khong", "khong mat"})


@dataclass(frozen=True)
class DecodedAttachment:
    content_id: str
    name: str | None
    content_type: str | None
    description: str | None
    data: bytes

    @property
    def is_pdf(self) -> bool:
        return self.data.startswith(b"%PDF-") or self.content_type == "application/pdf"


@dataclass(frozen=True)
class PacketDetails:
    secret_mark: str | None
    type_name: str | None
    signer_name: str | None
    signer_position: str | None
    signer_competence: str | None
    priority: int
    reason: str | None
    description: str | None
    timestamp: str | None
    attachments: tuple[DecodedAttachment, ...]


def read_details(root: ET.Element) -> PacketDetails:
    """Return the details of a packet the rules found usable."""
    head = header(root)
    priority = text(head, "OtherInfo/Priority") or "0"
    return PacketDetails(
        secret_mark=_secret_mark(text(head, "OtherInfo/Secret")),
        type_name=text(head, "DocumentType/TypeName"),
        signer_name=text(head, "SignerInfo/FullName"),
        signer_position=text(head, "SignerInfo/Position"),
        signer_competence=text(head, "SignerInfo/Competence"),
        priority=int(priority) if priority.isdigit() and int(priority) < 5 else 0,
        reason=business_text(business(root), "DocReason"),
        description=text(head, "Description"),
        timestamp=text(head, "Timestamp"),
        attachments=tuple(_attachments(root)),
    )


def _secret_mark(value: str | None) -> str | None:
    if value is None:
        return None
    decomposed = unicodedata.normalize("NFD", value.replace("đ", "d").replace("Đ", "D"))
    folded = "".join(c for c in decomposed if not unicodedata.combining(c))
    return None if " ".join(folded.lower().split()) in _NOT_SECRET else value


def _attachments(root: ET.Element) -> list[DecodedAttachment]:
    encoded = {
        text(a, "ContentId"): a for a in root.findall(q("AttachmentEncoded/Attachment"))
    }
    found = []
    for reference in root.findall(q("edXMLEnvelope/edXMLBody/edXMLManifest/Reference")):
        cid = text(reference, "ContentId") or ""
        content = encoded[cid]
        data = base64.b64decode(
            "".join((text(content, "ContentTransferEncoded") or "").split())
        )
        found.append(
            DecodedAttachment(
                content_id=cid,
                name=text(reference, "AttachmentName")
                or text(content, "AttachmentName"),
                content_type=text(reference, "ContentType")
                or text(content, "ContentType"),
                description=text(reference, "Description"),
                data=data,
            )
        )
    return found
