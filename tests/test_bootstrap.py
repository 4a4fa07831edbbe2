"""The first start creates the embedded state; a second start changes nothing."""

from __future__ import annotations

import json
from pathlib import Path

from edocx.bootstrap import demo_tokens_path, ensure_demo_agencies, ensure_pki
from edocx.config import Settings
from edocx.pki.devpki import PKILayout
from edocx.store.db import Database
from edocx.store.users import find_user_by_token_hash, hash_token


def _fresh_settings(base: Settings, var: Path) -> Settings:
    return base.model_copy(
        update={
            "storage": base.storage.model_copy(update={"var_dir": var}),
            "pki": base.pki.model_copy(update={"dir": var / "pki"}),
            "keys": base.keys.model_copy(
                update={"passphrase_file": var / "secrets" / "key-passphrase"}
            ),
        }
    )


async def _start(settings: Settings) -> None:
    ensure_pki(settings)
    db = Database(settings.storage.db_path)
    await db.open()
    try:
        await ensure_demo_agencies(settings, db)
    finally:
        await db.close()


async def test_second_start_reuses_state(
    tmp_path: Path, test_settings: Settings
) -> None:
    settings = _fresh_settings(test_settings, tmp_path / "var")
    layout = PKILayout(settings.pki.dir)

    await _start(settings)
    root = layout.root_cert_path.read_bytes()
    tokens = json.loads(demo_tokens_path(settings).read_text("utf-8"))
    await _start(settings)

    assert layout.root_cert_path.read_bytes() == root
    assert json.loads(demo_tokens_path(settings).read_text("utf-8")) == tokens
    assert (settings.keys.passphrase_file.stat().st_mode & 0o777) == 0o600  # type: ignore[union-attr]
    assert {"a", "b", "c", "hub"} <= tokens.keys()
    db = Database(settings.storage.db_path)
    await db.open()
    try:
        async with db.read() as reader:
            user = await find_user_by_token_hash(
                reader, hash_token(tokens["a"]["signer"])
            )
    finally:
        await db.close()
    assert user is not None and user.role.value == "signer"
