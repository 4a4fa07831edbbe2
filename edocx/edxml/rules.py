"""Judge an edXML packet: errors make it unusable, warnings travel with it.

Errors (domain §10.5): another namespace, a required field missing, a value
outside its code list, an attachment missing or not base64 or named as a
path or a device (edocx.filenames), a field over its length. Warnings are
the inconsistencies the official samples themselves carry (domain §10.4):
a DocumentId that disagrees with the header, an impossible date, a
non-numeric CodeNumber, an agency code not of four groups, the broken
packet signature. Strict mode, applied by the
caller, turns warnings into refusals.
"""

from __future__ import annotations

import logging
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime

from edocx.edxml.model import (
    Finding,
    PacketFacts,
    PacketKind,
    PacketReport,
    SignatureState,
)
from edocx.edxml.parse import MAX_BYTES, NAMESPACE, PacketParseError, parse_packet
from edocx.edxml.read import encoded_content_ids, header, q, read_facts, text
from edocx.edxml.xmldsig import verify_packet
from edocx.exchange.header import refuse_invisible
from edocx.filenames import unsafe_file_name
from edocx.vntime import vietnam_time

logger = logging.getLogger(__name__)

STATUS_CODES = frozenset({"01", "02", "03", "04", "05", "06", "13", "15", "16"})
BUSINESS_TYPES = range(4)
PRIORITIES = range(5)
STEERING_TYPES = range(3)

# Intended limits of domain §3.2 (BKAV's checker), per header path.
MAX_LENGTHS = {
    "From/OrganName": 200,
    "From/OrganAdd": 500,
    "From/Email": 100,
    "From/Telephone": 20,
    "From/Fax": 20,
    "Code/CodeNotation": 30,
    "DocumentType/TypeName": 100,
    "Subject": 500,
    "Content": 500,
    "OtherInfo/SphereOfPromulgation": 100,
    "OtherInfo/TyperNotation": 10,
}
MAX_REPEATED_LENGTHS = {
    "To/OrganName": 200,
    "To/OrganAdd": 500,
    "To/Email": 100,
    "To/Telephone": 20,
    "To/Fax": 20,
    "ToPlaces/Place": 150,
    "OtherInfo/Appendixes/Appendix": 250,
}

_DATE = re.compile(r"^(\d{4})/(\d{2})/(\d{2})$")


def check_packet(
    data: bytes, *, max_bytes: int = MAX_BYTES, today: date | None = None
) -> PacketReport:
    """Parse and judge a packet; raise PacketParseError if it is not XML.

    ``today`` is the Vietnam date a promulgation date may not be after (by
    default the date now: a packet is judged when it arrives).

    Steps: 1. parse safely; 2. check the root; 3. read the facts and check
    an XML-DSig packet signature; 4. collect errors; 5. collect warnings.
    """
    # 1. Hostile or broken XML stops here (the caller tells them apart).
    root = parse_packet(data, max_bytes=max_bytes)
    return judge_packet(root, data, today=today)


def judge_packet(
    root: ET.Element, data: bytes, *, today: date | None = None
) -> PacketReport:
    """Judge a packet already parsed by :func:`parse_packet` (steps 2 to 5)."""
    # 2. Nothing else is worth reading in a packet of another vocabulary.
    if root.tag != f"{{{NAMESPACE}}}edXML":
        found = Finding("wrong-namespace", f"root element is {root.tag}, not edXML")
        return PacketReport(facts=None, errors=(found,))

    # 3-5. The signature holds over the whole packet or not at all; who
    # signed is reported, not judged here (see known issues).
    facts = read_facts(root)
    if facts.signature is SignatureState.UNVERIFIED:
        check = verify_packet(data)
        facts = replace(
            facts,
            signature=SignatureState.VALID if check.valid else SignatureState.INVALID,
            signature_detail=check.signer if check.valid else check.reason,
        )
    today = today or vietnam_time(datetime.now(UTC)).date()
    errors = tuple(_errors(root, facts, today))
    warnings = tuple(_warnings(facts))
    logger.info(
        "edXML packet %s from %s read: %d errors, %d warnings",
        facts.document_id or _answered_id(facts),
        facts.sender.organ_id if facts.sender else None,
        len(errors),
        len(warnings),
    )
    return PacketReport(facts=facts, errors=errors, warnings=warnings)


def _answered_id(facts: PacketFacts) -> str | None:
    return facts.response_for[0].document_id if facts.response_for else None


def _errors(root: ET.Element, facts: PacketFacts, today: date) -> Iterator[Finding]:
    head = header(root)
    if head is None:
        yield Finding("missing-field", "the packet has no MessageHeader")
        return
    yield from _missing(head, ["From/OrganId"])
    if facts.kind is PacketKind.STATUS:
        yield from _status_errors(head, facts)
    else:
        yield from _document_errors(head, facts, today)
        yield from _attachment_errors(root, facts)
    yield from _length_errors(head)
    yield from _character_errors(root)


def _missing(head: ET.Element, paths: list[str]) -> Iterator[Finding]:
    for path in paths:
        if text(head, path) is None:
            yield Finding("missing-field", f"{path} is missing or empty", path)


def _status_errors(head: ET.Element, facts: PacketFacts) -> Iterator[Finding]:
    yield from _missing(head, ["ResponseFor/DocumentId", "Timestamp"])
    if facts.status_code not in STATUS_CODES:
        yield Finding(
            "code-list", f"StatusCode {facts.status_code} is not a known status",
            "StatusCode",
        )  # fmt: skip


def _document_errors(
    head: ET.Element, facts: PacketFacts, today: date
) -> Iterator[Finding]:
    yield from _missing(
        head,
        ["From/OrganName", "DocumentId", "Code/CodeNumber", "Code/CodeNotation",
         "PromulgationInfo/PromulgationDate", "Subject"],
    )  # fmt: skip
    if not head.findall(q("To")):
        yield Finding("missing-field", "the packet names no recipient (To)", "To")
    ids = [organ.organ_id for organ in facts.recipients]
    if len(ids) != len(set(ids)):
        yield Finding("duplicate-recipient", "a recipient is named twice", "To")
    yield from _promulgation_date(facts.promulgation_date, today)
    yield from _code_lists(head, facts)


def _promulgation_date(date_text: str | None, today: date) -> Iterator[Finding]:
    if date_text is None:
        return
    when = _real_date(date_text)
    where = "PromulgationInfo/PromulgationDate"
    if when is None:
        yield Finding(
            "bad-date", f"PromulgationDate {date_text} is not a yyyy/MM/dd date", where
        )
    elif when > today:
        # A document cannot have been issued after it arrived (Vietnam date).
        yield Finding(
            "date-in-future",
            f"PromulgationDate {date_text} is after today ({today:%Y/%m/%d})",
            where,
        )


def _code_lists(head: ET.Element, facts: PacketFacts) -> Iterator[Finding]:
    if facts.business_type not in BUSINESS_TYPES:
        yield Finding(
            "code-list", "BussinessDocType is missing or not 0 to 3",
            "TraceHeaderList/Bussiness/BussinessDocType",
        )  # fmt: skip
    for path, allowed in (
        ("OtherInfo/Priority", PRIORITIES),
        ("SteeringType", STEERING_TYPES),
    ):
        value = text(head, path)
        if value is not None and not (value.isdigit() and int(value) in allowed):
            yield Finding("code-list", f"{path} {value} is outside its code list", path)


def _attachment_errors(root: ET.Element, facts: PacketFacts) -> Iterator[Finding]:
    present = encoded_content_ids(root)
    for attachment in facts.attachments:
        cid = attachment.content_id
        if cid not in present:
            yield Finding(
                "attachment-missing", f"attachment {cid} has no encoded content", cid
            )
        elif not attachment.base64_valid:
            yield Finding(
                "attachment-not-base64", f"attachment {cid} is not valid base64", cid
            )
    yield from _attachment_name_errors(root)


def _attachment_name_errors(root: ET.Element) -> Iterator[Finding]:
    # Recipients' systems may save an attachment under its name: a path, a
    # device name or a hidden character there is refused before it travels
    # (in the manifest and under AttachmentEncoded alike).
    for element in root.iter(f"{{{NAMESPACE}}}AttachmentName"):
        reason = unsafe_file_name(element.text or "")
        if reason is not None:
            yield Finding(
                "attachment-name-unsafe",
                f"AttachmentName {element.text!r}: {reason}",
                "AttachmentName",
            )


def _length_errors(head: ET.Element) -> Iterator[Finding]:
    for path, limit in MAX_LENGTHS.items():
        value = text(head, path)
        if value is not None and len(value) > limit:
            yield _too_long(path, limit)
    for path, limit in MAX_REPEATED_LENGTHS.items():
        for element in head.findall(q(path)):
            if len((element.text or "").strip()) > limit:
                yield _too_long(path, limit)


# The attachment's base64 is checked as base64.
_UNCHECKED_TEXT = frozenset({"ContentTransferEncoded"})
_LINE_BREAKS = frozenset("\r\n\t")
# Texts that may span lines: free text, and base64 in a packet signature.
_MULTI_LINE = frozenset({
    "Subject", "Content", "Description", "BussinessDocReason",
    "BusinessDocReason", "OrganAdd", "Place", "Appendix", "SphereOfPromulgation",
    "SignatureValue", "X509Certificate", "DigestValue", "X509SubjectName",
})  # fmt: skip


def _character_errors(root: ET.Element) -> Iterator[Finding]:
    # Control and invisible format characters (bidi overrides, zero-width
    # marks) are refused in every text, and line breaks in one-line values,
    # as in a draft's header: they let a notation or a file name read
    # differently from what it is.
    for element in root.iter():
        name = element.tag.rpartition("}")[2]
        value = element.text
        if not value or name in _UNCHECKED_TEXT:
            continue
        one_line = len(element) == 0 and name not in _MULTI_LINE
        try:
            refuse_invisible(
                value.strip() if one_line else value,
                allowed=frozenset() if one_line else _LINE_BREAKS,
            )
        except ValueError as e:
            yield Finding("invisible-character", f"{name}: {e}", name)


def _too_long(path: str, limit: int) -> Finding:
    return Finding("too-long", f"{path} is longer than {limit} characters", path)


def _warnings(facts: PacketFacts) -> Iterator[Finding]:
    if facts.kind is PacketKind.DOCUMENT:
        yield from _document_id_warnings(facts)
        number = facts.code_number
        if number is not None and not number.isdigit():
            yield Finding(
                "code-number-not-numeric", f"CodeNumber {number} is not a number",
                "Code/CodeNumber",
            )  # fmt: skip
    else:
        yield from _response_for_warnings(facts)
    yield from _organ_id_warnings(facts)
    yield from _impossible_dates(facts)
    if facts.signature is SignatureState.BROKEN:
        yield Finding(
            "packet-signature-invalid",
            "the packet Signature is not an XML-DSig signature (wrong namespace)",
            "edXMLHeader/Signature",
        )
    elif facts.signature is SignatureState.INVALID:
        yield Finding(
            "packet-signature-invalid",
            f"the packet's XML-DSig signature does not hold: {facts.signature_detail}",
            "edXMLHeader/Signature",
        )


def split_document_id(document_id: str) -> tuple[str, str, str] | None:
    """Split ``{OrganId},{yyyy/MM/dd},{number}/{notation}`` into its parts."""
    parts = document_id.split(",")
    if len(parts) != 3:
        return None
    return parts[0].strip(), parts[1].strip(), parts[2].strip()


def _document_id_warnings(facts: PacketFacts) -> Iterator[Finding]:
    if facts.document_id is None:
        return
    parts = split_document_id(facts.document_id)
    if parts is None:
        yield Finding(
            "document-id-form",
            f"DocumentId {facts.document_id} is not OrganId,date,number/notation",
            "DocumentId",
        )
        return
    organ, when, code = parts
    header_says = {
        "agency": (organ, facts.sender.organ_id if facts.sender else None),
        "date": (when, facts.promulgation_date),
        "number and notation": (code, f"{facts.code_number}/{facts.code_notation}"),
    }
    differing = [
        name
        for name, (got, want) in header_says.items()
        if want is not None and got != want
    ]
    if differing:
        yield Finding(
            "document-id-mismatch",
            f"DocumentId {facts.document_id} differs from the header in its "
            + ", ".join(differing),
            "DocumentId",
        )


def _response_for_warnings(facts: PacketFacts) -> Iterator[Finding]:
    for answered in facts.response_for:
        parts = split_document_id(answered.document_id or "")
        when = answered.promulgation_date
        if parts is not None and when is not None and parts[1] != when:
            yield Finding(
                "response-for-date",
                f"ResponseFor PromulgationDate {when} differs from the date in "
                f"its DocumentId {answered.document_id}",
                "ResponseFor/PromulgationDate",
            )


def _organ_id_warnings(facts: PacketFacts) -> Iterator[Finding]:
    organs = [facts.sender, *facts.recipients]
    organ_ids = [o.organ_id for o in organs if o is not None]
    organ_ids += [r.organ_id for r in facts.response_for if r.organ_id]
    for organ_id in dict.fromkeys(organ_ids):
        if len(organ_id.split(".")) != 4:
            yield Finding(
                "organ-id-groups",
                f"agency code {organ_id} has {len(organ_id.split('.'))} groups, "
                "not four",
                "OrganId",
            )


def _impossible_dates(facts: PacketFacts) -> Iterator[Finding]:
    ids = [facts.document_id, facts.business_document_id]
    ids += [r.document_id for r in facts.response_for]
    ids += [r.document_id for r in facts.replacements]
    for document_id in dict.fromkeys(i for i in ids if i):
        parts = split_document_id(document_id)
        if parts and _DATE.match(parts[1]) and _real_date(parts[1]) is None:
            yield Finding(
                "impossible-date",
                f"DocumentId {document_id} holds the impossible date {parts[1]}",
                "DocumentId",
            )


def _real_date(value: str) -> date | None:
    """Return the date of a ``yyyy/MM/dd`` string, None if it is no date."""
    match = _DATE.match(value)
    if match is None:
        return None
    try:
        return date(*(int(g) for g in match.groups()))
    except ValueError:
        return None


__all__ = ["PacketParseError", "check_packet", "judge_packet", "split_document_id"]
