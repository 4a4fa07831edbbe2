"""Turn a route of the table into an aiohttp handler.

For every request, in order: authenticate and authorise against the route's
roles; parse the query and the body; for a creating POST with an
``Idempotency-Key``, claim the key or replay; run the handler; render.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler as AiohttpHandler
from pydantic import BaseModel, ValidationError

from edocx.store.models import User
from edocx.web import idempotency
from edocx.web.auth import authenticate, authorize
from edocx.web.badrequests import install_log_filter
from edocx.web.bodies import (
    check_integers,
    check_json_parts,
    read_json,
    read_parts,
    read_raw,
    read_unasked,
    validation_problem,
)
from edocx.web.keys import HUB, SETTINGS
from edocx.web.routing import RAW_BODY, Call, Reply, Route, json_answer

logger = logging.getLogger(__name__)

# Room for the header and the multipart framing around the PDF itself; a
# JSON body gets this much and no more.
_FRAMING = 64 * 1024
# A body this small (a status, a JSON request) is hashed in microseconds,
# less than the loop spends handing it to a thread and back.
_HASH_ON_LOOP = 4 * 1024


def make_handler(route: Route) -> AiohttpHandler:
    async def handle(request: web.Request) -> web.StreamResponse:
        call, raw = await _prepare(route, request)
        key = idempotency.request_key(request) if route.creates else None
        if key is None or call.user is None:
            return await _respond(route, call)
        args = (request.method, request.path, raw, _json_parts(route))
        if sum(len(part) for part in raw.values()) <= _HASH_ON_LOOP:
            digest = idempotency.fingerprint(*args)
        else:
            # Hashing a large upload would stall the loop: a thread does it.
            digest = await asyncio.to_thread(idempotency.fingerprint, *args)
        claim = idempotency.Claim(call.user.id, key, digest)
        return await _idempotent(route, call, claim)

    handle.__name__ = route.operation_id
    return handle


async def _prepare(route: Route, request: web.Request) -> tuple[Call, dict[str, bytes]]:
    hub, settings = request.app[HUB], request.app[SETTINGS]
    user: User | None = None
    if route.roles is not None:
        user = await authenticate(request, hub.db)
        authorize(user, route.roles, route.summary.lower())

    query = _query(route, request)
    limit = route.upload_limit(settings)
    body: Any = None
    parts: dict[str, bytes] = {}
    if route.body is not None:
        body, raw = await read_json(request, route.body, _FRAMING)
        parts_for_key = {"body": raw}
    elif route.parts:
        described = route.upload_limit_text(settings)
        parts = await read_parts(request, route.parts, limit + _FRAMING, described)
        check_json_parts(parts, route.parts)
        parts_for_key = parts
    elif route.raw_body:
        described = route.upload_limit_text(settings)
        raw = await read_raw(request, route.raw_body, limit, described)
        parts = parts_for_key = {RAW_BODY: raw}
    else:
        parts_for_key = {}
    unasked = b""
    if route.creates and not parts_for_key:
        unasked = await read_unasked(request)
        parts_for_key = {"unasked": unasked}
    at = datetime.now(UTC)
    call = Call(
        request, hub, settings, user, at, body=body, query=query, parts=parts,
        unasked_body=unasked,
    )  # fmt: skip
    return call, parts_for_key


def _json_parts(route: Route) -> frozenset[str]:
    if route.body is not None:
        return frozenset({"body"})
    return frozenset(part.name for part in route.parts if part.kind == "json")


def _query(route: Route, request: web.Request) -> Any:
    if route.query is None:
        return None
    try:
        query = route.query.model_validate(dict(request.query))
    except ValidationError as e:
        raise validation_problem(e) from e
    check_integers(query)
    return query


async def _respond(route: Route, call: Call) -> web.StreamResponse:
    reply: Reply = await route.handler(call)
    if isinstance(reply, BaseModel):
        return json_answer(reply, route.status)
    return reply


async def _idempotent(
    route: Route, call: Call, claim: idempotency.Claim
) -> web.StreamResponse:
    response = await idempotency.run_once(
        call.hub.db, claim, lambda: _respond(route, call), at=call.at
    )
    if response.headers.get("Idempotent-Replayed"):
        logger.info("replayed %s for user %d", route.operation_id, claim.user_id)
    return response


def install(app: web.Application, routes: tuple[Route, ...]) -> None:
    """Add every route of the table to the application's router.

    Requests too malformed to reach a route are refused by aiohttp's parser;
    its log lines about them lose the bytes they quote (badrequests).
    """
    install_log_filter()
    for route in routes:
        app.router.add_route(route.method, route.path, make_handler(route))
