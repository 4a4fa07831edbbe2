"""Create the embedded state under ``var/`` when it is missing.

In demo mode a first start makes the key passphrase file, the development
PKI, three demo agencies with their users and API tokens, and stand-in
seal and signature images for them. A later start finds everything in
place and changes nothing (a missing image is drawn again).
"""

from __future__ import annotations

import json
import logging
import os
import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from edocx.audit.events import record_event
from edocx.config import Settings, read_key_passphrase
from edocx.demo.agencies import (
    DEMO_AGENCIES,
    HUB_PEOPLE,
    DemoAgency,
    DemoPerson,
    demo_subscribers,
)
from edocx.errors import ConfigurationError
from edocx.pki.devpki import PKILayout, init_pki
from edocx.secretfile import write_private_file
from edocx.signing.demoimages import draw_seal, draw_signature
from edocx.store.agencies import insert_agency, list_agencies
from edocx.store.db import Database, Tx
from edocx.store.models import Role
from edocx.store.users import hash_token, insert_user

logger = logging.getLogger(__name__)

DEMO_TOKENS_FILE = "demo-tokens.json"


def demo_tokens_path(settings: Settings) -> Path:
    return settings.storage.var_dir / DEMO_TOKENS_FILE


def ensure_passphrase(settings: Settings) -> bytes:
    """Return the key passphrase; in demo mode create its file if missing."""
    path = settings.keys.passphrase_file
    if (
        settings.demo
        and path is not None
        and not path.exists()
        and not (os.environ.get("EDOCX_KEY_PASSPHRASE"))
    ):
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        write_private_file(path, secrets.token_urlsafe(32).encode("ascii"))
        logger.info("created key passphrase file %s", path)
    return read_key_passphrase(settings)


def ensure_pki(settings: Settings, *, create: bool = False) -> PKILayout:
    """Return the development PKI; create it if missing in demo mode or if asked."""
    layout = PKILayout(settings.pki.dir)
    if layout.exists():
        return layout
    if not (settings.demo or create):
        raise ConfigurationError(
            f"no PKI in {layout.dir}", hint="run `edocx pki init` or use demo mode"
        )
    passphrase = ensure_passphrase(settings)
    return init_pki(settings, passphrase, demo_subscribers(), at=datetime.now(UTC))


def ensure_demo_images(settings: Settings) -> None:
    """Draw the demo agencies' seals and their signers' signatures if missing."""
    folder = settings.stamps.images_dir
    folder.mkdir(parents=True, exist_ok=True)
    drawn = 0
    for demo in DEMO_AGENCIES:
        drawn += _draw_once(folder / f"seal-{demo.code}.png", draw_seal, demo.name)
        for person in demo.people:
            if person.has_certificate:
                path = folder / f"signature-{demo.person_label(person)}.png"
                drawn += _draw_once(path, draw_signature, person.full_name)
    if drawn:
        logger.info("drew %d demo stamp image(s) in %s", drawn, folder)


def _draw_once(path: Path, draw: Callable[[str], bytes], name: str) -> int:
    if path.exists():
        return 0
    path.write_bytes(draw(name))
    return 1


async def ensure_demo_agencies(settings: Settings, db: Database) -> None:
    """Create the demo agencies and users once; write their tokens for the demo."""
    ensure_demo_images(settings)
    async with db.read() as reader:
        if await list_agencies(reader):
            return

    at = datetime.now(UTC)
    tokens: dict[str, dict[str, str]] = {}
    async with db.write() as tx:
        for demo in DEMO_AGENCIES:
            tokens[demo.key] = await _create_agency(tx, demo, at)
        tokens["hub"] = {}
        for person in HUB_PEOPLE:
            tokens["hub"][person.key] = await _create_user(tx, None, person, None, at)

    text = json.dumps(tokens, ensure_ascii=False, indent=2)
    write_private_file(demo_tokens_path(settings), text.encode("utf-8"))
    logger.info("created demo agencies; tokens in %s", demo_tokens_path(settings))


async def seed_demo(settings: Settings) -> dict[str, dict[str, str]]:
    """Open the database, create the demo directory once; return its tokens.

    For a scratch hub (benches, tests) that is not running yet.
    """
    db = Database(settings.storage.db_path)
    await db.open()
    try:
        await ensure_demo_agencies(settings, db)
    finally:
        await db.close()
    return read_demo_tokens(settings)


def read_demo_tokens(settings: Settings) -> dict[str, dict[str, str]]:
    """Return the demo users' tokens by agency key and person."""
    tokens: dict[str, dict[str, str]] = json.loads(
        demo_tokens_path(settings).read_text(encoding="utf-8")
    )
    return tokens


async def _create_agency(tx: Tx, demo: DemoAgency, at: datetime) -> dict[str, str]:
    agency = await insert_agency(
        tx,
        organ_id=demo.code,
        name=demo.name,
        abbreviation=demo.abbreviation,
        place=demo.place,
        seal_credential=demo.seal_label,
        at=at,
    )
    await record_event(
        tx,
        at=at,
        actor=None,
        agency=agency.id,
        action="agency.create",
        object_type="agency",
        object_id=demo.code,
    )
    tokens = {"organ_id": demo.code, "name": demo.name}
    for person in demo.people:
        label = demo.person_label(person) if person.has_certificate else None
        tokens[person.key] = await _create_user(tx, agency.id, person, label, at)
    return tokens


async def _create_user(
    tx: Tx, agency_id: int | None, person: DemoPerson, label: str | None, at: datetime
) -> str:
    token = "edx_" + secrets.token_urlsafe(32)
    user = await insert_user(
        tx,
        agency_id=agency_id,
        display_name=person.full_name,
        role=Role(person.role),
        token_sha256=hash_token(token),
        position=person.position,
        credential_label=label,
        at=at,
    )
    await record_event(
        tx,
        at=at,
        actor=None,
        agency=agency_id,
        action="user.create",
        object_type="user",
        object_id=str(user.id),
        details={"role": person.role},
    )
    return token
