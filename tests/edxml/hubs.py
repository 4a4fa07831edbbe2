"""Hubs for the packet tests: the agencies the samples name, their tokens."""

from __future__ import annotations

import io
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import ClientResponse

from edocx.config import Settings
from edocx.store.db import Database
from edocx.store.models import Role
from edocx.store.seed import create_agency, create_user
from tests.web.hubkit import Hub, hub_settings, running_hub

# Agencies the samples name besides the demo's H41 (a), G22 (b), H14 (c).
SAMPLE_AGENCIES = {
    "000.00.00.G17": "Bộ Tài chính",
    "000.00.00.A80": "Cơ quan gửi mẫu",
    "28.22.H17": "Đơn vị nhận mẫu",
}
TABLES = (
    "documents", "document_recipients", "deliveries", "document_attachments",
    "edxml_packets", "validation_reports", "delivery_statuses",
)  # fmt: skip
XML = {"Content-Type": "application/xml"}


async def register(settings: Settings, agencies: dict[str, str]) -> dict[str, str]:
    """Register agencies with a system user each; return their tokens."""
    db = Database(settings.storage.db_path)
    await db.open()
    tokens = {}
    at = datetime.now(UTC)
    try:
        for organ_id, name in agencies.items():
            await create_agency(
                db, organ_id=organ_id, name=name, abbreviation="CQ", place="Hà Nội",
                seal_credential=None, at=at,
            )  # fmt: skip
            token = secrets.token_urlsafe(24)
            await create_user(
                db, organ_id=organ_id, display_name="Hệ thống", role=Role.SYSTEM,
                token=token, at=at,
            )  # fmt: skip
            tokens[organ_id] = token
    finally:
        await db.close()
    return tokens


class PacketHub:
    """A running hub and a way to post packets as any agency's system."""

    def __init__(self, hub: Hub, tokens: dict[str, str]) -> None:
        self.hub = hub
        self.tokens = tokens
        demo = {"000.00.00.H41": "a", "000.00.00.G22": "b", "000.00.00.H14": "c"}
        for organ_id, key in demo.items():
            self.tokens[organ_id] = hub.tokens[key]["system"]

    async def send(
        self, organ_id: str, packet: bytes | io.BytesIO, **headers: str
    ) -> ClientResponse:
        return await self.hub.client.post(
            "/api/v1/edxml", data=packet,
            headers={"Authorization": "Bearer " + self.tokens[organ_id], **XML,
                     **headers},
        )  # fmt: skip

    async def counts(self) -> dict[str, int]:
        found = {table: await self.hub.count(table) for table in TABLES}
        found["blobs"] = self.hub.blob_count()
        return found

    async def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        db = Database(self.hub.settings.storage.db_path)
        await db.open()
        try:
            async with db.read() as reader:
                return list(await reader.fetch_all(sql, params))
        finally:
            await db.close()


@asynccontextmanager
async def packet_hub(
    base: Settings, var: Path, *, agencies: dict[str, str] | None = None,
    **edxml: Any,
) -> AsyncIterator[PacketHub]:  # fmt: skip
    """A fresh hub in ``var``; ``edxml`` overrides the edxml settings."""
    settings = hub_settings(base, var)
    if edxml:
        update = base.edxml.model_copy(update=edxml)
        settings = settings.model_copy(update={"edxml": update})
    async with running_hub(settings) as hub:
        tokens = await register(
            settings, SAMPLE_AGENCIES if agencies is None else agencies
        )
        yield PacketHub(hub, tokens)
