"""Kill -9: what the hub acknowledged is still there after a restart."""

from __future__ import annotations

import asyncio
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest

from edocx.config import Settings
from edocx.pki.devpki import PKILayout
from edocx.pki.server import PKIServerThread
from tests.conftest import REPO_ROOT, free_port

from .hubkit import header, hub_settings, running_hub, seed_demo

pytestmark = pytest.mark.asyncio(loop_scope="function")


def _serve(settings: Settings, port: int) -> subprocess.Popen[bytes]:
    """Start ``edocx serve`` in its own process group."""
    env = {
        **os.environ,
        "EDOCX_STORAGE__VAR_DIR": str(settings.storage.var_dir),
        "EDOCX_PKI__DIR": str(settings.pki.dir),
        "EDOCX_PKI__URL": settings.pki_url,
        "EDOCX_PKI__SERVE": "false",
        "EDOCX_KEYS__PASSPHRASE_FILE": str(settings.keys.passphrase_file),
        "EDOCX_HTTP__PORT": str(port),
        "EDOCX_WORKERS__PROCESSES": "1",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "edocx.cli", "serve"],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


async def _wait_for(url: str, http: aiohttp.ClientSession) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            async with http.get(url) as response:
                if response.status == 200:
                    return
        except aiohttp.ClientConnectionError:
            pass
        await asyncio.sleep(0.2)
    raise TimeoutError(f"the hub did not start at {url}")


async def test_acknowledged_draft_survives_kill(
    test_settings: Settings,
    dev_pki: PKILayout,
    pki_server: PKIServerThread,
    pdfs: Path,
    tmp_path: Path,
) -> None:
    settings = hub_settings(test_settings, tmp_path / "var")
    tokens = await seed_demo(settings)
    port = free_port()
    base = f"http://127.0.0.1:{port}/api/v1"
    process = _serve(settings, port)
    try:
        async with aiohttp.ClientSession() as http:
            await _wait_for(base + "/openapi.json", http)
            form = aiohttp.FormData()
            form.add_field(
                "header", json.dumps(header()), content_type="application/json"
            )
            form.add_field(
                "file", io.BytesIO((pdfs / "EmptyPage.pdf").read_bytes()),
                filename="d.pdf", content_type="application/pdf",
            )  # fmt: skip
            auth = {"Authorization": "Bearer " + tokens["a"]["clerk"]}
            async with http.post(base + "/drafts", data=form, headers=auth) as resp:
                assert resp.status == 201
                created = await resp.json()
    finally:
        # No shutdown: the whole process group dies at once.
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    doc_id = created["document"]["id"]
    async with running_hub(settings) as hub:
        meta = await hub.get(("a", "clerk"), f"/documents/{doc_id}")
        assert await meta.json() == created["document"]
        pdf = await hub.get(("a", "clerk"), f"/documents/{doc_id}/pdf")
        assert pdf.status == 200
        assert await hub.count("documents") == 1
