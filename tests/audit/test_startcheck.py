"""The hub checks its audit log against its own newest head when it starts.

A hub runs, makes a tree head and stops; an insider then edits its SQLite
file; the hub starts again on the same file and must say so: a WARNING in
its log and a failing "audit" check on /healthz. It repairs nothing.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from edocx.config import Settings
from tests.audit import tamperkit as kit
from tests.web.hubkit import Hub, header, hub_settings, running_hub

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def _health(hub: Hub) -> tuple[int, dict[str, Any]]:
    response = await hub.client.get("/healthz")
    body: dict[str, Any] = await response.json()
    return response.status, body


async def _run_and_head(settings: Settings, pdfs: Path) -> int:
    async with running_hub(settings) as hub:
        pdf = (pdfs / "EmptyPage.pdf").read_bytes()
        response = await hub.upload(("a", "signer"), pdf, header())
        assert response.status == 201, await response.text()
        made = await hub.post(("hub", "auditor"), "/audit/tree-head")
        assert made.status == 201, await made.text()
        _, body = await _health(hub)
        assert body["checks"]["audit"]["ok"], body
        return int(response.headers["Audit-Index"])


def _tamper(path: Path, target: int) -> None:
    # A rewritten entry with recomputed hashes, and an event with no leaf.
    conn = kit.open_as_insider(path)
    try:
        seqs = [seq for _, seq in kit.leaf_rows(conn)]
        conn.execute(
            "UPDATE audit_events SET action = 'document.read' WHERE seq = ?",
            (seqs[target],),
        )
        kit.set_leaves(conn, seqs)
        conn.execute(
            "INSERT INTO audit_events (at, actor_id, agency_id, action,"
            " object_type, object_id) SELECT at, actor_id, agency_id,"
            " 'document.sign', object_type, object_id FROM audit_events"
            " WHERE seq = ?",
            (seqs[target],),
        )
    finally:
        conn.close()


async def test_a_log_changed_while_stopped_is_noticed_at_start(
    module_settings: Settings,
    tmp_path_factory: pytest.TempPathFactory,
    pdfs: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = hub_settings(module_settings, tmp_path_factory.mktemp("restarted"))
    target = await _run_and_head(settings, pdfs)
    _tamper(settings.storage.db_path, target)
    caplog.clear()

    with caplog.at_level(logging.WARNING, logger="edocx.audit"):
        async with running_hub(settings) as hub:
            status, body = await _health(hub)

    said = "\n".join(
        r.getMessage() for r in caplog.records if r.levelno == logging.WARNING
    )
    assert "1 events the hub did not append got their leaves now" in said
    assert "the stored leaves do not make the root of its own newest" in said
    assert "append-only triggers are missing" in said
    assert status == 503, body
    assert body["failing"] == ["audit"]
    assert "append-only triggers are missing" in body["checks"]["audit"]["detail"]
