"""Routing after issue: inboxes, outboxes, downloads and statuses.

A recipient's document system (or clerk) fetching the PDF for the first
time records status 01 (arrived) at once, as Decree 30/2020 Art. 21 wants
receipt acknowledged the same day. An auditor reading a document's content
is itself recorded in the audit log. Both are recorded by
:func:`acknowledge`, once the answer carrying the PDF is ready to be sent,
so that a download that fails before that records nothing.

A status is refused unless it records something: a document without
deliveries (a draft, a signed document) has no status to change, and a
recipient answers for its own delivery only.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from edocx.audit.events import record_event
from edocx.exchange.access import Access, Party, open_document
from edocx.exchange.errors import (
    ActionNotAllowedError,
    DocumentStateError,
    RecipientUnknownError,
)
from edocx.exchange.hub import Hub
from edocx.exchange.statuses import (
    Position,
    StatusCode,
    check_description,
    next_position,
)
from edocx.store import deliveries
from edocx.store.db import Reader, Tx
from edocx.store.deliveries import NewStatus
from edocx.store.documents import get_document_by_id, list_documents
from edocx.store.models import (
    Delivery,
    Document,
    DocumentState,
    Role,
    StatusEntry,
    User,
)

logger = logging.getLogger(__name__)

# Receiving roles whose download is the agency's receipt of the document.
_RECEIVING_ROLES = frozenset({Role.SYSTEM, Role.CLERK})


@dataclass(frozen=True)
class InboxItem:
    document: Document
    delivery: Delivery


@dataclass(frozen=True)
class OutboxItem:
    document: Document
    deliveries: tuple[Delivery, ...]


@dataclass(frozen=True)
class Download:
    """A document's current PDF as handed to one user, not yet acknowledged."""

    user: User
    access: Access
    pdf: bytes

    @property
    def document(self) -> Document:
        return self.access.document


async def inbox(hub: Hub, user: User) -> list[InboxItem]:
    """Return the documents delivered to ``user``'s agency, newest first."""
    if user.agency_id is None:
        return []
    async with hub.db.read() as reader:
        items = []
        for delivery in await deliveries.list_for_recipient(reader, user.agency_id):
            document = await get_document_by_id(reader, delivery.document_id)
            assert document is not None
            items.append(InboxItem(document, delivery))
    return items


async def outbox(hub: Hub, user: User) -> list[OutboxItem]:
    """Return the documents ``user``'s agency issued, each recipient's status."""
    if user.agency_id is None:
        return []
    async with hub.db.read() as reader:
        issued = await list_documents(
            reader, agency_id=user.agency_id, state=DocumentState.ISSUED
        )
        return [
            OutboxItem(doc, tuple(await deliveries.list_for_document(reader, doc.id)))
            for doc in issued
        ]


async def download(hub: Hub, user: User, uuid: str) -> Download:
    """Return the document's current PDF; nothing is recorded yet."""
    async with hub.db.read() as reader:
        access = await open_document(reader, user, uuid)
    pdf = await hub.blobs.get(access.document.current_blob)
    return Download(user, access, pdf)


async def acknowledge(hub: Hub, got: Download, *, at: datetime) -> bool:
    """Record what handing out ``got`` means; return True when 01 was recorded.

    Call it once the answer is ready to be sent. A recipient's first
    download records 01 (arrived); later ones record nothing. An auditor's
    download is recorded in the audit log.
    """
    user, access = got.user, got.access
    if access.party is Party.RECIPIENT and user.role in _RECEIVING_ROLES:
        return await _record_arrival(hub, user, access, at)
    if access.party is Party.AUDITOR:
        async with hub.db.write() as tx:
            await record_event(
                tx, at=at, actor=user.id, agency=None, action="document.read",
                object_type="document", object_id=access.document.uuid,
                content_sha256=access.document.current_blob,
            )  # fmt: skip
    return False


async def _record_arrival(hub: Hub, user: User, access: Access, at: datetime) -> bool:
    assert access.delivery is not None
    async with hub.db.write() as tx:
        # Under the write lock: of two first downloads, one records 01.
        delivery = await _fresh(tx, access.delivery)
        if delivery.progress_status is not None:
            return False
        await _append(tx, user, access.document, delivery, StatusCode.ARRIVED,
                      None, by_sender=False, at=at)  # fmt: skip
    return True


async def post_status(
    hub: Hub, user: User, uuid: str, code: StatusCode, *,
    description: str | None, recipient: str | None, at: datetime,
) -> list[Delivery]:  # fmt: skip
    """Record a status from a recipient, or a 13 from the original sender."""
    description = check_description(code, description)

    async with hub.db.write() as tx:
        access = await open_document(tx, user, uuid)
        targets = await _targets(tx, access, recipient)
        updated = []
        for delivery in targets:
            fresh = await _fresh(tx, delivery)
            await _append(tx, user, access.document, fresh, code, description,
                          by_sender=access.party is Party.SENDER, at=at)  # fmt: skip
            updated.append(await _fresh(tx, fresh))
    return updated


async def _targets(db: Reader, access: Access, recipient: str | None) -> list[Delivery]:
    if access.party is Party.RECIPIENT:
        assert access.delivery is not None
        own = access.delivery.recipient_organ_id
        if recipient is not None and recipient != own:
            # Said without telling whether ``recipient`` was sent the document.
            raise ActionNotAllowedError(
                f"a recipient posts statuses for its own delivery only ({own})",
                hint="leave out 'recipient', which only the sender uses",
            )
        return [access.delivery]
    if access.party is not Party.SENDER:
        raise ActionNotAllowedError("only the sender and the recipients post statuses")

    sent = await deliveries.list_for_document(db, access.document.id)
    if not sent:
        raise DocumentStateError(
            f"document {access.document.uuid} is not issued (it is"
            f" {access.document.state}): it has no delivery to post a status on",
            hint="statuses follow the issue of the document",
        )
    if recipient is None:
        return sent
    chosen = [d for d in sent if d.recipient_organ_id == recipient]
    if not chosen:
        raise RecipientUnknownError([recipient])
    return chosen


async def _fresh(db: Reader, delivery: Delivery) -> Delivery:
    found = await deliveries.get_delivery(
        db, document_id=delivery.document_id,
        recipient_agency_id=delivery.recipient_agency_id,
    )  # fmt: skip
    assert found is not None
    return found


async def _append(
    tx: Tx, user: User, document: Document, delivery: Delivery, code: StatusCode,
    description: str | None, *, by_sender: bool, at: datetime,
) -> None:  # fmt: skip
    current = Position(_code(delivery.progress_status), _code(delivery.change_status))
    moved = next_position(current, code, by_sender=by_sender)
    assert user.agency_id is not None
    await deliveries.append_status(
        tx, delivery.id,
        NewStatus(code=code.value, actor_id=user.id, agency_id=user.agency_id,
                  description=description,
                  progress_status=_value(moved.progress),
                  change_status=_value(moved.change)),
        at=at,
    )  # fmt: skip
    await record_event(
        tx, at=at, actor=user.id, agency=user.agency_id, action="delivery.status",
        object_type="delivery", object_id=str(delivery.id),
        details={"document": document.uuid, "code": code.value,
                 "recipient": delivery.recipient_organ_id},
    )  # fmt: skip
    logger.info(
        "document %s: status %s for recipient %s posted by agency %s",
        document.uuid, code.value, delivery.recipient_organ_id, user.organ_id,
    )  # fmt: skip


def _code(value: str | None) -> StatusCode | None:
    return None if value is None else StatusCode(value)


def _value(code: StatusCode | None) -> str | None:
    return None if code is None else code.value


async def status_history(
    hub: Hub, user: User, uuid: str
) -> list[tuple[Delivery, list[StatusEntry]]]:
    """Return each visible delivery of a document with its statuses."""
    async with hub.db.read() as reader:
        access = await open_document(reader, user, uuid)
        if access.party is Party.RECIPIENT:
            assert access.delivery is not None
            visible = [access.delivery]
        else:
            visible = await deliveries.list_for_document(reader, access.document.id)
        return [(d, await deliveries.status_history(reader, d.id)) for d in visible]
