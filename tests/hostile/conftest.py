"""What every hostile-input test checks: the answer and what the hub kept.

A refusal is a 4xx ``application/problem+json`` answer with a stable type
under the problem base, without a traceback or the hub's paths in it; and a
refusal leaves the database and the blob store as they were.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import ClientResponse

from tests.web.hubkit import PROBLEM, Hub

# Words that only a leaked traceback or internal error would put in an answer.
LEAKS = ("Traceback", 'File "', "site-packages", "/edocx/", "Error(")


# Tables the hub writes on a schedule, whatever the requests: the audit
# log's signed tree heads (edocx.audit.checkpoints).
SCHEDULED = frozenset({"audit_checkpoints"})


@dataclass(frozen=True)
class Snapshot:
    """Rows per table and files in the blob store (temporary files too)."""

    rows: dict[str, int]
    blobs: frozenset[str]

    def added(self, later: Snapshot) -> dict[str, Any]:
        grown = {
            t: n - self.rows.get(t, 0)
            for t, n in later.rows.items()
            if t not in SCHEDULED
        }
        changed: dict[str, Any] = {t: n for t, n in grown.items() if n}
        if later.blobs - self.blobs:
            changed["blobs"] = sorted(later.blobs - self.blobs)
        return changed


def snapshot(hub: Hub) -> Snapshot:
    """Count what the hub holds now (read straight from its files)."""
    db = sqlite3.connect(f"file:{hub.settings.storage.db_path}?mode=ro", uri=True)
    try:
        names = [
            row[0]
            for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")
        ]
        rows = {
            n: db.execute(f'SELECT COUNT(*) FROM "{n}"').fetchone()[0] for n in names
        }
    finally:
        db.close()
    root = hub.settings.storage.blob_dir
    blobs = frozenset(
        str(p.relative_to(root)) for p in Path(root).rglob("*") if p.is_file()
    )
    return Snapshot(rows, blobs)


def assert_no_leak(text: str) -> None:
    for word in LEAKS:
        assert word not in text, text[:2000]


async def refusal(response: ClientResponse) -> dict[str, Any]:
    """Assert a clean 4xx problem answer; return its body."""
    text = await response.text(errors="replace")
    assert 400 <= response.status < 500, (response.status, text[:2000])
    assert response.content_type == "application/problem+json", text[:2000]
    body: dict[str, Any] = await response.json(content_type=None)
    assert body["type"].startswith(PROBLEM), body
    assert body["status"] == response.status, body
    assert body["title"] and body["detail"], body
    assert_no_leak(text)
    return body


async def answer(response: ClientResponse) -> dict[str, Any] | None:
    """Assert a 2xx, or a clean 4xx problem; return the problem or None."""
    if 200 <= response.status < 300:
        await response.read()
        return None
    return await refusal(response)
