"""A hub killed in the middle of an issue: the retry with the same key runs again.

The real service in a subprocess; the clerk's issue is cut by SIGKILL while
its number is reserved (the seal being made in a worker). At the next start
the number is voided with its reason and the request's Idempotency-Key is
released: the same request, same key, issues the document with the next
number, and a further retry replays that answer.
"""

from __future__ import annotations

import asyncio
import sqlite3
import uuid as uuidlib
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from edocx.config import Settings
from edocx.demo.client import HubClient
from tests.web.hubkit import B, seed_demo

from .servekit import ServedHub, bearer

pytestmark = [pytest.mark.slow, pytest.mark.asyncio(loop_scope="function")]

HEADER = {
    "type": "Quyết định",
    "subject": "V/v thử dừng dịch vụ giữa lúc ban hành",
    "signer": {"name": "Nguyễn Văn Thành", "position": "Chủ tịch"},
    "recipients": [B],
}


def _register(db_path: Path) -> list[tuple[int, str, str | None]]:
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as conn:
        rows = conn.execute(
            "SELECT number, state, reason FROM number_register ORDER BY number"
        ).fetchall()
    return [(int(n), str(s), r) for n, s, r in rows]


async def _reserved(db_path: Path, within_s: float) -> bool:
    # Polled from a thread: the hub holds the file open in WAL mode.
    for _ in range(int(within_s / 0.005)):
        states = await asyncio.to_thread(_register, db_path)
        if any(state == "reserved" for _, state, _ in states):
            return True
        await asyncio.sleep(0.005)
    return False


async def _issue(
    http: aiohttp.ClientSession, hub: ServedHub, token: str, doc: str, key: str
) -> tuple[int, dict[str, Any]]:
    headers = bearer(token, **{"Idempotency-Key": key})
    async with http.post(f"{hub.api}/documents/{doc}/issue", headers=headers) as got:
        return got.status, await got.json(content_type=None)


async def test_a_retry_after_a_kill_during_the_issue_issues_once(
    scratch_settings: Settings, sample_pdf: bytes
) -> None:
    tokens = await seed_demo(scratch_settings)
    clerk, signer = tokens["a"]["clerk"], tokens["a"]["signer"]
    db_path = scratch_settings.storage.db_path
    hub = ServedHub(scratch_settings)
    key = str(uuidlib.uuid4())
    try:
        async with aiohttp.ClientSession() as http:
            await hub.start()
            draft = await HubClient(http, hub.base, clerk).create_draft(
                HEADER, sample_pdf, "quyet-dinh.pdf"
            )
            doc = str(draft["document"]["id"])
            await HubClient(http, hub.base, signer).sign(doc)

            cut = asyncio.ensure_future(_issue(http, hub, clerk, doc, key))
            assert await _reserved(db_path, within_s=30), "no number was reserved"
            hub.kill()
            with pytest.raises(aiohttp.ClientError):
                await cut
            assert _register(db_path) == [(1, "reserved", None)]

            await hub.start()
            status, body = await _issue(http, hub, clerk, doc, key)
            assert status == 200, body
            again, replayed = await _issue(http, hub, clerk, doc, key)
            hub.stop()
    finally:
        hub.kill()

    assert body["number"] == "02", body
    assert (again, replayed) == (200, body)
    register = _register(db_path)
    assert [(n, s) for n, s, _ in register] == [(1, "voided"), (2, "issued")]
    assert "stopped" in str(register[0][2])
