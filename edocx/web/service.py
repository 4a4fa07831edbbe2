"""Handlers of the operations around documents: verify, audit, directory."""

from __future__ import annotations

from aiohttp import web

from edocx.audit.events import list_events
from edocx.exchange.verdicts import verdict_of
from edocx.store.agencies import list_agencies
from edocx.web.bodies import text_part
from edocx.web.routing import Call
from edocx.web.schemas import (
    AgenciesOut,
    AgencyOut,
    AuditEventOut,
    AuditEventsOut,
    MeOut,
    VerifyOut,
    legal_time,
)


async def verify_upload(call: Call) -> VerifyOut:
    report = await call.hub.compute.verify(
        call.parts["file"], password=text_part(call.parts, "password")
    )
    return VerifyOut(
        verdict=verdict_of(report).value, report=report.model_dump(mode="json")
    )


async def list_audit_events(call: Call) -> AuditEventsOut:
    query = call.query
    async with call.hub.db.read() as reader:
        events = await list_events(
            reader, after_seq=query.after, limit=query.limit, object_id=query.object_id
        )
    items = [
        AuditEventOut(
            seq=e.seq, at=legal_time(e.at) or "", actor=e.actor_id,
            agency=e.agency_id, action=e.action, object_type=e.object_type,
            object_id=e.object_id, content_sha256=e.content_sha256, details=e.details,
        )
        for e in events
    ]  # fmt: skip
    return AuditEventsOut(
        items=items, next_after=events[-1].seq if events else query.after
    )


async def list_directory(call: Call) -> AgenciesOut:
    async with call.hub.db.read() as reader:
        agencies = await list_agencies(reader)
    return AgenciesOut(items=[AgencyOut.of(a) for a in agencies])


async def whoami(call: Call) -> MeOut:
    return MeOut.of(call.me)


async def openapi_document(call: Call) -> web.Response:
    from edocx.web.openapi import openapi_json

    return web.Response(body=openapi_json(), content_type="application/json")
