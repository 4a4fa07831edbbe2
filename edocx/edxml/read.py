"""Read the facts of an edXML packet from its parsed tree (QCVN 102:2016).

Reading is tolerant: a missing element gives ``None`` here, and the rules
(``edocx.edxml.rules``) decide whether that makes the packet unusable.
Both spellings of the business block are accepted, ``Bussiness`` (the
official samples) and ``Business`` (some vendors), as domain §11 asks.
"""

from __future__ import annotations

import base64
import binascii
import xml.etree.ElementTree as ET

from edocx.edxml.model import (
    Attachment,
    Organ,
    PacketFacts,
    PacketKind,
    Replacement,
    ResponseFor,
    SignatureState,
    UpdateInfo,
)
from edocx.edxml.parse import NAMESPACE

XMLDSIG = "http://www.w3.org/2000/09/xmldsig#"


def q(path: str) -> str:
    """Qualify each step of a slash path with the edXML namespace."""
    return "/".join(f"{{{NAMESPACE}}}{step}" for step in path.split("/"))


def text(element: ET.Element | None, path: str) -> str | None:
    """Return the stripped text at ``path``, or None when absent or empty."""
    if element is None:
        return None
    found = element.find(q(path))
    if found is None or found.text is None or not found.text.strip():
        return None
    return found.text.strip()


def header(root: ET.Element) -> ET.Element | None:
    """Return the MessageHeader of the packet."""
    return root.find(q("edXMLEnvelope/edXMLHeader/MessageHeader"))


def business(root: ET.Element) -> ET.Element | None:
    """Return the Bussiness (or Business) block of the trace list."""
    traces = root.find(q("edXMLEnvelope/edXMLHeader/TraceHeaderList"))
    if traces is None:
        return None
    return first(traces, "Bussiness", "Business")


def first(parent: ET.Element, *names: str) -> ET.Element | None:
    """Return the first child found under one of ``names``.

    NOTE: ``a or b`` is wrong on elements: an element without children is
    false.
    """
    for name in names:
        found = parent.find(q(name))
        if found is not None:
            return found
    return None


def business_text(block: ET.Element | None, name: str) -> str | None:
    """Return a ``Bussiness*`` child's text under either spelling."""
    return text(block, f"Bussiness{name}") or text(block, f"Business{name}")


def read_facts(root: ET.Element) -> PacketFacts:
    """Return what the packet says, leaving judgement to the rules."""
    head = header(root)
    kind = PacketKind.STATUS if text(head, "StatusCode") else PacketKind.DOCUMENT
    block = business(root)
    return PacketFacts(
        kind=kind,
        sender=_organ(head.find(q("From")) if head is not None else None),
        recipients=tuple(_recipients(head)),
        document_id=text(head, "DocumentId"),
        code_number=text(head, "Code/CodeNumber"),
        code_notation=text(head, "Code/CodeNotation"),
        promulgation_date=text(head, "PromulgationInfo/PromulgationDate"),
        type_name=text(head, "DocumentType/TypeName"),
        subject=text(head, "Subject"),
        business_type=_int(business_text(block, "DocType")),
        business_document_id=text(block, "DocumentId"),
        status_code=text(head, "StatusCode"),
        response_for=tuple(_response_for(head)),
        replacements=tuple(_replacements(block)),
        update=_update(block),
        attachments=tuple(read_attachments(root)),
        signature=_signature(root),
    )


def _organ(element: ET.Element | None) -> Organ | None:
    organ_id = text(element, "OrganId")
    if element is None or organ_id is None:
        return None
    return Organ(organ_id=organ_id, name=text(element, "OrganName"))


def _recipients(head: ET.Element | None) -> list[Organ]:
    if head is None:
        return []
    organs = (_organ(e) for e in head.findall(q("To")))
    return [o for o in organs if o is not None]


def _int(value: str | None) -> int | None:
    return int(value) if value is not None and value.isdigit() else None


def _response_for(head: ET.Element | None) -> list[ResponseFor]:
    if head is None:
        return []
    return [
        ResponseFor(
            organ_id=text(e, "OrganId"),
            code=text(e, "Code"),
            promulgation_date=text(e, "PromulgationDate"),
            document_id=text(e, "DocumentId"),
        )
        for e in head.findall(q("ResponseFor"))
    ]


def _replacements(block: ET.Element | None) -> list[Replacement]:
    if block is None:
        return []
    return [
        Replacement(
            document_id=text(e, "DocumentId"),
            organ_ids=tuple(
                (o.text or "").strip() for o in e.findall(q("OrganIdList/OrganId"))
            ),
        )
        for e in block.findall(q("ReplacementInfoList/ReplacementInfo"))
    ]


def _update(block: ET.Element | None) -> UpdateInfo | None:
    if block is None:
        return None
    info = first(block, "BussinessDocumentInfo", "BusinessDocumentInfo")
    if info is None:
        return None
    receivers = tuple(
        (text(r, "OrganId") or "", text(r, "ReceiverType"))
        for r in info.findall(q("ReceiverList/Receiver"))
    )
    return UpdateInfo(
        document_info=text(info, "DocumentInfo"),
        document_receiver=text(info, "DocumentReceiver"),
        receivers=receivers,
    )


def read_attachments(root: ET.Element) -> list[Attachment]:
    """Return the manifest's attachments, matched to the encoded ones by cid."""
    encoded = _encoded_by_cid(root)
    manifest = root.findall(q("edXMLEnvelope/edXMLBody/edXMLManifest/Reference"))
    attachments = []
    for reference in manifest:
        cid = text(reference, "ContentId") or ""
        content = encoded.get(cid)
        size = _decoded_size(content) if content is not None else None
        attachments.append(
            Attachment(
                content_id=cid,
                name=text(reference, "AttachmentName"),
                size=size,
                base64_valid=size is not None,
            )
        )
    return attachments


def encoded_content_ids(root: ET.Element) -> set[str]:
    """Return the content ids present under AttachmentEncoded."""
    return set(_encoded_by_cid(root))


def _encoded_by_cid(root: ET.Element) -> dict[str, str]:
    found: dict[str, str] = {}
    for attachment in root.findall(q("AttachmentEncoded/Attachment")):
        cid = text(attachment, "ContentId")
        if cid is not None:
            found[cid] = text(attachment, "ContentTransferEncoded") or ""
    return found


def _decoded_size(content: str) -> int | None:
    """Return the decoded size of base64 content, None if it is not base64."""
    compact = "".join(content.split())
    if not compact:
        return None
    try:
        return len(base64.b64decode(compact, validate=True))
    except (binascii.Error, ValueError):
        return None


def _signature(root: ET.Element) -> SignatureState:
    """Say whether the header carries a packet signature, and in which form.

    The official samples put ``Signature`` in the edXML namespace (the root's
    default) instead of XML-DSig's, so it cannot be a valid signature.
    """
    head = root.find(q("edXMLEnvelope/edXMLHeader"))
    if head is None:
        return SignatureState.ABSENT
    if head.find(q("Signature")) is not None:
        return SignatureState.BROKEN
    if head.find(f"{{{XMLDSIG}}}Signature") is not None:
        return SignatureState.UNVERIFIED
    return SignatureState.ABSENT
