"""Write edXML packets as the national exchange's receivers expect them.

Header and body elements carry the explicit ``edXML:`` prefix (a .NET
receiver refuses them without, domain §3.1), the root and
``AttachmentEncoded`` (after the envelope) the default namespace; the
business block is spelt ``Bussiness``; dates are ``yyyy/MM/dd`` and trace
timestamps ``yyyy/MM/dd HH:mm:ss``, Vietnam time.

Everything here is plain data in, bytes out: no database, no clock.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime

from lxml import etree

from edocx.edxml.parse import NAMESPACE
from edocx.vntime import vietnam_time

BUSINESS_REASONS = {
    0: "Văn bản điện tử mới",
    1: "Thu hồi văn bản điện tử",
    2: "Cập nhật văn bản điện tử",
    3: "Thay thế văn bản điện tử",
}


@dataclass(frozen=True)
class OrganInfo:
    organ_id: str
    name: str
    address: str | None = None


@dataclass(frozen=True)
class AttachmentData:
    content_id: str
    name: str
    content_type: str
    description: str | None
    data: bytes


@dataclass(frozen=True)
class DocumentData:
    """What a document packet says, every field as it is to be written."""

    sender: OrganInfo
    recipients: tuple[OrganInfo, ...]
    document_id: str
    code_number: str
    code_notation: str
    place: str
    promulgation_date: str
    type_name: str
    subject: str
    signer_competence: str | None
    signer_position: str
    signer_name: str
    priority: int
    business_type: int
    sent_at: datetime
    attachments: tuple[AttachmentData, ...]


@dataclass(frozen=True)
class StatusData:
    sender: OrganInfo
    counterpart: str  # ResponseFor/OrganId: the agency the status is for
    code: str  # number/notation of the document answered
    promulgation_date: str
    document_id: str
    status_code: str
    description: str | None
    at: datetime


def edxml_date(at: datetime) -> str:
    """Return the Vietnam date of ``at`` as ``yyyy/MM/dd``."""
    return vietnam_time(at).strftime("%Y/%m/%d")


def edxml_timestamp(at: datetime) -> str:
    """Return ``at`` in Vietnam time as ``yyyy/MM/dd HH:mm:ss``."""
    return vietnam_time(at).strftime("%Y/%m/%d %H:%M:%S")


def _q(name: str) -> str:
    return f"{{{NAMESPACE}}}{name}"


def _add(parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, _q(name))
    if text is not None:
        element.text = text
    return element


def _skeleton() -> tuple[etree._Element, etree._Element, etree._Element]:
    """Return the root, the envelope's header and the envelope."""
    root = etree.Element(_q("edXML"), nsmap={None: NAMESPACE})
    envelope = etree.SubElement(root, _q("edXMLEnvelope"), nsmap={"edXML": NAMESPACE})
    return root, _add(envelope, "edXMLHeader"), envelope


def _organ(parent: etree._Element, name: str, organ: OrganInfo) -> None:
    element = _add(parent, name)
    _add(element, "OrganId", organ.organ_id)
    _add(element, "OrganName", organ.name)
    if organ.address:
        _add(element, "OrganAdd", organ.address)


def document_xml(doc: DocumentData) -> bytes:
    """Return the unsigned packet of a document."""
    root, header, envelope = _skeleton()
    head = _add(header, "MessageHeader")
    _organ(head, "From", doc.sender)
    for recipient in doc.recipients:
        _organ(head, "To", recipient)
    code = _add(head, "Code")
    _add(code, "CodeNumber", doc.code_number)
    _add(code, "CodeNotation", doc.code_notation)
    promulgation = _add(head, "PromulgationInfo")
    _add(promulgation, "Place", doc.place)
    _add(promulgation, "PromulgationDate", doc.promulgation_date)
    kind = _add(head, "DocumentType")
    # TODO(#5): Type 1 and 2 are not told apart in any source read (domain
    # §12); 1 is what BKAV's checker accepts for ordinary documents.
    _add(kind, "Type", "1")
    _add(kind, "TypeName", doc.type_name)
    _add(head, "Subject", doc.subject)
    signer = _add(head, "SignerInfo")
    if doc.signer_competence:
        _add(signer, "Competence", doc.signer_competence)
    _add(signer, "Position", doc.signer_position)
    _add(signer, "FullName", doc.signer_name)
    _add(_add(head, "OtherInfo"), "Priority", str(doc.priority))
    _add(head, "SteeringType", "0")
    _add(head, "DocumentId", doc.document_id)
    _traces(header, doc)
    _attachments(root, envelope, doc.attachments)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def _traces(header: etree._Element, doc: DocumentData) -> None:
    traces = _add(header, "TraceHeaderList")
    trace = _add(traces, "TraceHeader")
    _add(trace, "OrganId", doc.sender.organ_id)
    _add(trace, "Timestamp", edxml_timestamp(doc.sent_at))
    business = _add(traces, "Bussiness")
    _add(business, "BussinessDocType", str(doc.business_type))
    _add(business, "BussinessDocReason", BUSINESS_REASONS[doc.business_type])
    _add(business, "DocumentId", doc.document_id)
    _add(business, "Paper", "0")


def _attachments(
    root: etree._Element, envelope: etree._Element, items: tuple[AttachmentData, ...]
) -> None:
    manifest = _add(_add(envelope, "edXMLBody"), "edXMLManifest")
    manifest.set("version", "1.0")
    encoded = _add(root, "AttachmentEncoded")
    for item in items:
        reference = _add(manifest, "Reference")
        _add(reference, "ContentId", item.content_id)
        _add(reference, "ContentType", item.content_type)
        _add(reference, "Description", item.description or item.name)
        _add(reference, "AttachmentName", item.name)
        attachment = _add(encoded, "Attachment")
        _add(attachment, "ContentId", item.content_id)
        _add(attachment, "AttachmentName", item.name)
        _add(attachment, "Description", item.description or item.name)
        _add(attachment, "ContentType", item.content_type)
        content = base64.b64encode(item.data).decode("ascii")
        _add(attachment, "ContentTransferEncoded", content)


def status_xml(status: StatusData) -> bytes:
    """Return the unsigned packet of a status (domain §4.1)."""
    root, header, _ = _skeleton()
    head = _add(header, "MessageHeader")
    _organ(head, "From", status.sender)
    answered = _add(head, "ResponseFor")
    _add(answered, "OrganId", status.counterpart)
    _add(answered, "Code", status.code)
    _add(answered, "PromulgationDate", status.promulgation_date)
    _add(answered, "DocumentId", status.document_id)
    _add(head, "StatusCode", status.status_code)
    if status.description:
        _add(head, "Description", status.description)
    _add(head, "Timestamp", edxml_timestamp(status.at))
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
