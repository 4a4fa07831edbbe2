"""Bearer tokens: random, stored as digests, expiring, revocable, no oracle."""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
import stat
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from multidict import CIMultiDict

from edocx.cli import main
from edocx.store.db import Database
from edocx.store.users import hash_token, issue_token, revoke_token
from tests.web.hubkit import Hub, problem

pytestmark = pytest.mark.asyncio(loop_scope="module")

ME = "/api/v1/me"


async def _me(hub: Hub, authorization: str | None) -> tuple[int, Any]:
    headers = {} if authorization is None else {"Authorization": authorization}
    response = await hub.client.get(ME, headers=headers)
    return response.status, await response.json(content_type=None)


async def _user_id(hub: Hub, agency: str, person: str) -> int:
    status, body = await _me(hub, hub.auth(agency, person)["Authorization"])
    assert status == 200, body
    return int(body["id"])


async def _change(hub: Hub, work: Any) -> Any:
    db = Database(hub.settings.storage.db_path)
    await db.open()
    try:
        async with db.write() as tx:
            return await work(tx)
    finally:
        await db.close()


async def test_tokens_are_random_and_only_their_digests_are_stored(hub: Hub) -> None:
    tokens = [t for people in hub.tokens.values() for k, t in people.items()
              if k not in ("organ_id", "name")]  # fmt: skip
    assert len(set(tokens)) == len(tokens) > 10
    for token in tokens:
        # 256 bits in URL-safe base64 after the prefix.
        assert re.fullmatch(r"edx_[A-Za-z0-9_-]{43}", token), token

    with sqlite3.connect(hub.settings.storage.db_path) as conn:
        stored = {row[0] for row in conn.execute("SELECT token_sha256 FROM users")}
    assert {hash_token(t) for t in tokens} <= stored
    raw = b"".join(
        p.read_bytes() for p in hub.settings.storage.var_dir.glob("*.sqlite3*")
    )
    assert not [t for t in tokens if t.encode() in raw]


async def test_every_failed_login_gets_the_same_answer(hub: Hub) -> None:
    signer = await _user_id(hub, "b", "signer")
    expired = await _change(
        hub, lambda tx: issue_token(tx, signer, at=datetime.now(UTC) - timedelta(
            days=2), valid_for=timedelta(days=1)),
    )  # fmt: skip
    clerk = await _user_id(hub, "b", "clerk")
    revoked = await _change(
        hub, lambda tx: issue_token(tx, clerk, at=datetime.now(UTC))
    )
    assert (await _me(hub, "Bearer " + revoked))[0] == 200
    await _change(hub, lambda tx: revoke_token(tx, clerk, at=datetime.now(UTC)))

    attempts = {
        "none": None,
        "empty": "Bearer ",
        "other scheme": "Basic " + hub.tokens["a"]["signer"],
        "unknown": "Bearer edx_" + "A" * 43,
        "almost right": "Bearer " + hub.tokens["a"]["signer"][:-1] + "x",
        "too long": "Bearer " + "x" * 5000,
        "expired": "Bearer " + expired,
        "revoked": "Bearer " + revoked,
    }
    answers = {name: await _me(hub, value) for name, value in attempts.items()}
    assert {status for status, _ in answers.values()} == {401}
    bodies = {str(sorted(body.items())) for _, body in answers.values()}
    assert len(bodies) == 1, answers
    # A system logs in by certificate as well: the title names no scheme.
    title = answers["none"][1]["title"]
    assert title == "Valid credentials are required"


async def test_a_new_token_replaces_the_old_and_expires_when_told(hub: Hub) -> None:
    user = await _user_id(hub, "c", "system")
    old = hub.tokens["c"]["system"]
    now = datetime.now(UTC)
    new = await _change(
        hub, lambda tx: issue_token(tx, user, at=now, valid_for=timedelta(hours=1))
    )
    assert (await _me(hub, "Bearer " + old))[0] == 401
    status, body = await _me(hub, "Bearer " + new)
    assert (status, body["id"]) == (200, user)

    # Valid for two seconds, then refused.
    short = await _change(
        hub, lambda tx: issue_token(tx, user, at=datetime.now(UTC),
                                    valid_for=timedelta(seconds=2)),
    )  # fmt: skip
    assert (await _me(hub, "Bearer " + new))[0] == 401
    assert (await _me(hub, "Bearer " + short))[0] == 200
    await asyncio.sleep(2.2)
    assert (await _me(hub, "Bearer " + short))[0] == 401


async def _cli(*argv: str) -> int:
    # The command runs its own event loop, as from a shell.
    return await asyncio.to_thread(main, list(argv))


async def test_the_command_line_issues_and_revokes(
    hub: Hub, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("EDOCX_STORAGE__VAR_DIR", str(hub.settings.storage.var_dir))
    user = await _user_id(hub, "a", "certifier")

    assert await _cli("token", "issue", str(user), "--days", "1") == 0
    token = capsys.readouterr().out.strip()
    status, body = await _me(hub, "Bearer " + token)
    assert (status, body["id"]) == (200, user)
    with sqlite3.connect(hub.settings.storage.db_path) as conn:
        expires = conn.execute(
            "SELECT token_expires_at FROM users WHERE id = ?", (user,)
        ).fetchone()[0]
    left = datetime.fromisoformat(expires) - datetime.now(UTC)
    assert timedelta(hours=23) < left <= timedelta(days=1)

    assert await _cli("token", "revoke", str(user)) == 0
    assert (await _me(hub, "Bearer " + token))[0] == 401
    assert await _cli("token", "issue", "999999") == 1
    assert "no user 999999" in capsys.readouterr().err


@pytest.mark.parametrize("days", ["0", "-3", "36501", "99999999"])
async def test_token_issue_refuses_a_life_out_of_bounds(
    hub: Hub,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    days: str,
) -> None:
    monkeypatch.setenv("EDOCX_STORAGE__VAR_DIR", str(hub.settings.storage.var_dir))
    user = await _user_id(hub, "c", "clerk")
    capsys.readouterr()  # only the command's own words from here

    assert await _cli("token", "issue", str(user), "--days", days) == 1

    err = capsys.readouterr().err
    assert "--days must be 1 to 36500" in err and "Traceback" not in err
    assert (await _me(hub, hub.auth("c", "clerk")["Authorization"]))[0] == 200


async def test_the_longest_token_life_is_accepted_and_no_longer(hub: Hub) -> None:
    user, now = await _user_id(hub, "c", "certifier"), datetime.now(UTC)
    with pytest.raises(ValueError, match="up to 36500 days"):
        await _change(hub, lambda tx: issue_token(
            tx, user, at=now, valid_for=timedelta(days=99999999)))  # fmt: skip

    token = await _change(hub, lambda tx: issue_token(
        tx, user, at=now, valid_for=timedelta(days=36500)))  # fmt: skip

    assert (await _me(hub, "Bearer " + token))[0] == 200


@pytest.mark.parametrize("second", ["same", "wrong", "other user's"])
@pytest.mark.parametrize(("method", "path"), [("GET", ME), ("POST", "/api/v1/verify")])
async def test_two_authorization_fields_are_refused(
    hub: Hub, method: str, path: str, second: str
) -> None:
    first = hub.tokens["a"]["clerk"]
    other = {"same": first, "wrong": "edx_" + "A" * 43,
             "other user's": hub.tokens["b"]["system"]}[second]  # fmt: skip
    headers = CIMultiDict(
        [("Authorization", "Bearer " + first), ("Authorization", "Bearer " + other)]
    )

    response = await hub.client.request(method, path, headers=headers, data=b"x")

    body = await problem(response, 400, "authorization-ambiguous")
    assert "2 Authorization fields" in body["detail"]


async def test_token_issue_replaces_the_users_token_in_the_demo_file(
    hub: Hub, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("EDOCX_STORAGE__VAR_DIR", str(hub.settings.storage.var_dir))
    path = hub.settings.storage.var_dir / "demo-tokens.json"
    before = json.loads(path.read_text("utf-8"))
    user = await _user_id(hub, "a", "system")

    assert await _cli("token", "issue", str(user)) == 0

    out, err = capsys.readouterr()
    token = out.strip()
    after = json.loads(path.read_text("utf-8"))
    assert after["a"]["system"] == token != before["a"]["system"]
    after["a"]["system"] = before["a"]["system"]
    assert after == before
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert f"replaced in {path}" in err
    assert (await _me(hub, "Bearer " + token))[0] == 200


async def test_token_issue_leaves_a_demo_file_without_the_users_token(
    hub: Hub, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("EDOCX_STORAGE__VAR_DIR", str(hub.settings.storage.var_dir))
    path = hub.settings.storage.var_dir / "demo-tokens.json"
    user = await _user_id(hub, "b", "certifier")
    # A token given outside the file: the file no longer names the user.
    await _change(hub, lambda tx: issue_token(tx, user, at=datetime.now(UTC)))
    before = path.read_bytes()

    assert await _cli("token", "issue", str(user)) == 0

    assert path.read_bytes() == before
    assert "replaced in" not in capsys.readouterr().err
