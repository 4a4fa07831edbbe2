"""``edocx token`` and ``edocx clientcert``: the operator's access commands.

``edocx token issue USER [--days N]`` gives a user a new bearer token and
prints it once (only its digest is kept; the earlier token stops working);
when the demo's token file holds the user's earlier token, the new one
takes its place there. ``edocx token revoke USER`` locks the user out: it
withdraws the token and every client certificate registered for the user
(a withdrawn certificate is never registered again). ``edocx
clientcert register USER CERT`` lets an agency's system log in with that TLS
client certificate, which must name the system's agency
(:func:`edocx.web.clientcerts.agency_mismatch`); ``edocx clientcert revoke
CERT`` withdraws it. Each change is entered in the audit log in the same
transaction.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from cryptography import x509

from edocx.audit.events import record_event
from edocx.bootstrap import demo_tokens_path
from edocx.config import Settings
from edocx.errors import InputError
from edocx.secretfile import write_private_file
from edocx.store.db import Database, Tx
from edocx.store.models import Role, User
from edocx.store.users import (
    MAX_TOKEN_DAYS,
    certificate_holder,
    get_user,
    hash_token,
    issue_token,
    register_client_certificate,
    revoke_client_certificate,
    revoke_token,
    token_digest,
    withdraw_client_certificates,
)
from edocx.vntime import iso_vietnam
from edocx.web.clientcerts import (
    agency_mismatch,
    certificate_digest,
    issued_by_any,
    load_client_cas,
    read_client_certificate,
)

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
    register.add_argument("certificate", type=Path, help="the certificate (PEM or DER)")
    register.set_defaults(run=run_cert_register)
    withdraw = cert_actions.add_parser("revoke", help="withdraw a certificate")
    withdraw.add_argument("certificate", type=Path, help="the certificate (PEM or DER)")
    withdraw.set_defaults(run=run_cert_revoke)


def run_token_issue(args: argparse.Namespace, settings: Settings) -> int:
    if args.days is not None and not 1 <= args.days <= MAX_TOKEN_DAYS:
        raise AccessRefusedError(f"--days must be 1 to {MAX_TOKEN_DAYS}")
    valid_for = None if args.days is None else timedelta(days=args.days)
    at = datetime.now(UTC)

    async def change(tx: Tx) -> tuple[str, str | None]:
        agency = await _agency_of(tx, args.user)
        earlier = await token_digest(tx, args.user)
        token = await issue_token(tx, args.user, at=at, valid_for=valid_for)
        await _audit(tx, at, agency, "user.token.issue", str(args.user))
        return token, earlier

    token, earlier = _run(settings, change)
    # The one place the token is shown; it is not logged.
    print(token)
    if earlier is not None and _replace_demo_token(settings, earlier, token):
        print(f"replaced in {demo_tokens_path(settings)}", file=sys.stderr)
    return 0


def run_token_revoke(args: argparse.Namespace, settings: Settings) -> int:
    """Lock the user out: revoke the token, withdraw its client certificates."""
    at = datetime.now(UTC)

    async def change(tx: Tx) -> tuple[bool, list[str]]:
        agency = await _agency_of(tx, args.user)
        done = await revoke_token(tx, args.user, at=at)
        if done:
            await _audit(tx, at, agency, "user.token.revoke", str(args.user))
        withdrawn = await withdraw_client_certificates(tx, args.user, at=at)
        for digest in withdrawn:
            await _audit(tx, at, agency, "user.clientcert.revoke", digest)
        return done, withdrawn

    done, withdrawn = _run(settings, change)
    print("token revoked" if done else "token already revoked", file=sys.stderr)
    for digest in withdrawn:
        print(f"client certificate {digest} withdrawn", file=sys.stderr)
    return 0


def run_cert_register(args: argparse.Namespace, settings: Settings) -> int:
    cert = _read_certificate(args.certificate)
    digest, at = certificate_digest(cert), datetime.now(UTC)
    _check_issuer(cert, settings)

    async def change(tx: Tx) -> bool:
        user = await _user(tx, args.user, system=True)
        _check_certificate(cert, user, at)
        if await _registered_to(tx, digest, user.id):
            return False

        await register_client_certificate(
            tx, user.id, sha256=digest, subject=cert.subject.rfc4514_string(),
            not_after=cert.not_valid_after_utc, at=at,
        )  # fmt: skip
        await _audit(tx, at, user.agency_id, "user.clientcert.register", digest)
        return True

    registered = _run(settings, change)
    print(digest)
    if not registered:
        print(f"already registered to user {args.user}", file=sys.stderr)
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


async def _agency_of(tx: Tx, user_id: int) -> int | None:
    return (await _user(tx, user_id)).agency_id


async def _user(tx: Tx, user_id: int, *, system: bool = False) -> User:
    user = await get_user(tx, user_id)
    if user is None:
        raise AccessRefusedError(f"no user {user_id}")
    if system and user.role is not Role.SYSTEM:
        raise AccessRefusedError(
            f"user {user_id} is {_article(user.role.value)} {user.role.value},"
            " not an agency's system",
            hint="client certificates are for agencies' document systems",
        )
    return user


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


def _check_certificate(cert: x509.Certificate, user: User, at: datetime) -> None:
    # The handshake maps a certificate to its user by digest alone: the one
    # check that it is the agency's own is made here.
    problem = agency_mismatch(cert, user.organ_id or "")
    if problem is not None:
        raise AccessRefusedError(
            f"{problem}: not registered for user {user.id}",
            hint="register a certificate whose subject carries the agency's"
            " code (organizationIdentifier, UID or serialNumber)",
        )
    if cert.not_valid_after_utc <= at:
        raise AccessRefusedError(
            "the certificate expired on " + iso_vietnam(cert.not_valid_after_utc)
        )
    if cert.not_valid_before_utc > at:
        raise AccessRefusedError(
            "the certificate is valid from " + iso_vietnam(cert.not_valid_before_utc),
            hint="register it once it is valid; until then it cannot log in",
        )


def _check_issuer(cert: x509.Certificate, settings: Settings) -> None:
    # A certificate no CA of the handshake issued could never log in; its
    # registration would only look like access given.
    paths = settings.http.tls_client_cas
    if paths and not issued_by_any(cert, load_client_cas(paths)):
        raise AccessRefusedError(
            "the certificate was not issued by a CA of http.tls_client_cas"
            f" (its issuer: {cert.issuer.rfc4514_string()})",
            hint="list its issuing CA in http.tls_client_cas, or register a"
            " certificate one of them issued",
        )
    # TODO(#8): a certificate of an intermediate CA that is not listed
    # (the client sends it in the handshake) is refused here; the chain is
    # not built from the CAs the certificate's file carries.


async def _registered_to(tx: Tx, digest: str, user_id: int) -> bool:
    """Whether the certificate is registered to the user already; refuse it
    when it is another user's or was withdrawn."""
    holder = await certificate_holder(tx, digest)
    if holder is None:
        return False
    if holder.revoked_at is not None:
        withdrawn = iso_vietnam(datetime.fromisoformat(holder.revoked_at))
        raise AccessRefusedError(
            f"the certificate was withdrawn on {withdrawn}",
            hint="a withdrawn certificate is not registered again; register a new one",
        )
    if holder.user_id != user_id:
        raise AccessRefusedError(
            f"the certificate is registered to user {holder.user_id}",
            hint="a certificate logs in as one system; withdraw it there and"
            " register a new one for this system",
        )
    return True


def _replace_demo_token(settings: Settings, earlier: str, token: str) -> bool:
    """Put ``token`` in the demo's token file where the token of digest
    ``earlier`` stood; False when the file is absent or does not hold it."""
    path = demo_tokens_path(settings)
    try:
        tokens = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return False
    except (OSError, ValueError) as e:
        print(f"edocx: {path} left as it was: {e}", file=sys.stderr)
        return False

    replaced = False
    groups = tokens.values() if isinstance(tokens, dict) else ()
    for people in (group for group in groups if isinstance(group, dict)):
        for key, value in people.items():
            if isinstance(value, str) and hash_token(value) == earlier:
                people[key], replaced = token, True
    if replaced:
        # Written aside and renamed over: a crash leaves the old file whole.
        aside = path.with_name(path.name + ".new")
        text = json.dumps(tokens, ensure_ascii=False, indent=2)
        write_private_file(aside, text.encode("utf-8"))
        os.replace(aside, path)
    return replaced


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
        return read_client_certificate(path.read_bytes())
    except OSError as e:
        raise AccessRefusedError(f"cannot read {path}: {e.strerror}") from e
    except ValueError as e:
        raise AccessRefusedError(
            f"no certificate read from {path}: {e}",
            hint="give the client certificate alone, as PEM (text around it"
            " and its CAs after it may stay) or DER",
        ) from e


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
