"""A running hub for the HTTP tests: app, demo directory, tokens, helpers."""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import ClientResponse, FormData
from aiohttp.test_utils import TestClient, TestServer
from aiohttp.web_runner import BaseRunner

from edocx.bootstrap import seed_demo as seed_demo  # the tests take it from here
from edocx.config import Settings, StorageSettings
from edocx.demo.agencies import DEMO_AGENCIES
from edocx.store.blobs import BlobStore
from edocx.store.db import Database
from edocx.web.app import create_app
from edocx.web.runner import ProblemAppRunner

A, B, C = (agency.code for agency in DEMO_AGENCIES)
PROBLEM = "https://edocx.example/problems/"


def hub_settings(base: Settings, var: Path, **pki: Any) -> Settings:
    """The test settings with their own var dir; the PKI served elsewhere."""
    return base.model_copy(
        update={
            "storage": StorageSettings(var_dir=var),
            "pki": base.pki.model_copy(update={"serve": False, **pki}),
        }
    )


def header(**overrides: Any) -> dict[str, Any]:
    """A complete draft header of agency A to B and C."""
    value: dict[str, Any] = {
        "type": "Quyết định",
        "subject": "Về việc ban hành quy chế tiếp nhận văn bản điện tử",
        "signer": {
            "name": "Nguyễn Văn Thành",
            "position": "Chủ tịch",
            "competence": "TM. ỦY BAN NHÂN DÂN",
        },
        "recipients": [B, C],
        "priority": 1,
    }
    value.update(overrides)
    return value


@dataclass
class Hub:
    client: TestClient[Any, Any]
    settings: Settings
    tokens: dict[str, dict[str, str]]

    def auth(self, agency: str, person: str) -> dict[str, str]:
        """Authorization header of a demo user ('a'..'c' or 'hub')."""
        return {"Authorization": "Bearer " + self.tokens[agency][person]}

    async def upload(
        self, who: tuple[str, str], pdf: bytes, head: dict[str, Any] | str,
        *, password: str | None = None, key: str | None = None,
    ) -> ClientResponse:  # fmt: skip
        form = FormData()
        text = head if isinstance(head, str) else json.dumps(head)
        form.add_field("header", text, content_type="application/json")
        # A BytesIO: aiohttp warns that large raw bytes block the loop.
        form.add_field(
            "file",
            io.BytesIO(pdf),
            filename="draft.pdf",
            content_type="application/pdf",
        )
        if password is not None:
            form.add_field("password", password)
        headers = self.auth(*who)
        if key is not None:
            headers["Idempotency-Key"] = key
        return await self.client.post("/api/v1/drafts", data=form, headers=headers)

    async def post(
        self, who: tuple[str, str], path: str, **kwargs: Any
    ) -> ClientResponse:
        headers = {**self.auth(*who), **kwargs.pop("headers", {})}
        return await self.client.post("/api/v1" + path, headers=headers, **kwargs)

    async def get(self, who: tuple[str, str], path: str) -> ClientResponse:
        return await self.client.get("/api/v1" + path, headers=self.auth(*who))

    async def verify(self, who: tuple[str, str], pdf: bytes) -> ClientResponse:
        form = FormData()
        form.add_field(
            "file", io.BytesIO(pdf), filename="x.pdf", content_type="application/pdf"
        )
        return await self.post(who, "/verify", data=form)

    async def count(self, table: str) -> int:
        db = Database(self.settings.storage.db_path)
        await db.open()
        try:
            async with db.read() as reader:
                return int(await reader.fetch_value(f"SELECT COUNT(*) FROM {table}"))
        finally:
            await db.close()

    async def execute(self, sql: str, params: tuple[Any, ...]) -> None:
        """Change the hub's database directly, as an older version might have."""
        db = Database(self.settings.storage.db_path)
        await db.open()
        try:
            async with db.write() as tx:
                await tx.execute(sql, params)
        finally:
            await db.close()

    def blob_count(self) -> int:
        return BlobStore(self.settings.storage.blob_dir).count()


class HubTestServer(TestServer):
    """aiohttp's test server with the runner ``edocx serve`` uses."""

    async def _make_runner(self, **kwargs: Any) -> BaseRunner:
        return ProblemAppRunner(self.app, **kwargs)


@asynccontextmanager
async def running_hub(settings: Settings) -> AsyncIterator[Hub]:
    """Seed the directory (once per var dir) and serve the hub."""
    tokens = await seed_demo(settings)
    client: TestClient[Any, Any] = TestClient(HubTestServer(create_app(settings)))
    await client.start_server()
    try:
        yield Hub(client, settings, tokens)
    finally:
        await client.close()


async def problem(response: ClientResponse, status: int, code: str) -> dict[str, Any]:
    """Assert a problem response of ``status`` and type ``code``; return it."""
    body: dict[str, Any] = await response.json(content_type=None)
    assert response.content_type == "application/problem+json", body
    assert (response.status, body["type"]) == (status, PROBLEM + code), body
    assert body["title"] and body["detail"]
    return body
