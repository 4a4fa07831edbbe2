"""A migration that rebuilds a table keeps every row and every reference."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import aiosqlite
import pytest

from edocx.store.db import Database
from edocx.store.migrate import _apply, available_migrations

_AT = "2026-01-05T02:00:00+00:00"


def _first_schema(path: Path) -> None:
    first = available_migrations()[0]
    conn = sqlite3.connect(path)
    conn.executescript(first.sql)
    conn.execute(
        "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY,"
        " name TEXT NOT NULL, applied_at TEXT NOT NULL)"
    )
    conn.execute("INSERT INTO schema_migrations VALUES (1, ?, ?)", (first.name, _AT))
    conn.execute(
        "INSERT INTO agencies VALUES (1, '000.00.00.H41', 'UBND tỉnh Nghệ An',"
        " 'UBND', 'Nghệ An', NULL, ?)", (_AT,))  # fmt: skip
    conn.execute(
        "INSERT INTO users VALUES (1, 1, 'Văn thư', 'clerk', NULL, 'aa', NULL, ?)",
        (_AT,),
    )
    conn.execute(
        "INSERT INTO documents (id, uuid, agency_id, state, type_name, subject,"
        " signer_name, signer_position, priority, current_blob, number,"
        " code_notation, notation, year, edxml_document_id, created_by, created_at,"
        " updated_at) VALUES (7, 'u-7', 1, 'issued', 'Quyết định', 'Về việc',"
        " 'Nguyễn Văn A', 'Chủ tịch', 0, 'b', 12, 'QĐ-UBND', '12/QĐ-UBND', 2026,"
        " '000.00.00.H41,2026/01/05,12/QĐ-UBND', 1, ?, ?)", (_AT, _AT))  # fmt: skip
    conn.execute(
        "INSERT INTO deliveries (id, document_id, recipient_agency_id, created_at)"
        " VALUES (3, 7, 1, ?)", (_AT,))  # fmt: skip
    conn.commit()
    conn.close()


async def test_rebuild_keeps_documents_and_their_deliveries(tmp_path: Path) -> None:
    path = tmp_path / "hub.sqlite3"
    _first_schema(path)

    database = Database(path)
    await database.open()
    async with database.read() as reader:
        doc = await reader.fetch_one("SELECT * FROM documents WHERE id = 7")
        delivery = await reader.fetch_one("SELECT document_id FROM deliveries")
        fk = await reader.fetch_all("PRAGMA foreign_keys")
    await database.close()

    assert doc is not None and doc["notation"] == "12/QĐ-UBND"
    assert doc["business_type"] == 0 and doc["code_number"] is None
    assert delivery is not None and delivery[0] == 7
    assert fk[0][0] == 1


async def test_rebuild_refuses_dangling_references(tmp_path: Path) -> None:
    path = tmp_path / "hub.sqlite3"
    _first_schema(path)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA foreign_keys=OFF")
    conn.execute(
        "INSERT INTO deliveries (document_id, recipient_agency_id, created_at)"
        " VALUES (99, 1, ?)", (_AT,))  # fmt: skip
    conn.commit()
    conn.close()

    rebuild = available_migrations()[1]
    async with aiosqlite.connect(path, isolation_level=None) as raw:
        with pytest.raises(RuntimeError, match="references to missing rows"):
            await _apply(raw, rebuild)
        async with raw.execute("SELECT max(version) FROM schema_migrations") as cur:
            assert (await cur.fetchone()) == (1,)
        async with raw.execute("PRAGMA foreign_keys") as cur:
            assert (await cur.fetchone()) == (1,)
