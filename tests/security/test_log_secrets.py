"""No token, passphrase, PIN, key or document byte in any log line.

The hub runs as its own process with debug logging (text lines, every
library's debug included); the demo plays the main job against it (drafts,
signatures, issue, delivery, verification, statuses), with a wrong token
and a wrong PIN-like header thrown in. Then the hub's log, and the demo's
output, are searched for every secret the run used and for document bytes.
"""

from __future__ import annotations

import base64
from pathlib import Path

import aiohttp
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from edocx.config import Settings
from edocx.demo.run import DEMO_FILES, run_demo
from edocx.pki.devpki import PKILayout
from edocx.pki.server import PKIServerThread
from tests.conftest import TEST_PASSPHRASE
from tests.faults.servekit import ServedHub
from tests.web.hubkit import hub_settings, seed_demo

pytestmark = pytest.mark.asyncio(loop_scope="function")

WRONG_TOKEN = "edx_wrong-token-that-must-not-be-logged-0123456789abcdefgh"
PIN = "PIN-4711-must-not-be-logged"


async def _hostile_calls(base: str, token: str) -> None:
    # Failed logins and secrets in odd places: all must stay out of the log.
    async with aiohttp.ClientSession() as http:
        for headers in (
            {"Authorization": "Bearer " + WRONG_TOKEN},
            {
                "Authorization": "Basic "
                + base64.b64encode(b"u:" + PIN.encode()).decode()
            },
            {"Authorization": "Bearer " + token, "X-Token-PIN": PIN},
        ):
            async with http.get(base + "api/v1/me", headers=headers) as response:
                await response.read()
        for query in ("?token=" + WRONG_TOKEN, "?" + WRONG_TOKEN):
            async with http.get(base + "api/v1/me" + query) as response:
                await response.read()


def _basic(password: str) -> str:
    return base64.b64encode(b"user:" + password.encode()).decode()


def _secrets(tokens: dict[str, dict[str, str]], pki: PKILayout) -> dict[str, str]:
    found = {"wrong token": WRONG_TOKEN, "PIN": PIN,
             "passphrase": TEST_PASSPHRASE.decode()}  # fmt: skip
    for agency, people in tokens.items():
        for person, value in people.items():
            if value.startswith("edx_"):
                found[f"token {agency}/{person}"] = value
    for path in sorted((pki.dir / "keys").glob("*.key.pem")):
        found.update(_key_marks(path))
    return found


def _key_marks(path: Path) -> dict[str, str]:
    # A line of the encrypted PEM, and the private numbers in hex and decimal.
    data = path.read_bytes()
    body = [line for line in data.decode().splitlines() if not line.startswith("-")]
    marks = {f"{path.name} PEM": body[len(body) // 2]}
    key = load_pem_private_key(data, TEST_PASSPHRASE)
    if isinstance(key, rsa.RSAPrivateKey):
        prime = key.private_numbers().p
        marks[f"{path.name} p hex"] = f"{prime:x}"[:40]
        marks[f"{path.name} p dec"] = str(prime)[:40]
    return marks


def _document_marks(pdfs: Path) -> dict[str, str]:
    marks = {"PDF header": "%PDF-", "PDF header b64": "JVBERi0",
             "PDF header hex": "255044462d"}  # fmt: skip
    for name in DEMO_FILES:
        data = (pdfs / name).read_bytes()
        middle = (len(data) // 2) // 3 * 3
        window = data[middle : middle + 48]
        marks[f"{name} hex"] = window.hex()
        marks[f"{name} b64"] = base64.b64encode(data[:48]).decode()
    return marks


async def test_the_demo_with_debug_logs_leaks_nothing(
    test_settings: Settings,
    dev_pki: PKILayout,
    pki_server: PKIServerThread,
    test_data_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = hub_settings(test_settings, tmp_path / "var")
    tokens = await seed_demo(settings)
    hub = ServedHub(settings, log_dir=tmp_path, extra_env={
        "EDOCX_WORKERS__PROCESSES": "1",
        "EDOCX_LOG_LEVEL": "DEBUG",
        # Set, though no key here is in a token: it must not show either.
        "EDOCX_TOKEN_PIN": PIN,
    })  # fmt: skip
    base = hub.base
    try:
        await hub.start()
        await _hostile_calls(base, tokens["a"]["clerk"])
        token_file = settings.storage.var_dir / "demo-tokens.json"
        status = await run_demo(
            settings, url=base, tokens=token_file, data_dir=test_data_dir
        )
        assert status == 0, capsys.readouterr().out
    finally:
        hub.stop()

    assert hub.log is not None
    text = hub.log.read_text("utf-8", errors="replace") + capsys.readouterr().out
    # The log is a debug log indeed, and saw the whole job.
    assert " DEBUG " in text or '"DEBUG"' in text, text[-2000:]
    assert "POST /api/v1/drafts" in text and "/statuses" in text
    # The probes were logged, their query strings without values.
    assert "GET /api/v1/me?token 401" in text and "GET /api/v1/me?… 401" in text
    secrets = _secrets(tokens, dev_pki)
    secrets.update(_document_marks(test_data_dir / "pdf-unsigned"))
    leaked = {name: _lines_with(text, value) for name, value in secrets.items()
              if value in text}  # fmt: skip
    assert not leaked, f"found in the logs: {leaked}"


def _lines_with(text: str, value: str) -> list[str]:
    return [line[:300] for line in text.splitlines() if value in line][:3]
