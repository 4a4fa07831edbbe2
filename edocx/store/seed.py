"""Create agencies and users: the hub's directory, used by the bootstrap.

Tokens are given in clear by the caller (the demo generates them) and only
their SHA-256 is stored.
"""

from __future__ import annotations

import logging
from datetime import datetime

from edocx.audit.events import record_event
from edocx.store.agencies import find_agency, insert_agency
from edocx.store.db import Database
from edocx.store.models import Agency, Role, User
from edocx.store.users import hash_token, insert_user

logger = logging.getLogger(__name__)


async def create_agency(
    db: Database,
    *,
    organ_id: str,
    name: str,
    abbreviation: str,
    place: str,
    seal_credential: str | None,
    at: datetime,
) -> Agency:
    """Register an agency with the label of its seal credential."""
    async with db.write() as tx:
        agency = await insert_agency(
            tx,
            organ_id=organ_id,
            name=name,
            abbreviation=abbreviation,
            place=place,
            seal_credential=seal_credential,
            at=at,
        )
        await record_event(
            tx, at=at, actor=None, agency=agency.id, action="agency.created",
            object_type="agency", object_id=organ_id,
            details={"name": name, "abbreviation": abbreviation},
        )  # fmt: skip
    logger.info("created agency %s (%s)", organ_id, abbreviation)
    return agency


async def create_user(
    db: Database,
    *,
    organ_id: str | None,
    display_name: str,
    role: Role,
    token: str,
    at: datetime,
    position: str | None = None,
    credential_label: str | None = None,
) -> User:
    """Register a user of an agency (or of the hub) with a bearer token."""
    async with db.write() as tx:
        agency = None if organ_id is None else await find_agency(tx, organ_id)
        if organ_id is not None and agency is None:
            raise LookupError(f"no agency {organ_id}")
        user = await insert_user(
            tx,
            agency_id=None if agency is None else agency.id,
            display_name=display_name,
            role=role,
            token_sha256=hash_token(token),
            position=position,
            credential_label=credential_label,
            at=at,
        )
        await record_event(
            tx, at=at, actor=None, agency=user.agency_id, action="user.created",
            object_type="user", object_id=str(user.id),
            details={"role": role.value},
        )  # fmt: skip
    logger.info("created %s user %d of agency %s", role.value, user.id, organ_id)
    return user
