"""What a push message carries: a document or a status for one agency.

The body is the edXML packet (QCVN 102:2016) as the recipient would fetch
it, signed by the hub (:mod:`edocx.edxml.export`): for a document, the
packet its recipient receives; for a status, the status packet.
"""

from __future__ import annotations

from dataclasses import dataclass

from edocx.edxml import export
from edocx.exchange.hub import Hub
from edocx.store import push
from edocx.store.push import Message, MessageKind

MEDIA_TYPE = "application/xml"


@dataclass(frozen=True)
class Body:
    content: bytes
    content_type: str
    document_uuid: str


class MessageGoneError(LookupError):
    """The message's delivery is no longer in the database."""


async def build_body(hub: Hub, message: Message) -> Body:
    """Return the body of ``message`` (read only; no write transaction)."""
    async with hub.db.read() as reader:
        found = await push.delivery_document(reader, message.delivery_id)
    if found is None:
        raise MessageGoneError(message.message_id)
    uuid = found[1]

    if message.kind is MessageKind.DOCUMENT:
        packet = await export.document_packet(hub, uuid, recipient=message.organ_id)
    else:
        assert message.status_id is not None
        packet = await export.status_packet(hub, message.status_id)
    return Body(packet, MEDIA_TYPE, uuid)
