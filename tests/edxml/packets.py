"""Small edXML packets made in the tests, clean unless told otherwise."""

from __future__ import annotations

import base64

NS = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
PAYLOAD = b"%PDF-1.7 test payload\n"


def document_packet(
    *,
    doctype: str = "",
    root: str = f'<edXML xmlns="{NS}">',
    subject: str = "V/v thử nghiệm",
    priority: str = "0",
    business_type: str = "0",
    recipients: tuple[str, ...] = ("000.00.00.H41",),
    encoded: str | None = None,
    body: str = "",
) -> bytes:
    """Return a document packet; each argument spoils one part of it."""
    to = "".join(
        f"<edXML:To><edXML:OrganId>{r}</edXML:OrganId>"
        f"<edXML:OrganName>UBND</edXML:OrganName></edXML:To>"
        for r in recipients
    )
    content = base64.b64encode(PAYLOAD).decode() if encoded is None else encoded
    subject_element = f"<edXML:Subject>{subject}</edXML:Subject>" if subject else ""
    return f"""<?xml version="1.0" encoding="UTF-8"?>{doctype}
{root}<edXML:edXMLEnvelope xmlns:edXML="{NS}"><edXML:edXMLHeader>
<edXML:MessageHeader>
<edXML:From><edXML:OrganId>000.00.00.G22</edXML:OrganId>
<edXML:OrganName>Văn phòng Chính phủ</edXML:OrganName></edXML:From>{to}
<edXML:DocumentId>000.00.00.G22,2024/03/05,12/VPCP-TTĐT</edXML:DocumentId>
<edXML:Code><edXML:CodeNumber>12</edXML:CodeNumber>
<edXML:CodeNotation>VPCP-TTĐT</edXML:CodeNotation></edXML:Code>
<edXML:PromulgationInfo><edXML:PromulgationDate>2024/03/05</edXML:PromulgationDate>
</edXML:PromulgationInfo>{subject_element}{body}
<edXML:OtherInfo><edXML:Priority>{priority}</edXML:Priority></edXML:OtherInfo>
</edXML:MessageHeader>
<edXML:TraceHeaderList><edXML:Bussiness>
<edXML:BussinessDocType>{business_type}</edXML:BussinessDocType>
</edXML:Bussiness></edXML:TraceHeaderList>
</edXML:edXMLHeader>
<edXML:edXMLBody><edXML:edXMLManifest version="1.0"><edXML:Reference>
<edXML:ContentId>cid:1</edXML:ContentId>
<edXML:AttachmentName>a.pdf</edXML:AttachmentName>
</edXML:Reference></edXML:edXMLManifest></edXML:edXMLBody>
</edXML:edXMLEnvelope>
<AttachmentEncoded><Attachment><ContentId>cid:1</ContentId>
<ContentTransferEncoded>{content}</ContentTransferEncoded></Attachment>
</AttachmentEncoded></edXML>""".encode()
