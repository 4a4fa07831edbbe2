"""Users of the hub and their bearer tokens (stored only as SHA-256)."""

from __future__ import annotations

import hashlib
from datetime import datetime

from edocx.store.db import Reader, Row, Tx
from edocx.store.models import Role, User

_SELECT = (
    "SELECT u.id, u.agency_id, a.organ_id, u.display_name, u.role, u.position,"
    " u.credential_label FROM users u LEFT JOIN agencies a ON a.id = u.agency_id"
)


def hash_token(token: str) -> str:
    """Return the digest under which a bearer token is stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _user(row: Row) -> User:
    return User(
        id=row["id"],
        agency_id=row["agency_id"],
        organ_id=row["organ_id"],
        display_name=row["display_name"],
        role=Role(row["role"]),
        position=row["position"],
        credential_label=row["credential_label"],
    )


async def insert_user(
    tx: Tx,
    *,
    agency_id: int | None,
    display_name: str,
    role: Role,
    token_sha256: str,
    position: str | None,
    credential_label: str | None,
    at: datetime,
) -> User:
    user_id = await tx.execute(
        "INSERT INTO users (agency_id, display_name, role, position, token_sha256,"
        " credential_label, created_at) VALUES (?,?,?,?,?,?,?)",
        (
            agency_id,
            display_name,
            role.value,
            position,
            token_sha256,
            credential_label,
            at.isoformat(),
        ),
    )
    found = await get_user(tx, user_id)
    assert found is not None
    return found


async def get_user(db: Reader, user_id: int) -> User | None:
    row = await db.fetch_one(_SELECT + " WHERE u.id = ?", (user_id,))
    return None if row is None else _user(row)


async def find_user_by_token_hash(db: Reader, token_sha256: str) -> User | None:
    row = await db.fetch_one(_SELECT + " WHERE u.token_sha256 = ?", (token_sha256,))
    return None if row is None else _user(row)
