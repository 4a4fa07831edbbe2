"""Push endpoints: registration by the agency's system or the hub's admin.

The secret that signs the messages is made by the hub (or supplied, at
least 32 characters) and answered once, at registration; it is never
shown, logged or written to the audit log afterwards. Registering moves the
agency to push delivery; removing the endpoint moves it back to pull.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from edocx.audit.events import record_event
from edocx.delivery.addresses import IPNetwork, parse_endpoint, resolve_checked
from edocx.delivery.errors import (
    AgencyNotFoundError,
    PushEndpointNotFoundError,
    PushEndpointRefusedError,
)
from edocx.delivery.signature import MIN_SECRET, new_secret
from edocx.exchange.errors import ActionNotAllowedError
from edocx.exchange.hub import Hub
from edocx.store import push
from edocx.store.agencies import DeliveryMode, find_agency, set_delivery_mode
from edocx.store.models import Agency, Role, User
from edocx.store.results import completed

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Registered:
    agency: Agency
    url: str
    secret: str  # answered this once
    created_at: str


async def agency_for(hub: Hub, user: User, organ_id: str) -> Agency:
    """Return the agency ``user`` may manage the endpoint of."""
    if user.role is not Role.ADMIN and user.organ_id != organ_id:
        raise ActionNotAllowedError(
            f"an agency's system manages its own push endpoint ({user.organ_id})"
        )
    async with hub.db.read() as reader:
        agency = await find_agency(reader, organ_id)
    if agency is None:
        raise AgencyNotFoundError(f"no agency {organ_id}")
    return agency


async def register(
    hub: Hub, user: User, organ_id: str, *, url: str, secret: str | None,
    allowed: Sequence[IPNetwork], at: datetime,
) -> Registered:  # fmt: skip
    """Check the endpoint and where it resolves, then keep it."""
    agency = await agency_for(hub, user, organ_id)
    if secret is not None and (len(secret) < MIN_SECRET or not secret.isprintable()):
        raise PushEndpointRefusedError(
            f"a supplied secret needs at least {MIN_SECRET} printable characters",
            hint="or leave it out and the hub makes one",
        )
    # Resolved here, before any write transaction: a network call.
    await resolve_checked(parse_endpoint(url), allowed)
    secret = secret or new_secret()

    async with hub.db.write() as tx:
        await push.put_endpoint(
            tx, agency.id, url=url, secret=secret, user_id=user.id, at=at
        )
        await set_delivery_mode(tx, agency.id, DeliveryMode.PUSH)
        await record_event(
            tx, at=at, actor=user.id, agency=agency.id, action="push.endpoint.set",
            object_type="agency", object_id=agency.organ_id, details={"url": url},
        )  # fmt: skip
        registered = Registered(agency, url, secret, at.isoformat())
        completed(tx, registered)
    logger.info("agency %s receives by push at %s", agency.organ_id, url)
    return registered


async def show(hub: Hub, user: User, organ_id: str) -> push.Endpoint:
    agency = await agency_for(hub, user, organ_id)
    async with hub.db.read() as reader:
        endpoint = await push.get_endpoint(reader, agency.id)
    if endpoint is None:
        raise PushEndpointNotFoundError(f"agency {organ_id} receives by pull")
    return endpoint


async def remove(hub: Hub, user: User, organ_id: str, *, at: datetime) -> None:
    """Drop the endpoint; the agency receives by pull again."""
    agency = await agency_for(hub, user, organ_id)
    async with hub.db.write() as tx:
        if not await push.delete_endpoint(tx, agency.id):
            raise PushEndpointNotFoundError(f"agency {organ_id} receives by pull")
        await set_delivery_mode(tx, agency.id, DeliveryMode.PULL)
        await record_event(
            tx, at=at, actor=user.id, agency=agency.id, action="push.endpoint.remove",
            object_type="agency", object_id=agency.organ_id,
        )  # fmt: skip
    logger.info("agency %s receives by pull again", agency.organ_id)
