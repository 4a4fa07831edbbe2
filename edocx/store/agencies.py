"""Agencies: the bodies that issue and receive documents through the hub."""

from __future__ import annotations

from datetime import datetime

from edocx.store.db import Reader, Row, Tx
from edocx.store.models import Agency

_COLUMNS = "id, organ_id, name, abbreviation, place, seal_credential"


def _agency(row: Row) -> Agency:
    return Agency(
        id=row["id"],
        organ_id=row["organ_id"],
        name=row["name"],
        abbreviation=row["abbreviation"],
        place=row["place"],
        seal_credential=row["seal_credential"],
    )


async def insert_agency(
    tx: Tx,
    *,
    organ_id: str,
    name: str,
    abbreviation: str,
    place: str,
    seal_credential: str | None,
    at: datetime,
) -> Agency:
    agency_id = await tx.execute(
        "INSERT INTO agencies (organ_id, name, abbreviation, place,"
        " seal_credential, created_at) VALUES (?,?,?,?,?,?)",
        (organ_id, name, abbreviation, place, seal_credential, at.isoformat()),
    )
    return Agency(agency_id, organ_id, name, abbreviation, place, seal_credential)


async def get_agency(db: Reader, agency_id: int) -> Agency | None:
    row = await db.fetch_one(
        f"SELECT {_COLUMNS} FROM agencies WHERE id = ?", (agency_id,)
    )
    return None if row is None else _agency(row)


async def find_agency(db: Reader, organ_id: str) -> Agency | None:
    row = await db.fetch_one(
        f"SELECT {_COLUMNS} FROM agencies WHERE organ_id = ?", (organ_id,)
    )
    return None if row is None else _agency(row)


async def list_agencies(db: Reader) -> list[Agency]:
    rows = await db.fetch_all(f"SELECT {_COLUMNS} FROM agencies ORDER BY organ_id")
    return [_agency(row) for row in rows]
