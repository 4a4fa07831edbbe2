"""Idempotency-Key claimed with the change it guards.

The key is claimed in the request's first write transaction: a retry
replays the first answer, a concurrent duplicate changes nothing, and a
key whose change is stored stays taken, its answer kept or not.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from .hubkit import Hub, header, problem

pytestmark = pytest.mark.asyncio(loop_scope="module")

JSON = {"Content-Type": "application/json"}


async def _ok(response: Any, status: int = 200) -> Any:
    assert response.status == status, await response.text()
    return await response.json()


async def _arrived(hub: Hub, pdf: bytes) -> str:
    """A document issued to B and C, fetched by B's system (01)."""
    draft = await _ok(await hub.upload(("a", "signer"), pdf, header()), 201)
    doc_id: str = draft["document"]["id"]
    await _ok(await hub.post(("a", "signer"), f"/documents/{doc_id}/sign"))
    await _ok(await hub.post(("a", "clerk"), f"/documents/{doc_id}/issue"))
    got = await hub.get(("b", "system"), f"/documents/{doc_id}/pdf")
    assert got.status == 200, await got.text()
    return doc_id


async def _codes_of_b(hub: Hub, doc_id: str) -> list[str]:
    history = await _ok(await hub.get(("b", "clerk"), f"/documents/{doc_id}/statuses"))
    (mine,) = history["deliveries"]
    return [s["code"] for s in mine["statuses"]]


async def _key_rows(hub: Hub, key: str) -> int:
    return await hub.count(f"idempotency_keys WHERE key = '{key}'")


async def test_a_retry_replays_the_answer_and_records_nothing(
    hub: Hub, pdfs: Path
) -> None:
    doc_id = await _arrived(hub, (pdfs / "EmptyPage.pdf").read_bytes())
    path, key = f"/documents/{doc_id}/statuses", {"Idempotency-Key": "accept-once"}
    events = await hub.count("audit_events")

    first = await hub.post(("b", "clerk"), path, json={"code": "03"}, headers=key)
    body = await _ok(first, 201)
    assert await hub.count("audit_events") > events
    events = await hub.count("audit_events")
    again = await hub.post(("b", "clerk"), path, json={"code": "03"}, headers=key)

    assert again.headers.get("Idempotent-Replayed") == "true"
    assert await _ok(again, 201) == body
    # Without the key, the same 03 would be kept as a repeat.
    assert await _codes_of_b(hub, doc_id) == ["01", "03"]
    assert await hub.count("audit_events") == events
    assert await _key_rows(hub, "accept-once") == 1


async def test_concurrent_duplicates_change_once(hub: Hub, pdfs: Path) -> None:
    doc_id = await _arrived(hub, (pdfs / "EmptyPage.pdf").read_bytes())
    path = f"/documents/{doc_id}/statuses"
    key = {"Idempotency-Key": "accept-together"}

    answers = await asyncio.gather(*(
        hub.post(("b", "clerk"), path, json={"code": "03"}, headers=key)
        for _ in range(6)
    ))  # fmt: skip

    ran = [a for a in answers if not a.headers.get("Idempotent-Replayed")]
    statuses = sorted(a.status for a in ran)
    # One ran; the others replayed it or were told it is still running.
    assert statuses.count(201) == 1, statuses
    assert set(statuses) <= {201, 409}, statuses
    for answer in ran:
        if answer.status == 409:
            await problem(answer, 409, "idempotency-key-in-use")
    assert await _codes_of_b(hub, doc_id) == ["01", "03"]
    numbered = await hub.count(
        "incoming_register r JOIN deliveries d ON d.id = r.delivery_id"
        f" JOIN documents o ON o.id = d.document_id WHERE o.uuid = '{doc_id}'"
    )
    assert numbered == 1


async def test_a_refused_status_leaves_the_key_free(hub: Hub, pdfs: Path) -> None:
    doc_id = await _arrived(hub, (pdfs / "EmptyPage.pdf").read_bytes())
    path, key = f"/documents/{doc_id}/statuses", {"Idempotency-Key": "too-early"}

    # 15 without a pending 13 is refused inside the transaction: nothing
    # is stored, the key included, and the client may use it again.
    refused = await hub.post(("b", "clerk"), path, json={"code": "15"}, headers=key)
    await problem(refused, 409, "change-not-requested")
    assert await _key_rows(hub, "too-early") == 0

    accepted = await hub.post(("b", "clerk"), path, json={"code": "03"}, headers=key)
    await _ok(accepted, 201)
    assert await _codes_of_b(hub, doc_id) == ["01", "03"]


async def test_a_key_taken_with_its_change_is_never_run_again(
    hub: Hub, pdfs: Path
) -> None:
    doc_id = await _arrived(hub, (pdfs / "EmptyPage.pdf").read_bytes())
    path, key = f"/documents/{doc_id}/statuses", {"Idempotency-Key": "cut-short"}
    await _ok(
        await hub.post(("b", "clerk"), path, json={"code": "03"}, headers=key), 201
    )
    # As a stop between the change and keeping its answer leaves it: the
    # key committed with the 03, no answer kept.
    await hub.execute(
        "UPDATE idempotency_keys SET state = 'pending', status = NULL,"
        " content_type = NULL, body = NULL WHERE key = ?",
        ("cut-short",),
    )

    again = await hub.post(("b", "clerk"), path, json={"code": "03"}, headers=key)

    await problem(again, 409, "idempotency-key-in-use")
    assert await _codes_of_b(hub, doc_id) == ["01", "03"]
