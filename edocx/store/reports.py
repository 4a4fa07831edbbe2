"""Validation reports kept with the documents they were made for."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from edocx.store.db import Reader, Tx


@dataclass(frozen=True)
class StoredReport:
    context: str
    blob_sha256: str
    verdict: str
    report: dict[str, Any]
    created_at: str


async def insert_report(
    tx: Tx,
    *,
    document_id: int,
    blob: str,
    context: str,
    verdict: str,
    report: dict[str, Any],
    at: datetime,
) -> None:
    # Deferred (nothing reads its id): it goes with the next statement.
    tx.defer(
        "INSERT INTO validation_reports (document_id, blob_sha256, context, verdict,"
        " report_json, created_at) VALUES (?,?,?,?,?,?)",
        (
            document_id, blob, context, verdict,
            json.dumps(report, ensure_ascii=False, sort_keys=True), at.isoformat(),
        ),
    )  # fmt: skip


async def list_reports(db: Reader, document_id: int) -> list[StoredReport]:
    rows = await db.fetch_all(
        "SELECT context, blob_sha256, verdict, report_json, created_at"
        " FROM validation_reports WHERE document_id = ? ORDER BY id",
        (document_id,),
    )
    return [
        StoredReport(row[0], row[1], row[2], json.loads(row[3]), row[4]) for row in rows
    ]
