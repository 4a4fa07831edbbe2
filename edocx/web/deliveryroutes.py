"""Handlers and bodies of delivery: pull, push endpoints, dead letters.

The pusher runs as a background task of the application
(:func:`delivery_lifecycle`), started after the exchange and stopped before
it; the seal certificates the directory shows are gathered at start.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from edocx.delivery import deadletters, endpoints
from edocx.delivery import pull as pulling
from edocx.delivery.directory import certificate_facts, keep_seal_certificates
from edocx.delivery.pusher import Pusher
from edocx.store.agencies import DirectoryEntry, list_directory
from edocx.store.models import Document, DocumentState
from edocx.store.push import Message
from edocx.web.idempotency import answering
from edocx.web.keys import HUB, SETTINGS
from edocx.web.routing import Call, json_answer
from edocx.web.schemas import legal_time

PUSHER = web.AppKey("pusher", Pusher)


async def delivery_lifecycle(app: web.Application) -> AsyncIterator[None]:
    """Keep the seal certificates, then run the pusher until shutdown."""
    settings, hub = app[SETTINGS], app[HUB]
    await keep_seal_certificates(hub.db, settings.pki.dir, at=datetime.now(UTC))
    pusher = Pusher(hub, settings.delivery)
    app[PUSHER] = pusher
    if settings.delivery.push_enabled:
        pusher.start()
    try:
        yield
    finally:
        await pusher.stop()


# Pull.


class PullQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limit: int | None = Field(default=None, ge=1, le=1000)


class PullItemOut(BaseModel):
    id: str = Field(description="the document's id")
    sender: str
    edxml_document_id: str | None
    notation: str | None
    type: str
    subject: str
    priority: int
    issued_at: str | None
    sha256: str = Field(description="SHA-256 of the PDF to fetch")
    offers: int = Field(description="how often it was listed, this time included")
    pdf: str | None = Field(
        description="where to fetch the PDF; none for a packet without a PDF"
    )
    edxml: str = Field(description="where to fetch the edXML packet")
    ack: str = Field(description="where to acknowledge it once stored")


class PullOut(BaseModel):
    items: list[PullItemOut]
    visibility_s: float = Field(
        description="an item not acknowledged is listed again after this long"
    )


class AckOut(BaseModel):
    id: str
    acknowledged_at: str
    first: bool = Field(description="false when acknowledged before")
    arrival_recorded: bool = Field(description="status 01 recorded by this call")


async def pull_documents(call: Call) -> PullOut:
    limit = call.query.limit if call.query is not None else None
    items = await pulling.pull_new(
        call.hub, call.me, call.settings.delivery, limit=limit, at=call.at
    )
    return PullOut(
        items=[_pull_item(item) for item in items],
        visibility_s=call.settings.delivery.pull_visibility_s,
    )


def _pull_item(item: pulling.PullItem) -> PullItemOut:
    doc = item.document
    return PullItemOut(
        id=doc.uuid, sender=doc.organ_id, edxml_document_id=doc.edxml_document_id,
        notation=doc.notation, type=doc.type_name, subject=doc.subject,
        priority=doc.priority, issued_at=legal_time(doc.issued_at),
        sha256=doc.current_blob, offers=item.offers,
        pdf=None if _without_pdf(doc) else f"/api/v1/documents/{doc.uuid}/pdf",
        edxml=f"/api/v1/documents/{doc.uuid}/edxml",
        ack=f"/api/v1/pull/{doc.uuid}/ack",
    )  # fmt: skip


def _without_pdf(doc: Document) -> bool:
    return doc.state is DocumentState.RELAYED and doc.current_blob == doc.packet_blob


async def acknowledge_document(call: Call) -> web.Response:
    answer = answering(lambda acked: json_answer(_ack_out(acked)))
    outcome = await pulling.acknowledge(
        call.hub, call.me, call.param("document_id"), at=call.at
    )
    return answer(outcome)


def _ack_out(outcome: pulling.AckOutcome) -> AckOut:
    return AckOut(
        id=outcome.document.uuid,
        acknowledged_at=legal_time(outcome.acked_at) or "",
        first=outcome.first,
        arrival_recorded=outcome.arrival_recorded,
    )


# Push endpoints.


class EndpointIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(max_length=2048, description="https:// URL of the endpoint")
    secret: str | None = Field(
        default=None, max_length=256,
        description="the HMAC secret (at least 32 characters); the hub makes one"
        " when left out",
    )  # fmt: skip


class EndpointOut(BaseModel):
    agency: str
    url: str
    created_at: str


class EndpointRegisteredOut(EndpointOut):
    secret: str = Field(description="the HMAC secret, shown this once")


async def register_push_endpoint(call: Call) -> web.Response:
    body: EndpointIn = call.body
    answer = answering(lambda made: json_answer(_registered(made), 201))
    registered = await endpoints.register(
        call.hub, call.me, call.param("organ_id"), url=body.url, secret=body.secret,
        allowed=call.settings.delivery.push_allowed_networks, at=call.at,
    )  # fmt: skip
    call.request.app[PUSHER].wake()
    return answer(registered)


def _registered(registered: endpoints.Registered) -> EndpointRegisteredOut:
    return EndpointRegisteredOut(
        agency=registered.agency.organ_id, url=registered.url,
        created_at=legal_time(registered.created_at) or "", secret=registered.secret,
    )  # fmt: skip


async def get_push_endpoint(call: Call) -> EndpointOut:
    organ_id = call.param("organ_id")
    endpoint = await endpoints.show(call.hub, call.me, organ_id)
    return EndpointOut(
        agency=organ_id, url=endpoint.url,
        created_at=legal_time(endpoint.created_at) or "",
    )  # fmt: skip


async def delete_push_endpoint(call: Call) -> web.Response:
    await endpoints.remove(call.hub, call.me, call.param("organ_id"), at=call.at)
    return web.Response(status=204)


# Dead letters.


class AttemptOut(BaseModel):
    at: str
    outcome: str


class PushMessageOut(BaseModel):
    message_id: str
    agency: str
    kind: str
    state: str
    attempts: int = Field(description="attempts since it was made or last resent")
    last_error: str | None
    created_at: str
    expires_at: str
    next_attempt_at: str

    @classmethod
    def of(cls, m: Message) -> PushMessageOut:
        return cls(
            message_id=m.message_id, agency=m.organ_id, kind=m.kind.value,
            state=m.state.value, attempts=m.attempts, last_error=m.last_error,
            created_at=legal_time(m.created_at) or "",
            expires_at=legal_time(m.expires_at) or "",
            next_attempt_at=legal_time(m.next_attempt_at) or "",
        )  # fmt: skip


class DeadLetterOut(PushMessageOut):
    history: list[AttemptOut]


class DeadLettersOut(BaseModel):
    items: list[DeadLetterOut]


async def list_dead_letters(call: Call) -> DeadLettersOut:
    found = await deadletters.list_dead(call.hub, call.me)
    return DeadLettersOut(
        items=[
            DeadLetterOut(
                **PushMessageOut.of(d.message).model_dump(),
                history=[
                    AttemptOut(at=legal_time(a.at) or "", outcome=a.outcome)
                    for a in d.attempts
                ],
            )
            for d in found
        ]
    )


async def resend_dead_letter(call: Call) -> web.Response:
    answer = answering(lambda fresh: json_answer(PushMessageOut.of(fresh)))
    message = await deadletters.resend(
        call.hub, call.me, call.param("message_id"),
        ttl_s=call.settings.delivery.push_ttl_s, at=call.at,
    )  # fmt: skip
    call.request.app[PUSHER].wake()
    return answer(message)


# The directory.


class CertificateOut(BaseModel):
    subject: str
    issuer: str
    serial: str = Field(description="hexadecimal")
    not_before: str
    not_after: str
    sha256: str = Field(description="SHA-256 fingerprint of the DER encoding")
    pem: str


class DirectoryAgencyOut(BaseModel):
    organ_id: str = Field(description="the QCVN 102:2016 code")
    second_code: str | None = Field(description="another code, where one is given")
    name: str
    abbreviation: str
    place: str
    parent: str | None = Field(description="organ id of the parent agency")
    delivery_mode: str = Field(description="pull or push")
    certificates: list[CertificateOut] = Field(description="seal certificates")

    @classmethod
    def of(cls, entry: DirectoryEntry) -> DirectoryAgencyOut:
        a = entry.agency
        return cls(
            organ_id=a.organ_id, second_code=entry.second_code, name=a.name,
            abbreviation=a.abbreviation, place=a.place, parent=entry.parent_organ_id,
            delivery_mode=entry.delivery_mode.value,
            certificates=[_certificate(der) for der in entry.certificates],
        )  # fmt: skip


def _certificate(der: bytes) -> CertificateOut:
    facts = certificate_facts(der)
    return CertificateOut(
        subject=facts.subject, issuer=facts.issuer, serial=facts.serial,
        not_before=legal_time(facts.not_before.isoformat()) or "",
        not_after=legal_time(facts.not_after.isoformat()) or "",
        sha256=facts.sha256, pem=facts.pem,
    )  # fmt: skip


class DirectoryOut(BaseModel):
    items: list[DirectoryAgencyOut]


async def directory(call: Call) -> DirectoryOut:
    async with call.hub.db.read() as reader:
        entries = await list_directory(reader)
    return DirectoryOut(items=[DirectoryAgencyOut.of(e) for e in entries])
