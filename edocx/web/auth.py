"""Bearer tokens: one per user, looked up by SHA-256.

A missing, malformed or unknown token gets one and the same answer, so the
answer tells nothing about which tokens exist. Tokens are random values of
high entropy; a lookup by their digest needs no constant-time comparison.
"""

from __future__ import annotations

from aiohttp import web

from edocx.store.db import Database
from edocx.store.models import Role, User
from edocx.store.users import find_user_by_token_hash, hash_token
from edocx.web.problems import RoleNotAllowedError, UnauthenticatedError

_MAX_TOKEN = 512


async def authenticate(request: web.Request, db: Database) -> User:
    """Return the user the request's bearer token belongs to."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(token) > _MAX_TOKEN:
        raise _refused()

    # One statement: no snapshot transaction around it (two trips fewer to
    # the database thread on every request).
    async with db.read(snapshot=False) as reader:
        user = await find_user_by_token_hash(reader, hash_token(token))
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
        "missing or invalid bearer token",
        hint="send 'Authorization: Bearer <token>' with a token the hub issued",
    )
