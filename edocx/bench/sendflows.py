"""The two ways the send bench's documents go to the hub, and the receipt.

- ``edxml``: the sender's system posts a document packet (QCVN 102:2016)
  carrying the signed PDF, ``POST /api/v1/edxml``;
- ``issue``: before packets were taken in, the hub's own flow: upload as a
  draft, sign, issue.

Either way every recipient's system then downloads the PDF (01) and posts
03 (:func:`receive`).
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import aiohttp

from edocx.demo.agencies import DEMO_AGENCIES
from edocx.demo.client import HubClient
from edocx.vntime import vietnam_time

EDXML_NS = "http://www.mic.gov.vn/TBT/QCVN_102_2016"


def document_packet(pdf: bytes, sender: str, recipients: Sequence[str], seq: int,
                    *, on: datetime) -> bytes:  # fmt: skip
    """A new-document packet (QCVN 102:2016) from ``sender`` carrying ``pdf``."""
    day = f"{on:%Y/%m/%d}"
    to = "".join(
        f"<edXML:To><edXML:OrganId>{code}</edXML:OrganId>"
        f"<edXML:OrganName>Cơ quan {code}</edXML:OrganName></edXML:To>"
        for code in recipients
    )
    encoded = base64.b64encode(pdf).decode("ascii")
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<edXML:edXML xmlns:edXML="{EDXML_NS}"><edXML:edXMLEnvelope><edXML:edXMLHeader>
<edXML:MessageHeader>
<edXML:From><edXML:OrganId>{sender}</edXML:OrganId>
<edXML:OrganName>Ủy ban nhân dân tỉnh Nghệ An</edXML:OrganName></edXML:From>{to}
<edXML:DocumentId>{sender},{day},{seq}/QĐ-UBND</edXML:DocumentId>
<edXML:Code><edXML:CodeNumber>{seq}</edXML:CodeNumber>
<edXML:CodeNotation>QĐ-UBND</edXML:CodeNotation></edXML:Code>
<edXML:PromulgationInfo><edXML:Place>Nghệ An</edXML:Place>
<edXML:PromulgationDate>{day}</edXML:PromulgationDate></edXML:PromulgationInfo>
<edXML:DocumentType><edXML:Type>1</edXML:Type>
<edXML:TypeName>Quyết định</edXML:TypeName></edXML:DocumentType>
<edXML:Subject>V/v đo hiệu năng gửi văn bản số {seq}</edXML:Subject>
<edXML:SignerInfo><edXML:Competence>TM. ỦY BAN NHÂN DÂN</edXML:Competence>
<edXML:Position>Chủ tịch</edXML:Position>
<edXML:FullName>Nguyễn Văn Thành</edXML:FullName></edXML:SignerInfo>
<edXML:OtherInfo><edXML:Priority>0</edXML:Priority></edXML:OtherInfo>
</edXML:MessageHeader>
<edXML:TraceHeaderList><edXML:Bussiness>
<edXML:BussinessDocType>0</edXML:BussinessDocType>
</edXML:Bussiness></edXML:TraceHeaderList>
</edXML:edXMLHeader>
<edXML:edXMLBody><edXML:edXMLManifest version="1.0"><edXML:Reference>
<edXML:ContentId>cid:1</edXML:ContentId>
<edXML:AttachmentName>van-ban-{seq}.pdf</edXML:AttachmentName>
</edXML:Reference></edXML:edXMLManifest></edXML:edXMLBody>
</edXML:edXMLEnvelope>
<edXML:AttachmentEncoded><edXML:Attachment><edXML:ContentId>cid:1</edXML:ContentId>
<edXML:ContentTransferEncoded>{encoded}</edXML:ContentTransferEncoded>
</edXML:Attachment></edXML:AttachmentEncoded></edXML:edXML>""".encode()


def edxml_route_exists() -> bool:
    """Whether the hub takes packets (``POST /api/v1/edxml``)."""
    from edocx.web.table import ROUTES

    return any(r.method == "POST" and r.path == "/api/v1/edxml" for r in ROUTES)


# A send: the prepared payload of document ``seq`` to ``recipients``; it
# answers the document's id once the hub has routed it.
Send = Callable[[bytes, Sequence[str], int], Awaitable[str]]


def _edxml_send(http: aiohttp.ClientSession, base: str, token: str) -> Send:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/xml"}

    async def send(packet: bytes, recipients: Sequence[str], seq: int) -> str:
        key = {"Idempotency-Key": secrets.token_hex(16)}
        async with http.post(
            base + "api/v1/edxml", data=packet, headers={**headers, **key}
        ) as answer:
            body = await answer.json(content_type=None)
            if answer.status >= 300:
                raise RuntimeError(f"POST /edxml: HTTP {answer.status}: {body}")
        return _document_id(body)

    return send


def _document_id(body: dict[str, Any]) -> str:
    document = body.get("document", body)
    return str(document["id"])


def _issue_send(clerk: HubClient, signer: HubClient) -> Send:
    # The flow before edXML import: draft, personal signature, issue.
    async def send(pdf: bytes, recipients: Sequence[str], seq: int) -> str:
        header = {
            "type": "Quyết định",
            "subject": f"V/v đo hiệu năng gửi văn bản số {seq}",
            "signer": {"name": "Nguyễn Văn Thành", "position": "Chủ tịch"},
            "recipients": list(recipients),
        }
        draft = await clerk.create_draft(header, pdf, f"van-ban-{seq}.pdf")
        doc_id = str(draft["document"]["id"])
        await signer.sign(doc_id)
        await clerk.issue(doc_id)
        return doc_id

    return send


async def receive(client: HubClient, doc_id: str) -> None:
    await client.download(doc_id)
    await client.post_status(doc_id, "03")


Prepare = Callable[[bytes, Sequence[str], int], bytes]


def choose_flow(
    http: aiohttp.ClientSession, base: str, tokens: dict[str, str]
) -> tuple[Send, Prepare, str]:
    """The send of the hub as it is: edXML when the route exists, else issue."""
    if not edxml_route_exists():
        clerk = HubClient(http, base, tokens["clerk"])
        signer = HubClient(http, base, tokens["signer"])
        return _issue_send(clerk, signer), lambda pdf, _to, _seq: pdf, "issue"

    on = vietnam_time(datetime.now(UTC))

    def prepare(pdf: bytes, recipients: Sequence[str], seq: int) -> bytes:
        # Made before the clock starts: the sender's own work is not timed.
        return document_packet(pdf, DEMO_AGENCIES[0].code, recipients, seq, on=on)

    return _edxml_send(http, base, tokens["sender"]), prepare, "edxml"
