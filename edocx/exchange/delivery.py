"""Routing after issue: inboxes, outboxes, downloads and statuses.

A recipient's document system (or clerk) fetching the PDF for the first
time records status 01 (arrived) at once, as Decree 30/2020 Art. 21 wants
receipt acknowledged the same day. An auditor reading a document's content
is itself recorded in the audit log. Both are recorded by
:func:`acknowledge`, once the answer carrying the PDF is ready to be sent,
so that a download that fails before that records nothing.

A recipient's system that fetches or acknowledges a document otherwise
(pull, push) has its 01 recorded by the hub itself: :func:`record_arrival_in`.

A status is judged by :func:`~edocx.exchange.statuses.next_move`: applied,
a repeat or late (both kept in the history, changing nothing), or refused
and not stored. What an applied status does beyond moving the delivery
happens in the same transaction: a 03 takes the recipient's incoming
number (:mod:`edocx.exchange.incoming`), a 15 carries out the recall or
update agreed (:mod:`edocx.exchange.changes`). A document without
deliveries (a draft, a signed document) has no status to change, and a
recipient answers for its own delivery only.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from edocx.audit.events import record_event
from edocx.exchange import changes, incoming
from edocx.exchange.access import Access, Party, open_document
from edocx.exchange.errors import (
    ActionNotAllowedError,
    DocumentStateError,
    DocumentWithoutPdfError,
    RecipientUnknownError,
    StatusChangeKindError,
    StatusNotAllowedError,
    StatusTimeInvalidError,
)
from edocx.exchange.hub import Hub
from edocx.exchange.statuses import (
    ChangeKind,
    Outcome,
    Position,
    StatusCode,
    check_description,
    next_move,
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
from edocx.store.results import completed

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
    """Return the documents ``user``'s agency sent, each recipient's status.

    Those the hub issued and those the agency's own system relayed (edXML),
    newest first.
    """
    if user.agency_id is None:
        return []
    async with hub.db.read() as reader:
        sent = [
            doc
            for state in (DocumentState.ISSUED, DocumentState.RELAYED)
            for doc in await list_documents(
                reader, agency_id=user.agency_id, state=state
            )
        ]
        sent.sort(key=lambda doc: doc.id, reverse=True)
        return [
            OutboxItem(doc, tuple(await deliveries.list_for_document(reader, doc.id)))
            for doc in sent
        ]


async def download(hub: Hub, user: User, uuid: str) -> Download:
    """Return the document's current PDF; nothing is recorded yet."""
    # No snapshot (one trip fewer): the delivery read here is read again
    # under the write lock before anything is recorded (:func:`acknowledge`).
    async with hub.db.read(snapshot=False) as reader:
        access = await open_document(reader, user, uuid)
    document = access.document
    if document.state is DocumentState.RELAYED and (
        document.current_blob == document.packet_blob
    ):
        raise DocumentWithoutPdfError(
            f"document {uuid} came as an edXML packet without a PDF attachment",
            hint=f"fetch the packet with its attachments: GET /api/v1/documents/"
            f"{uuid}/edxml (it records the arrival as a download does)",
        )
    pdf = await hub.blobs.get(document.current_blob)
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
        if delivery.progress_status is not None or delivery.cancelled_at:
            return False
        step = Step(StatusCode.ARRIVED, None, actor=user, agency_id=None)
        await _record(tx, access.document, delivery, step, by_sender=False, at=at)
    return True


async def record_arrival_in(tx: Tx, *, delivery_id: int, at: datetime) -> bool:
    """Record 01 for a recipient's system that fetched or acknowledged a push.

    The hub records it itself (no acting user). Return False when the
    delivery is past 01 already, or was cancelled before it arrived.
    """
    delivery = await deliveries.get_delivery_by_id(tx, delivery_id)
    if delivery is None:
        raise ValueError(f"no delivery {delivery_id}")
    if delivery.progress_status is not None or delivery.cancelled_at:
        return False
    document = await get_document_by_id(tx, delivery.document_id)
    assert document is not None
    step = Step(StatusCode.ARRIVED, None, actor=None,
                agency_id=delivery.recipient_agency_id)  # fmt: skip
    await _record(tx, document, delivery, step, by_sender=False, at=at)
    return True


History = tuple[tuple[Delivery, tuple[StatusEntry, ...]], ...]


@dataclass(frozen=True)
class StatusOutcome:
    """What a posted status did to each delivery it addressed.

    ``history`` is every delivery the poster may see, with its statuses,
    as the change left them (read in its transaction).
    """

    deliveries: tuple[Delivery, ...]
    outcomes: tuple[Outcome, ...]
    history: History = ()

    @property
    def outcome(self) -> Outcome:
        """Applied when it moved any delivery; else late, else a repeat."""
        for candidate in (Outcome.APPLIED, Outcome.LATE):
            if candidate in self.outcomes:
                return candidate
        return Outcome.REPEAT


async def post_status(
    hub: Hub, user: User, uuid: str, code: StatusCode, *,
    description: str | None, recipient: str | None, at: datetime,
    reported_at: datetime | None = None, change: str | None = None,
) -> StatusOutcome:  # fmt: skip
    """Record a status from a recipient, or a 13 from the original sender.

    ``reported_at`` is the status's own time (an edXML Timestamp); ``change``
    the kind a 13 asks for, ``revoke`` (the default) or ``update``.
    """
    description = check_description(code, description)
    kind = _change_kind(code, change)
    step = Step(code, description, actor=user, agency_id=None,
                reported_at=_reported(reported_at, at), kind=kind)  # fmt: skip

    async with hub.db.write() as tx:
        access = await open_document(tx, user, uuid)
        targets = await _targets(tx, access, recipient)
        # The targets were read in this transaction, and recording a status
        # changes its own delivery only: each is as fresh as it can be.
        outcomes = []
        for delivery in targets:
            outcomes.append(await _record(
                tx, access.document, delivery, step,
                by_sender=access.party is Party.SENDER, at=at,
            ))  # fmt: skip
        # The answer's history, read before the commit: one trip fewer.
        history = await _history(tx, access)
        moved = {d.id: d for d, _ in history}
        done = StatusOutcome(
            tuple(moved[d.id] for d in targets), tuple(outcomes), history
        )
        completed(tx, done)
    return done


# A status may carry its own time a little ahead of the hub's clock.
_CLOCK_SKEW = timedelta(minutes=5)
# No document of the exchange is older: a status time before this is a
# mistake (or near datetime's limits, where converting it to Vietnam time
# would fail on every later read of the history).
_EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)


def _reported(reported_at: datetime | None, at: datetime) -> datetime | None:
    if reported_at is None:
        return None
    if reported_at.tzinfo is None:
        raise StatusTimeInvalidError("the status time must say its time zone")
    if reported_at < _EARLIEST:
        raise StatusTimeInvalidError(
            f"the status time {reported_at.isoformat()} is before 2000",
            hint="send the time the status was given, with its time zone",
        )
    if reported_at > at + _CLOCK_SKEW:
        raise StatusTimeInvalidError(
            f"the status time {reported_at.isoformat()} is in the future",
            hint="send the time the status was given, with its time zone",
        )
    return reported_at


def _change_kind(code: StatusCode, change: str | None) -> ChangeKind | None:
    if code is not StatusCode.TAKE_BACK:
        if change is not None:
            raise StatusChangeKindError(
                "only a 13 says what change it asks for ('change')"
            )
        return None
    try:
        return ChangeKind(change or ChangeKind.REVOKE.value)
    except ValueError:
        raise StatusChangeKindError(
            f"'change' is {change!r}; a 13 asks to 'revoke' or 'update'"
        ) from None


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
        document = access.document.uuid
        raise RecipientUnknownError(
            [recipient],
            detail=f"{recipient} is not a recipient of document {document}",
            hint="name an agency the document was sent to, or leave out"
            " 'recipient' to reach them all",
        )
    return chosen


async def _fresh(db: Reader, delivery: Delivery) -> Delivery:
    found = await deliveries.get_delivery_by_id(db, delivery.id)
    assert found is not None
    return found


@dataclass(frozen=True)
class Step:
    """One status to record: who gives it (``actor`` None: the hub itself)."""

    code: StatusCode
    description: str | None
    actor: User | None
    agency_id: int | None  # the agency the hub records it for, without actor
    reported_at: datetime | None = None
    kind: ChangeKind | None = None


async def _record(
    tx: Tx, document: Document, delivery: Delivery, step: Step, *,
    by_sender: bool, at: datetime,
) -> Outcome:  # fmt: skip
    """Judge ``step`` against the delivery, keep it and carry out its effects."""
    current = position_of(delivery)
    try:
        move = next_move(current, step.code, by_sender=by_sender, kind=step.kind,
                         reported_at=step.reported_at)  # fmt: skip
    except StatusNotAllowedError as error:
        error.detail = f"recipient {delivery.recipient_organ_id}: {error.detail}"
        raise

    actor_id = None if step.actor is None else step.actor.id
    agency_id = step.agency_id if step.actor is None else step.actor.agency_id
    assert agency_id is not None
    new = NewStatus(
        code=step.code.value, actor_id=actor_id, agency_id=agency_id,
        description=step.description, progress_status=_value(move.position.progress),
        change_status=_value(move.position.change), reported_at=step.reported_at,
        change_kind=None if step.kind is None else step.kind.value,
    )  # fmt: skip
    if move.outcome is Outcome.APPLIED:
        deliveries.append_status(tx, delivery.id, new, at=at)
        await _effects(tx, document, delivery, step, current, actor_id, at)
    else:
        deliveries.note_status(tx, delivery.id, new, outcome=move.outcome, at=at)

    await record_event(
        tx, at=at, actor=actor_id, agency=agency_id, action="delivery.status",
        object_type="delivery", object_id=str(delivery.id),
        details=_status_details(document, delivery, step, move.outcome),
    )  # fmt: skip
    logger.info(
        "document %s: status %s (%s) for recipient %s, from agency %d",
        document.uuid, step.code.value, move.outcome.value,
        delivery.recipient_organ_id, agency_id,
    )  # fmt: skip
    return move.outcome


def _status_details(
    document: Document, delivery: Delivery, step: Step, outcome: Outcome
) -> dict[str, str]:
    """What the audit entry of a status says: all an auditor needs to tell a
    recall from an update request, and the reason given for a 02 or a 16."""
    details = {
        "document": document.uuid, "code": step.code.value,
        "recipient": delivery.recipient_organ_id, "outcome": outcome.value,
    }  # fmt: skip
    if step.kind is not None:
        details["change"] = step.kind.value
    if step.description is not None:
        details["description"] = step.description
    if step.reported_at is not None:
        details["reported_at"] = step.reported_at.isoformat()
    return details


async def _effects(
    tx: Tx, document: Document, delivery: Delivery, step: Step, before: Position,
    actor_id: int | None, at: datetime,
) -> None:  # fmt: skip
    """What an applied status does beyond moving the delivery."""
    if step.code is StatusCode.ACCEPTED:
        await incoming.register_incoming(
            tx, delivery, document_uuid=document.uuid, actor_id=actor_id, at=at
        )
    elif step.code is StatusCode.CHANGE_AGREED and before.kind is not None:
        await changes.apply_agreement(
            tx, delivery, before.kind, document_uuid=document.uuid,
            actor_id=actor_id, at=at,
        )  # fmt: skip


def position_of(delivery: Delivery) -> Position:
    """Where a stored delivery stands, for :func:`next_move`."""
    reported = delivery.state_reported_at
    return Position(
        progress=_code(delivery.progress_status),
        change=_code(delivery.change_status),
        kind=None if delivery.change_kind is None else ChangeKind(delivery.change_kind),
        cancelled=delivery.cancelled_at is not None,
        reported_at=None if reported is None else datetime.fromisoformat(reported),
    )


def _code(value: str | None) -> StatusCode | None:
    return None if value is None else StatusCode(value)


def _value(code: StatusCode | None) -> str | None:
    return None if code is None else code.value


async def status_history(hub: Hub, user: User, uuid: str) -> History:
    """Return each visible delivery of a document with its statuses."""
    async with hub.db.read() as reader:
        access = await open_document(reader, user, uuid)
        return await _history(reader, access)


async def _history(db: Reader, access: Access) -> History:
    if access.party is Party.RECIPIENT:
        assert access.delivery is not None
        own, entries = await deliveries.with_history(db, access.delivery.id)
        return ((own, tuple(entries)),)

    visible = await deliveries.list_for_document(db, access.document.id)
    statuses = await deliveries.status_histories(db, [d.id for d in visible])
    return tuple((d, tuple(statuses.get(d.id, ()))) for d in visible)
