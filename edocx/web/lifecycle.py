"""The life-cycle over HTTP: statuses, recall and update answers, the inbox
with the incoming book's numbers, the outbox with each recipient's answer.

A status posted is answered 201 when it moved a delivery (``applied``) and
200 when it changed nothing: a ``repeat`` of the current status or a
``late`` one (behind the current state); both are kept in the history.
"""

from __future__ import annotations

from typing import Literal

from aiohttp import web
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from edocx.exchange import delivery
from edocx.exchange.numbering import format_number
from edocx.exchange.statuses import Outcome, StatusCode
from edocx.store.models import Delivery, StatusEntry
from edocx.web.handlers import document_id
from edocx.web.idempotency import answering
from edocx.web.routing import Call
from edocx.web.schemas import (
    DeliveryOut,
    DocumentOut,
    StatusCodeText,
    StatusEntryOut,
    legal_time,
)

OutcomeText = Literal["applied", "repeat", "late"]
ChangeKindText = Literal["revoke", "update"]


class StatusPostIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: StatusCodeText
    description: str | None = Field(default=None, max_length=2000)
    recipient: str | None = Field(
        default=None, description="sender's 13 only: one recipient (default all)"
    )
    change: ChangeKindText | None = Field(
        default=None, description="13 only: what it asks for (default revoke)"
    )
    reported_at: AwareDatetime | None = Field(
        default=None,
        description="when the status was given (an edXML Timestamp); a status"
        " older than the one that set the current progress is late",
    )


class LifecycleDeliveryOut(DeliveryOut):
    change_kind: ChangeKindText | None = Field(description="what the last 13 asked for")
    change_answer: Literal["pending", "agreed", "refused"] | None
    cancelled_at: str | None = Field(
        description="the recipient agreed to the recall: its copy is cancelled"
    )
    update_applied_at: str | None
    replaced_by: str | None = Field(description="id of the replacing document")
    replaced_at: str | None
    incoming_number: str | None = Field(
        description="number in the recipient's incoming book (given at 03)"
    )
    incoming_year: int | None

    @classmethod
    def of(cls, delivery: Delivery) -> LifecycleDeliveryOut:
        base = DeliveryOut.of(delivery).model_dump()
        number = delivery.incoming_number
        return cls.model_validate({
            **base,
            "change_kind": delivery.change_kind,
            "change_answer": _ANSWERS.get(delivery.change_status or ""),
            "cancelled_at": legal_time(delivery.cancelled_at),
            "update_applied_at": legal_time(delivery.update_applied_at),
            "replaced_by": delivery.replaced_by,
            "replaced_at": legal_time(delivery.replaced_at),
            "incoming_number": None if number is None else format_number(number),
            "incoming_year": delivery.incoming_year,
        })  # fmt: skip


_ANSWERS = {"13": "pending", "15": "agreed", "16": "refused"}


class LifecycleStatusEntryOut(StatusEntryOut):
    outcome: OutcomeText
    reported_at: str | None
    change_kind: ChangeKindText | None
    by_hub: bool = Field(description="recorded by the hub itself (01 on fetch)")

    @classmethod
    def of(cls, entry: StatusEntry) -> LifecycleStatusEntryOut:
        base = StatusEntryOut.of(entry).model_dump()
        return cls.model_validate({
            **base, "outcome": entry.outcome,
            "reported_at": legal_time(entry.reported_at),
            "change_kind": entry.change_kind, "by_hub": entry.actor_id is None,
        })  # fmt: skip


class LifecycleHistoryOut(BaseModel):
    delivery: LifecycleDeliveryOut
    statuses: list[LifecycleStatusEntryOut]


class LifecycleStatusesOut(BaseModel):
    document: str
    deliveries: list[LifecycleHistoryOut]


class StatusPostOut(LifecycleStatusesOut):
    outcome: OutcomeText = Field(
        description="applied (201), or repeat / late (200): nothing changed"
    )
    outcomes: dict[str, OutcomeText] = Field(
        description="per recipient addressed, what the status did"
    )


class LifecycleInboxItemOut(BaseModel):
    document: DocumentOut
    sender: str
    status: StatusCodeText | None
    status_at: str | None
    incoming_number: str | None
    delivery: LifecycleDeliveryOut


class LifecycleInboxOut(BaseModel):
    items: list[LifecycleInboxItemOut]


class LifecycleOutboxItemOut(BaseModel):
    document: DocumentOut
    deliveries: list[LifecycleDeliveryOut]


class LifecycleOutboxOut(BaseModel):
    items: list[LifecycleOutboxItemOut]


async def post_status(call: Call) -> web.Response:
    uuid, body = document_id(call), call.body
    answer = answering(lambda done: _status_answer(uuid, done))
    done = await delivery.post_status(
        call.hub, call.me, uuid, StatusCode(body.code),
        description=body.description, recipient=body.recipient, at=call.at,
        reported_at=body.reported_at, change=body.change,
    )  # fmt: skip
    return answer(done)


def _status_answer(uuid: str, done: delivery.StatusOutcome) -> web.Response:
    answer = StatusPostOut(
        **_history_out(uuid, done.history).model_dump(),
        outcome=done.outcome.value,
        outcomes={d.recipient_organ_id: o.value
                  for d, o in zip(done.deliveries, done.outcomes, strict=True)},
    )  # fmt: skip
    # 201 when the status moved a delivery, as the route says; 200 else.
    return web.Response(
        status=201 if done.outcome is Outcome.APPLIED else 200,
        body=answer.model_dump_json().encode("utf-8"),
        content_type="application/json",
    )  # fmt: skip


async def get_statuses(call: Call) -> LifecycleStatusesOut:
    return await _history(call, document_id(call))


async def _history(call: Call, uuid: str) -> LifecycleStatusesOut:
    history = await delivery.status_history(call.hub, call.me, uuid)
    return _history_out(uuid, history)


def _history_out(uuid: str, history: delivery.History) -> LifecycleStatusesOut:
    return LifecycleStatusesOut(
        document=uuid,
        deliveries=[
            LifecycleHistoryOut(
                delivery=LifecycleDeliveryOut.of(d),
                statuses=[LifecycleStatusEntryOut.of(e) for e in entries],
            )
            for d, entries in history
        ],
    )


async def list_inbox(call: Call) -> LifecycleInboxOut:
    items = await delivery.inbox(call.hub, call.me)
    return LifecycleInboxOut(
        items=[
            LifecycleInboxItemOut.model_validate({
                "document": DocumentOut.of(item.document),
                "sender": item.document.organ_id,
                "status": item.delivery.last_status,
                "status_at": legal_time(item.delivery.last_status_at),
                "incoming_number": _number(item.delivery),
                "delivery": LifecycleDeliveryOut.of(item.delivery),
            })
            for item in items
        ]
    )  # fmt: skip


def _number(got: Delivery) -> str | None:
    return None if got.incoming_number is None else format_number(got.incoming_number)


async def list_outbox(call: Call) -> LifecycleOutboxOut:
    items = await delivery.outbox(call.hub, call.me)
    return LifecycleOutboxOut(
        items=[
            LifecycleOutboxItemOut(
                document=DocumentOut.of(item.document),
                deliveries=[LifecycleDeliveryOut.of(d) for d in item.deliveries],
            )
            for item in items
        ]
    )
