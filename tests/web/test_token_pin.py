"""A token PIN the token refuses: the hub will not start, and never retries.

Each test makes its own SoftHSM2 token, so that its failed-login mark
(CKF_USER_PIN_COUNT_LOW, set by a refused login and cleared by a right one)
tells whether the token was offered a wrong PIN during a step.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from edocx.config import Settings, TokenKeySettings, WorkerSettings
from edocx.errors import TokenPINRefusedError, WorkerError
from edocx.pki.devpki import PKILayout
from edocx.pki.server import PKIServerThread
from edocx.pki.softhsm import create_token, import_p12
from edocx.pki.tokens import module_lib
from edocx.web.app import create_app
from edocx.web.keys import POOL
from tests.conftest import REPO_ROOT, free_port
from tests.pki.devtoken import DevToken
from tests.pki.test_tokens import log_in_rightly, pin_count_low

from .hubkit import header, hub_settings, problem, running_hub, seed_demo

SIGNER_KEY = "person-a-signer"
RIGHT, WRONG = "24682468", "99990000"


def _token_settings(
    base: Settings, var: Path, dev_token: DevToken, label: str, pin: str
) -> Settings:
    """The hub's settings with agency A's signer key in token ``label``."""
    pin_file = var.parent / f"{label}.pin"
    pin_file.write_text(pin + "\n", encoding="utf-8")
    settings = hub_settings(base, var)
    entry = TokenKeySettings(module=dev_token.module, token=label, pin_file=pin_file)
    keys = settings.keys.model_copy(update={"tokens": {SIGNER_KEY: entry}})
    workers = WorkerSettings(processes=1, task_timeout_s=60, memory_limit_mb=1536)
    return settings.model_copy(update={"keys": keys, "workers": workers})


def _token_with_signer_key(
    dev_token: DevToken, dev_pki: PKILayout, passphrase: bytes, label: str
) -> None:
    create_token(dev_token.module, label, user_pin=RIGHT, so_pin="so-pin-3")
    import_p12(
        dev_token.module, label, user_pin=RIGHT, key_label=SIGNER_KEY,
        p12=dev_pki.p12_path(SIGNER_KEY).read_bytes(), passphrase=passphrase,
    )  # fmt: skip


async def test_the_hub_refuses_to_start_with_a_wrong_pin(
    test_settings: Settings,
    dev_pki: PKILayout,
    dev_token: DevToken,
    passphrase: bytes,
    tmp_path: Path,
) -> None:
    label = "edocx-pin-start"
    _token_with_signer_key(dev_token, dev_pki, passphrase, label)
    settings = _token_settings(test_settings, tmp_path / "var", dev_token, label, WRONG)
    await seed_demo(settings)

    client: TestClient[object, object] = TestClient(TestServer(create_app(settings)))
    with pytest.raises(TokenPINRefusedError) as caught:
        await client.start_server()
    await client.close()

    assert caught.value.detail == f"the PIN of PKCS#11 token {label!r} was refused"
    assert WRONG not in caught.value.detail + str(caught.value.hint)
    assert pin_count_low(dev_token.module, label)


def test_serve_says_which_token_refused_its_pin(
    test_settings: Settings,
    dev_pki: PKILayout,
    dev_token: DevToken,
    passphrase: bytes,
    tmp_path: Path,
) -> None:
    label = "edocx-pin-serve"
    _token_with_signer_key(dev_token, dev_pki, passphrase, label)
    pin_file = tmp_path / "pin"
    pin_file.write_text(WRONG, encoding="utf-8")
    config = tmp_path / "edocx.toml"
    config.write_text(
        f'demo = true\n[http]\nhost = "127.0.0.1"\nport = {free_port()}\n'
        f'[storage]\nvar_dir = "{tmp_path / "var"}"\n'
        f'[pki]\ndir = "{test_settings.pki.dir}"\nserve = false\n'
        f'[keys]\npassphrase_file = "{test_settings.keys.passphrase_file}"\n'
        f'[keys.tokens.{SIGNER_KEY}]\nmodule = "{dev_token.module}"\n'
        f'token = "{label}"\npin_file = "{pin_file}"\n',
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("EDOCX_")}
    env["EDOCX_CONFIG"] = str(config)

    done = subprocess.run(
        [sys.executable, "-m", "edocx.cli", "serve"],
        capture_output=True, text=True, env=env, cwd=REPO_ROOT, timeout=120,
        check=False,
    )  # fmt: skip

    assert done.returncode == 1, done.stderr
    assert f"edocx: the PIN of PKCS#11 token {label!r} was refused" in done.stderr
    assert "hint: correct the token's user PIN" in done.stderr
    assert "listening" not in done.stdout
    assert WRONG not in done.stderr + done.stdout
    assert pin_count_low(dev_token.module, label)


async def test_a_pin_refused_after_the_start_is_not_offered_again(
    test_settings: Settings,
    dev_pki: PKILayout,
    pki_server: PKIServerThread,
    dev_token: DevToken,
    passphrase: bytes,
    pdfs: Path,
    tmp_path: Path,
) -> None:
    label = "edocx-pin-change"
    _token_with_signer_key(dev_token, dev_pki, passphrase, label)
    settings = _token_settings(test_settings, tmp_path / "var", dev_token, label, RIGHT)

    async with running_hub(settings) as hub:
        # The token's PIN is changed while the hub runs, and the worker that
        # logged in at the start is replaced: its successor logs in again.
        changed = "13571357"
        token = module_lib(dev_token.module).get_token(token_label=label)
        with token.open(rw=True, user_pin=RIGHT) as session:
            session.set_pin(RIGHT, changed)
        pool = hub.client.server.app[POOL]
        os.kill(await pool.run(os.getpid), signal.SIGKILL)
        with pytest.raises(WorkerError):
            await pool.run(os.getpid)

        draft = await hub.upload(
            ("a", "signer"), (pdfs / "EmptyPage.pdf").read_bytes(), header()
        )
        assert draft.status == 201, await draft.text()
        sign = f"/documents/{(await draft.json())['document']['id']}/sign"
        first = await problem(await hub.post(("a", "signer"), sign), 503,
                              "token-pin-refused")  # fmt: skip
        assert pin_count_low(dev_token.module, label)
        log_in_rightly(dev_token.module, label, changed)

        # Another worker too: the hub itself keeps the refusal.
        os.kill(await pool.run(os.getpid), signal.SIGKILL)
        with pytest.raises(WorkerError):
            await pool.run(os.getpid)
        for _ in range(3):
            again = await problem(await hub.post(("a", "signer"), sign), 503,
                                  "token-pin-refused")  # fmt: skip

    assert not pin_count_low(dev_token.module, label)
    assert label in first["detail"] and label in again["detail"]
    assert "not tried again" in again["detail"]
    assert RIGHT not in str(first) + str(again)
