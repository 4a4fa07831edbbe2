"""Who is calling: a bearer token, or a registered TLS client certificate.

A missing, malformed, unknown, expired or revoked token gets one and the
same answer, so the answer tells nothing about which tokens exist or which
part was wrong. Tokens are random values of high entropy; a lookup by their
digest needs no constant-time comparison. A client that sent no token but a
certificate the handshake verified (:mod:`edocx.web.clientcerts`) is the
user the certificate was registered for.

A request with more than one ``Authorization`` field is refused outright
(400 ``authorization-ambiguous``): which of them a proxy, a logger or the
hub would take differs, and taking the first would let a second credential
ride along unseen.
"""

from __future__ import annotations

from datetime import UTC, datetime

from aiohttp import web

from edocx.store.db import Database
from edocx.store.models import Role, User
from edocx.store.users import (
    find_user_by_certificate,
    find_user_by_token_hash,
    hash_token,
)
from edocx.web.clientcerts import peer_certificate_digest
from edocx.web.problems import (
    AuthorizationAmbiguousError,
    RoleNotAllowedError,
    UnauthenticatedError,
)

_MAX_TOKEN = 512


async def authenticate(
    request: web.Request, db: Database, *, at: datetime | None = None
) -> User:
    """Return the user the request's token (or client certificate) belongs to.

    ``at`` is the time of the request (default: now), against which expiry
    is judged.
    """
    at = at or datetime.now(UTC)
    given = _authorization(request)
    if given is None:
        digest = peer_certificate_digest(request)
        if digest is not None:
            return await _by_certificate(db, digest, at)
        raise _refused()

    scheme, _, token = given.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(token) > _MAX_TOKEN:
        raise _refused()
    # The hub's tokens are ASCII; bytes that are not UTF-8 reach here as
    # surrogates, which no token is and which cannot be hashed.
    if not token.isascii():
        raise _refused()

    # One statement: no snapshot transaction around it (two trips fewer to
    # the database thread on every request).
    async with db.read(snapshot=False) as reader:
        user = await find_user_by_token_hash(reader, hash_token(token), at=at)
    if user is None:
        raise _refused()
    return user


def _authorization(request: web.Request) -> str | None:
    fields = request.headers.getall("Authorization", [])
    if len(fields) > 1:
        raise AuthorizationAmbiguousError(
            f"the request has {len(fields)} Authorization fields",
            hint="send one 'Authorization: Bearer <token>' field",
        )
    return fields[0] if fields else None


async def _by_certificate(db: Database, digest: str, at: datetime) -> User:
    async with db.read(snapshot=False) as reader:
        user = await find_user_by_certificate(reader, digest, at=at)
    if user is None:
        raise _refused()
    return user


def authorize(user: User, roles: frozenset[Role], operation: str) -> None:
    if user.role not in roles:
        allowed = ", ".join(sorted(role.value for role in roles))
        raise RoleNotAllowedError(
            f"role {user.role.value} may not {operation}",
            hint=f"this operation is for: {allowed}",
        )


def _refused() -> UnauthenticatedError:
    return UnauthenticatedError(
        "missing or invalid credentials",
        hint="send 'Authorization: Bearer <token>' with a token the hub issued"
        " in force, or a client certificate registered with the hub",
    )
