"""Users of the hub, their bearer tokens and their TLS client certificates.

A token is 256 random bits, handed out once and stored only as its SHA-256;
it may carry an expiry and be revoked. A client certificate is stored by the
SHA-256 of its DER encoding and stands for one user, an agency's system.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from edocx.store.db import Reader, Row, Tx
from edocx.store.models import Role, User

_SELECT = (
    "SELECT u.id, u.agency_id, a.organ_id, u.display_name, u.role, u.position,"
    " u.credential_label FROM users u LEFT JOIN agencies a ON a.id = u.agency_id"
)


TOKEN_PREFIX = "edx_"
# The longest life a token may be given: a hundred years, far inside what
# datetime can count to from any date the hub runs on.
MAX_TOKEN_DAYS = 36500

# A token in force: not revoked, and unexpired at the time given.
_IN_FORCE = (
    " AND u.token_revoked_at IS NULL"
    " AND (u.token_expires_at IS NULL OR u.token_expires_at > ?)"
)


def new_token() -> str:
    """Return a fresh bearer token (256 random bits, URL-safe)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


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


async def find_user_by_token_hash(
    db: Reader, token_sha256: str, *, at: datetime | None = None
) -> User | None:
    """Return the user whose token in force has this digest.

    A revoked token finds no one; an expired one finds no one when ``at``,
    the time of the request, is given.
    """
    sql = _SELECT + " WHERE u.token_sha256 = ? AND u.token_revoked_at IS NULL"
    params: tuple[str, ...] = (token_sha256,)
    if at is not None:
        sql = _SELECT + " WHERE u.token_sha256 = ?" + _IN_FORCE
        params = (token_sha256, at.isoformat())
    row = await db.fetch_one(sql, params)
    return None if row is None else _user(row)


async def issue_token(
    tx: Tx, user_id: int, *, at: datetime, valid_for: timedelta | None = None
) -> str:
    """Give the user a new token, replacing any earlier one; return it.

    The token is answered once and never stored: only its digest is.
    Raise ValueError when ``valid_for`` is not positive or exceeds
    :data:`MAX_TOKEN_DAYS` days.
    """
    if valid_for is not None and not (
        timedelta(0) < valid_for <= timedelta(days=MAX_TOKEN_DAYS)
    ):
        raise ValueError(f"a token is valid for up to {MAX_TOKEN_DAYS} days")
    token = new_token()
    expires = None if valid_for is None else (at + valid_for).isoformat()
    await tx.execute(
        "UPDATE users SET token_sha256 = ?, token_expires_at = ?,"
        " token_revoked_at = NULL WHERE id = ?",
        (hash_token(token), expires, user_id),
    )
    if await tx.changes() != 1:
        raise LookupError(f"no user {user_id}")
    return token


async def revoke_token(tx: Tx, user_id: int, *, at: datetime) -> bool:
    """Revoke the user's token; False when it was revoked already."""
    await tx.execute(
        "UPDATE users SET token_revoked_at = ?"
        " WHERE id = ? AND token_revoked_at IS NULL",
        (at.isoformat(), user_id),
    )
    return await tx.changes() == 1


@dataclass(frozen=True)
class ClientCertificate:
    """A TLS client certificate registered for a user."""

    sha256: str
    user_id: int
    subject: str
    not_after: str
    registered_at: str
    revoked_at: str | None


async def register_client_certificate(
    tx: Tx, user_id: int, *, sha256: str, subject: str, not_after: datetime,
    at: datetime,
) -> None:  # fmt: skip
    """Let the certificate with this DER digest log in as the user."""
    await tx.execute(
        "INSERT INTO client_certificates (sha256, user_id, subject, not_after,"
        " registered_at) VALUES (?,?,?,?,?)",
        (sha256, user_id, subject, not_after.isoformat(), at.isoformat()),
    )


async def revoke_client_certificate(tx: Tx, sha256: str, *, at: datetime) -> bool:
    """Withdraw a registered certificate; False when unknown or withdrawn."""
    await tx.execute(
        "UPDATE client_certificates SET revoked_at = ?"
        " WHERE sha256 = ? AND revoked_at IS NULL",
        (at.isoformat(), sha256),
    )
    return await tx.changes() == 1


@dataclass(frozen=True)
class CertificateHolder:
    user_id: int
    revoked_at: str | None


async def certificate_holder(db: Reader, sha256: str) -> CertificateHolder | None:
    """Return whom a certificate was registered to, withdrawn or not."""
    row = await db.fetch_one(
        "SELECT user_id, revoked_at FROM client_certificates WHERE sha256 = ?",
        (sha256,),
    )
    return None if row is None else CertificateHolder(row[0], row[1])


async def token_digest(db: Reader, user_id: int) -> str | None:
    """Return the digest of the user's current token, if it has one."""
    digest = await db.fetch_value(
        "SELECT token_sha256 FROM users WHERE id = ?", (user_id,)
    )
    return None if digest is None else str(digest)


async def find_user_by_certificate(
    db: Reader, sha256: str, *, at: datetime
) -> User | None:
    """Return the user a registered, unrevoked, unexpired certificate stands for."""
    row = await db.fetch_one(
        _SELECT + " JOIN client_certificates c ON c.user_id = u.id"
        " WHERE c.sha256 = ? AND c.revoked_at IS NULL AND c.not_after > ?",
        (sha256, at.isoformat()),
    )
    return None if row is None else _user(row)


async def withdraw_client_certificates(
    tx: Tx, user_id: int, *, at: datetime
) -> list[str]:
    """Withdraw every certificate registered for the user; return their digests."""
    rows = await tx.fetch_all(
        "SELECT sha256 FROM client_certificates"
        " WHERE user_id = ? AND revoked_at IS NULL ORDER BY sha256",
        (user_id,),
    )
    await tx.execute(
        "UPDATE client_certificates SET revoked_at = ?"
        " WHERE user_id = ? AND revoked_at IS NULL",
        (at.isoformat(), user_id),
    )
    return [str(row["sha256"]) for row in rows]
