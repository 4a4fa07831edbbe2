"""Helpers of the life-cycle tests: issue over HTTP, post statuses, read rows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from edocx.store.db import Database

from ..web.hubkit import Hub, header

PARTIES = {"a": ("a", "clerk"), "b": ("b", "clerk"), "c": ("c", "clerk")}


async def ok(response: Any, status: int = 200) -> Any:
    assert response.status == status, await response.text()
    return await response.json()


async def issue(hub: Hub, pdf: bytes, **head: Any) -> dict[str, Any]:
    """Draft, sign and issue a document of A (to B and C unless told)."""
    response = await hub.upload(("a", "signer"), pdf, header(**head))
    doc_id = (await ok(response, 201))["document"]["id"]
    await ok(await hub.post(("a", "signer"), f"/documents/{doc_id}/sign"))
    issued: dict[str, Any] = await ok(
        await hub.post(("a", "clerk"), f"/documents/{doc_id}/issue")
    )
    return issued


async def fetch(hub: Hub, who: tuple[str, str], doc_id: str) -> None:
    """Download the PDF as a recipient does (the hub records 01)."""
    response = await hub.get(who, f"/documents/{doc_id}/pdf")
    assert response.status == 200, await response.text()
    await response.read()


async def status(
    hub: Hub, who: tuple[str, str], doc_id: str, code: str, **fields: Any
) -> Any:
    """Post a status; return the response (not yet read)."""
    body = {"code": code, **fields}
    return await hub.post(who, f"/documents/{doc_id}/statuses", json=body)


async def history(hub: Hub, who: tuple[str, str], doc_id: str) -> dict[str, Any]:
    """The deliveries of a document by recipient, as ``who`` sees them."""
    answer = await ok(await hub.get(who, f"/documents/{doc_id}/statuses"))
    return {d["delivery"]["recipient"]: d for d in answer["deliveries"]}


async def rows(
    hub: Hub, sql: str, params: tuple[Any, ...] = ()
) -> list[tuple[Any, ...]]:
    db = Database(hub.settings.storage.db_path)
    await db.open()
    try:
        async with db.read() as reader:
            return [tuple(row) for row in await reader.fetch_all(sql, params)]
    finally:
        await db.close()


async def audit_actions(hub: Hub, object_id: str) -> list[str]:
    response = await hub.get(("hub", "auditor"), f"/audit/events?object_id={object_id}")
    return [event["action"] for event in (await ok(response))["items"]]


def read_pdf(pdfs: Path, name: str = "EmptyPage.pdf") -> bytes:
    return (pdfs / name).read_bytes()
