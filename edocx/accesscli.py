"""``edocx token`` and ``edocx clientcert``: the operator's access commands.

``edocx token issue USER [--days N]`` gives a user a new bearer token and
prints it once (only its digest is kept; the earlier token stops working);
``edocx token revoke USER`` withdraws it. ``edocx clientcert register USER
CERT.pem`` lets an agency's system log in with that TLS client certificate;
``edocx clientcert revoke CERT.pem`` withdraws it. Each change is entered in
the audit log in the same transaction.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from cryptography import x509

from edocx.audit.events import record_event
from edocx.config import Settings
from edocx.errors import InputError
from edocx.store.db import Database, Tx
from edocx.store.models import Role
from edocx.store.users import (
    get_user,
    issue_token,
    register_client_certificate,
    revoke_client_certificate,
    revoke_token,
)
from edocx.web.clientcerts import certificate_digest

T = TypeVar("T")


class AccessRefusedError(InputError):
    code = "access-change-refused"
    title = "The access change cannot be made"


def add_parsers(commands: Any) -> None:
    """Add ``token`` and ``clientcert`` to the ``edocx`` subcommands."""
    token = commands.add_parser("token", help="users' bearer tokens")
    actions = token.add_subparsers(dest="token_command", required=True)
    issue = actions.add_parser("issue", help="give a user a new token (printed once)")
    issue.add_argument("user", type=int, help="the user's id")
    issue.add_argument("--days", type=int, default=None, help="expire after N days")
    issue.set_defaults(run=run_token_issue)
    revoke = actions.add_parser("revoke", help="withdraw a user's token")
    revoke.add_argument("user", type=int, help="the user's id")
    revoke.set_defaults(run=run_token_revoke)

    cert = commands.add_parser("clientcert", help="TLS client certificates")
    cert_actions = cert.add_subparsers(dest="clientcert_command", required=True)
    register = cert_actions.add_parser("register", help="let a system log in by it")
    register.add_argument("user", type=int, help="the id of the system's user")
    register.add_argument("certificate", type=Path, help="the certificate (PEM)")
    register.set_defaults(run=run_cert_register)
    withdraw = cert_actions.add_parser("revoke", help="withdraw a certificate")
    withdraw.add_argument("certificate", type=Path, help="the certificate (PEM)")
    withdraw.set_defaults(run=run_cert_revoke)


def run_token_issue(args: argparse.Namespace, settings: Settings) -> int:
    if args.days is not None and args.days < 1:
        raise AccessRefusedError("--days must be 1 or more")
    valid_for = None if args.days is None else timedelta(days=args.days)
    at = datetime.now(UTC)

    async def change(tx: Tx) -> str:
        agency = await _agency_of(tx, args.user)
        token = await issue_token(tx, args.user, at=at, valid_for=valid_for)
        await _audit(tx, at, agency, "user.token.issue", str(args.user))
        return token

    # The one place the token is shown; it is not logged.
    print(_run(settings, change))
    return 0


def run_token_revoke(args: argparse.Namespace, settings: Settings) -> int:
    at = datetime.now(UTC)

    async def change(tx: Tx) -> bool:
        agency = await _agency_of(tx, args.user)
        done = await revoke_token(tx, args.user, at=at)
        if done:
            await _audit(tx, at, agency, "user.token.revoke", str(args.user))
        return done

    done = _run(settings, change)
    print("revoked" if done else "already revoked", file=sys.stderr)
    return 0


def run_cert_register(args: argparse.Namespace, settings: Settings) -> int:
    cert = _read_certificate(args.certificate)
    digest, at = certificate_digest(cert), datetime.now(UTC)

    async def change(tx: Tx) -> None:
        agency = await _agency_of(tx, args.user, system=True)
        await register_client_certificate(
            tx, args.user, sha256=digest, subject=cert.subject.rfc4514_string(),
            not_after=cert.not_valid_after_utc, at=at,
        )  # fmt: skip
        await _audit(tx, at, agency, "user.clientcert.register", digest)

    _run(settings, change)
    print(digest)
    return 0


def run_cert_revoke(args: argparse.Namespace, settings: Settings) -> int:
    digest, at = (
        certificate_digest(_read_certificate(args.certificate)),
        datetime.now(UTC),
    )

    async def change(tx: Tx) -> bool:
        done = await revoke_client_certificate(tx, digest, at=at)
        if done:
            await _audit(tx, at, None, "user.clientcert.revoke", digest)
        return done

    done = _run(settings, change)
    print("revoked" if done else "unknown or already revoked", file=sys.stderr)
    return 0 if done else 1


async def _agency_of(tx: Tx, user_id: int, *, system: bool = False) -> int | None:
    user = await get_user(tx, user_id)
    if user is None:
        raise AccessRefusedError(f"no user {user_id}")
    if system and user.role is not Role.SYSTEM:
        raise AccessRefusedError(
            f"user {user_id} is a {user.role.value}, not an agency's system",
            hint="client certificates are for agencies' document systems",
        )
    return user.agency_id


async def _audit(
    tx: Tx, at: datetime, agency: int | None, action: str, object_id: str
) -> None:
    kind = "client-certificate" if "clientcert" in action else "user"
    await record_event(
        tx, at=at, actor=None, agency=agency, action=action,
        object_type=kind, object_id=object_id,
    )  # fmt: skip


def _read_certificate(path: Path) -> x509.Certificate:
    try:
        data = path.read_bytes()
        if data.lstrip().startswith(b"-----"):
            return x509.load_pem_x509_certificate(data)
        return x509.load_der_x509_certificate(data)
    except (OSError, ValueError) as e:
        raise AccessRefusedError(f"cannot read the certificate {path}: {e}") from e


def _run(settings: Settings, change: Callable[[Tx], Awaitable[T]]) -> T:
    async def run() -> T:
        db = Database(settings.storage.db_path)
        await db.open()
        try:
            async with db.write() as tx:
                return await change(tx)
        finally:
            await db.close()

    return asyncio.run(run())
