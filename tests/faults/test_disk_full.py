"""A full disk: the hub refuses what it cannot store, clearly, and recovers.

The hub's ``var/`` (database and blob store) sits on a tmpfs of its own
(:mod:`tests.faults.smalldisk`). A file fills it; sends are then refused
with the problem ``storage-full`` (507) and leave nothing stored, as is a
status; reads still answer, the health check names the blob store; once
the file is removed, sends and statuses are taken again without a restart.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from edocx.audit.treehead import SignedTreeHead
from edocx.bench.sendflows import document_packet
from edocx.config import Settings, StorageSettings
from edocx.store.db import Database
from edocx.vntime import vietnam_time
from tests.web.hubkit import PROBLEM, A, B, C, seed_demo

from .crashkit import AUDIT_ENV, Ledger, Sent, check_store, sha256
from .servekit import ServedHub, bearer
from .smalldisk import fill, small_filesystem

pytestmark = [pytest.mark.slow, pytest.mark.asyncio(loop_scope="function")]


async def _send(
    http: aiohttp.ClientSession, hub: ServedHub, token: str, pdf: bytes, seq: int,
    ledger: Ledger,
) -> tuple[int, dict[str, Any]]:  # fmt: skip
    pdf = pdf + f"\n% disk {seq}\n".encode()
    on = vietnam_time(datetime.now(UTC))
    edxml_id = f"{A},{on:%Y/%m/%d},{seq}/QĐ-UBND"
    ledger.tried.add(edxml_id)
    async with http.post(
        hub.api + "/edxml", data=document_packet(pdf, A, [B, C], seq, on=on),
        headers=bearer(token, **{"Content-Type": "application/xml"}),
    ) as answer:  # fmt: skip
        body: dict[str, Any] = await answer.json(content_type=None)
    if answer.status == 201:
        ledger.sent[edxml_id] = Sent(edxml_id, body["document"]["id"], sha256(pdf))
    return answer.status, body


async def _answer_03(
    http: aiohttp.ClientSession, hub: ServedHub, token: str, uuid: str
) -> tuple[int, dict[str, Any]]:
    async with http.post(
        f"{hub.api}/documents/{uuid}/statuses", json={"code": "03"},
        headers=bearer(token),
    ) as answer:  # fmt: skip
        body: dict[str, Any] = await answer.json(content_type=None)
        return answer.status, body


async def test_full_disk_refuses_sends_then_recovers(
    scratch_settings: Settings, sample_pdf: bytes, tmp_path: Path
) -> None:
    with small_filesystem(tmp_path / "small", size_mb=24) as small:
        settings = scratch_settings.model_copy(
            update={"storage": StorageSettings(var_dir=small / "var")}
        )
        tokens = await seed_demo(settings)
        sender, reader = tokens["a"]["system"], tokens["b"]["system"]
        ledger = Ledger()
        hub = ServedHub(settings, log_dir=tmp_path, extra_env=AUDIT_ENV)
        await hub.start()
        try:
            async with aiohttp.ClientSession() as http:
                # 1. Room: taken.
                for seq in (1, 2):
                    status, body = await _send(
                        http, hub, sender, sample_pdf, seq, ledger
                    )
                    assert status == 201, body
                first = next(iter(ledger.sent.values())).uuid
                # B fetches it (01): a status 03 may follow.
                pdf_url = f"{hub.api}/documents/{first}/pdf"
                async with http.get(pdf_url, headers=bearer(reader)) as got:
                    assert got.status == 200

                # 2. Full: refused, clearly; reads still answer.
                filler = fill(small)
                for seq in (3, 4, 5):
                    status, body = await _send(
                        http, hub, sender, sample_pdf, seq, ledger
                    )
                    assert (status, body.get("type")) == (
                        507,
                        PROBLEM + "storage-full",
                    ), body
                    assert body["detail"] and body["hint"]
                status, body = await _answer_03(http, hub, reader, first)
                assert (status, body.get("type")) == (
                    507,
                    PROBLEM + "storage-full",
                ), body
                async with http.get(hub.api + "/inbox", headers=bearer(reader)) as got:
                    assert got.status == 200
                async with http.get(hub.base + "healthz") as health:
                    assert health.status == 503, await health.text()

                # 3. Room again: taken, no restart.
                filler.unlink()
                for seq in (6, 7):
                    status, body = await _send(
                        http, hub, sender, sample_pdf, seq, ledger
                    )
                    assert status == 201, body
                status, body = await _answer_03(http, hub, reader, first)
                assert status in (200, 201), body
                ledger.statuses.append((first, "03"))
                async with http.get(hub.base + "healthz") as health:
                    assert health.status == 200, await health.text()
                await _tree_head_after(http, hub, reader, ledger)
        finally:
            hub.stop()
            hub.kill()

        assert len(ledger.sent) == 4, hub.tail()
        assert await check_store(settings, ledger) == []
        assert await _stored_document_ids(settings) == set(ledger.sent)


async def _count(settings: Settings, table: str) -> int:
    db = Database(settings.storage.db_path)
    await db.open()
    try:
        async with db.read() as reader:
            return int(await reader.fetch_value(f"SELECT COUNT(*) FROM {table}"))
    finally:
        await db.close()


async def _stored_document_ids(settings: Settings) -> set[str]:
    db = Database(settings.storage.db_path)
    await db.open()
    try:
        async with db.read() as reader:
            rows = await reader.fetch_all("SELECT edxml_document_id FROM documents")
    finally:
        await db.close()
    return {row[0] for row in rows}


async def _tree_head_after(
    http: aiohttp.ClientSession, hub: ServedHub, token: str, ledger: Ledger
) -> None:
    """Wait for a tree head over every entry made so far, and keep it."""
    entries = await _count(hub.settings, "audit_leaves")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        async with http.get(
            hub.api + "/audit/tree-head", headers=bearer(token)
        ) as answer:
            if answer.status == 200:
                sth = SignedTreeHead.model_validate_json(await answer.read())
                if sth.tree_size >= entries:
                    ledger.heads.append(sth)
                    return
        await asyncio.sleep(0.3)
    raise AssertionError(f"no tree head after the disk was full: {hub.tail()}")
