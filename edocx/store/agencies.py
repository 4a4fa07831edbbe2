"""Agencies: the bodies that issue and receive documents through the hub.

Besides what signing needs (:class:`Agency`), the directory keeps for each
agency a second code where one is given, its parent, how its system
receives documents (pull or push) and its seal certificates.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from edocx.store.db import Reader, Row, Tx
from edocx.store.models import Agency

_COLUMNS = "id, organ_id, name, abbreviation, place, seal_credential"


class DeliveryMode(StrEnum):
    PULL = "pull"  # the agency's system lists and acknowledges
    PUSH = "push"  # the hub posts to the agency's HTTPS endpoint


@dataclass(frozen=True)
class DirectoryEntry:
    """An agency as the directory shows it."""

    agency: Agency
    second_code: str | None
    parent_organ_id: str | None
    delivery_mode: DeliveryMode
    certificates: tuple[bytes, ...]  # DER, oldest first


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
    second_code: str | None = None,
    parent_id: int | None = None,
) -> Agency:
    agency_id = await tx.execute(
        "INSERT INTO agencies (organ_id, name, abbreviation, place,"
        " seal_credential, created_at, second_code, parent_id)"
        " VALUES (?,?,?,?,?,?,?,?)",
        (
            organ_id, name, abbreviation, place, seal_credential, at.isoformat(),
            second_code, parent_id,
        ),
    )  # fmt: skip
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


async def find_agencies(db: Reader, organ_ids: Sequence[str]) -> dict[str, Agency]:
    """The agencies of ``organ_ids`` that exist, by organ id, in one query."""
    if not organ_ids:
        return {}
    marks = ",".join("?" * len(organ_ids))
    rows = await db.fetch_all(
        f"SELECT {_COLUMNS} FROM agencies WHERE organ_id IN ({marks})",
        tuple(organ_ids),
    )
    return {agency.organ_id: agency for agency in map(_agency, rows)}


async def list_agencies(db: Reader) -> list[Agency]:
    rows = await db.fetch_all(f"SELECT {_COLUMNS} FROM agencies ORDER BY organ_id")
    return [_agency(row) for row in rows]


async def set_directory_fields(
    tx: Tx, agency_id: int, *, second_code: str | None, parent_id: int | None
) -> None:
    """Set the agency's second code and parent."""
    await tx.execute(
        "UPDATE agencies SET second_code = ?, parent_id = ? WHERE id = ?",
        (second_code, parent_id, agency_id),
    )


async def set_delivery_mode(tx: Tx, agency_id: int, mode: DeliveryMode) -> None:
    await tx.execute(
        "UPDATE agencies SET delivery_mode = ? WHERE id = ?", (mode.value, agency_id)
    )


async def delivery_mode(db: Reader, agency_id: int) -> DeliveryMode:
    value = await db.fetch_value(
        "SELECT delivery_mode FROM agencies WHERE id = ?", (agency_id,)
    )
    return DeliveryMode(value or DeliveryMode.PULL)


async def add_certificate(tx: Tx, agency_id: int, der: bytes, *, at: datetime) -> bool:
    """Keep a seal certificate of the agency; False when it was kept already."""
    await tx.execute(
        "INSERT OR IGNORE INTO agency_certificates (agency_id, sha256, der, added_at)"
        " VALUES (?,?,?,?)",
        (agency_id, hashlib.sha256(der).hexdigest(), der, at.isoformat()),
    )
    return await tx.changes() == 1


async def list_directory(db: Reader) -> list[DirectoryEntry]:
    """Return every agency with its directory fields, by organ id."""
    rows = await db.fetch_all(
        f"SELECT a.{_COLUMNS.replace(', ', ', a.')}, a.second_code,"
        " a.delivery_mode, p.organ_id AS parent_organ_id"
        " FROM agencies a LEFT JOIN agencies p ON p.id = a.parent_id"
        " ORDER BY a.organ_id"
    )
    certificates = await _certificates(db)
    return [
        DirectoryEntry(
            agency=_agency(row),
            second_code=row["second_code"],
            parent_organ_id=row["parent_organ_id"],
            delivery_mode=DeliveryMode(row["delivery_mode"]),
            certificates=tuple(certificates.get(row["id"], [])),
        )
        for row in rows
    ]


async def _certificates(db: Reader) -> dict[int, list[bytes]]:
    found: dict[int, list[bytes]] = {}
    rows = await db.fetch_all(
        "SELECT agency_id, der FROM agency_certificates ORDER BY id"
    )
    for row in rows:
        found.setdefault(row["agency_id"], []).append(bytes(row["der"]))
    return found
