"""The audit log's API and answer headers, over HTTP against a running hub."""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path
from typing import Any

import pytest

from edocx.audit.checkpoints import SignedTreeHead
from edocx.audit.merkle import leaf_hash, verify_consistency, verify_inclusion
from tests.web.hubkit import Hub, header, problem

pytestmark = pytest.mark.asyncio(loop_scope="module")

AUDITOR = ("hub", "auditor")


async def _ok(response: Any, status: int = 200) -> Any:
    assert response.status == status, await response.text()
    return await response.json()


async def _head(hub: Hub) -> SignedTreeHead:
    # 201 for a new head; 200 for the largest one when the log has not grown.
    response = await hub.post(AUDITOR, "/audit/tree-head")
    assert response.status in (200, 201), await response.text()
    return SignedTreeHead.model_validate(await response.json())


async def _draft_index(hub: Hub, pdfs: Path) -> tuple[int, str]:
    pdf = (pdfs / "EmptyPage.pdf").read_bytes()
    response = await hub.upload(("a", "clerk"), pdf, header())
    body = await _ok(response, 201)
    return int(response.headers["Audit-Index"]), body["document"]["id"]


def _b(text: str) -> bytes:
    return base64.b64decode(text)


async def test_a_change_answers_its_entry_index(hub: Hub, pdfs: Path) -> None:
    index, doc_id = await _draft_index(hub, pdfs)

    page = await _ok(await hub.get(AUDITOR, f"/audit/entries?start={index}"))

    (item, *_) = page["items"]
    assert item["index"] == index
    entry = item["entry"].encode("utf-8")
    assert _b(item["leaf_hash"]) == leaf_hash(entry)
    assert '"action":"document.draft"' in item["entry"]
    assert f'"object_id":"{doc_id}"' in item["entry"]


async def test_refused_and_reading_calls_carry_no_index(hub: Hub) -> None:
    refused = await hub.upload(("a", "clerk"), b"%PDF-1.7", "{not json")
    assert refused.status >= 400
    reading = await hub.get(("a", "clerk"), "/documents")
    assert reading.status == 200

    assert "Audit-Index" not in refused.headers
    assert "Audit-Index" not in reading.headers


async def test_every_agency_system_is_offered_the_latest_head(hub: Hub) -> None:
    sth = await _head(hub)

    for who in (("b", "system"), ("c", "clerk")):
        answer = await hub.get(who, "/me")
        assert answer.status == 200
        offered = dict(
            part.strip().split("=", 1)
            for part in answer.headers["Audit-Tree-Head"].split(";")
        )
        assert offered == {
            "tree_size": str(sth.tree_size),
            "root_hash": sth.root_hash,
            "made_at": sth.made_at,
        }
        latest = await _ok(await hub.get(who, "/audit/tree-head"))
        assert SignedTreeHead.model_validate(latest) == sth

    anonymous = await hub.client.get("/api/v1/me")
    assert anonymous.status == 401
    assert "Audit-Tree-Head" not in anonymous.headers


async def test_inclusion_proof_checks_against_the_signed_root(
    hub: Hub, pdfs: Path
) -> None:
    index, _ = await _draft_index(hub, pdfs)
    sth = await _head(hub)

    proof = await _ok(await hub.get(AUDITOR, f"/audit/entries/{index}/proof"))
    page = await _ok(await hub.get(AUDITOR, f"/audit/entries?start={index}"))

    entry = page["items"][0]["entry"].encode("utf-8")
    path = [_b(p) for p in proof["proof"]]
    root = _b(sth.root_hash)
    assert proof["tree_size"] == sth.tree_size
    assert verify_inclusion(leaf_hash(entry), index, sth.tree_size, path, root)
    assert not verify_inclusion(
        leaf_hash(entry + b" "), index, sth.tree_size, path, root
    )


async def test_consistency_proof_between_two_signed_heads(hub: Hub, pdfs: Path) -> None:
    first = await _head(hub)
    await _draft_index(hub, pdfs)
    second = await _head(hub)

    query = f"/audit/consistency?first={first.tree_size}&second={second.tree_size}"
    body = await _ok(await hub.get(("b", "system"), query))

    proof = [_b(p) for p in body["proof"]]
    old, new = _b(first.root_hash), _b(second.root_hash)
    assert second.tree_size > first.tree_size
    assert verify_consistency(first.tree_size, second.tree_size, old, new, proof)
    assert not verify_consistency(first.tree_size, second.tree_size, new, old, proof)


async def test_a_kept_head_is_found_by_size(hub: Hub) -> None:
    sth = await _head(hub)

    again = await _ok(
        await hub.get(AUDITOR, f"/audit/tree-head?tree_size={sth.tree_size}")
    )
    missing = await hub.get(AUDITOR, "/audit/tree-head?tree_size=1")
    beyond = await hub.get(AUDITOR, "/audit/tree-head?tree_size=999999999")

    assert SignedTreeHead.model_validate(again) == sth
    await problem(missing, 404, "audit-tree-head-not-found")
    await problem(beyond, 422, "audit-range-invalid")


async def test_entries_are_paged_and_bounded(hub: Hub) -> None:
    page = await _ok(await hub.get(AUDITOR, "/audit/entries?start=0&end=3"))
    rest = await _ok(await hub.get(AUDITOR, "/audit/entries?start=3"))

    assert [item["index"] for item in page["items"]] == [0, 1, 2]
    assert page["next_start"] is None
    assert rest["items"][0]["index"] == 3
    assert len(rest["items"]) == min(1000, page["tree_size"] - 3)


async def test_proofs_outside_the_log_are_refused(hub: Hub) -> None:
    sth = await _head(hub)
    beyond = sth.tree_size + 10

    for path in (
        f"/audit/entries/{sth.tree_size}/proof?tree_size={sth.tree_size}",
        f"/audit/entries/0/proof?tree_size={beyond}",
        "/audit/entries/0/proof?tree_size=0",
        f"/audit/entries/{2**63}/proof",
        f"/audit/entries/{10**30}/proof",
        f"/audit/consistency?first={beyond}",
        f"/audit/tree-head?tree_size={beyond}",
        "/audit/entries?start=5&end=2",
        f"/audit/entries?start={beyond}",
    ):
        await problem(await hub.get(AUDITOR, path), 422, "audit-range-invalid")


@pytest.mark.parametrize(
    "path",
    [
        "/audit/entries/x1/proof",
        "/audit/entries/%C2%B2/proof",
        "/audit/entries/0/proof?tree_size=x1",
        "/audit/entries/0/proof?tree_size=-1",
        f"/audit/tree-head?tree_size={2**63}",
        f"/audit/entries/0/proof?tree_size={2**63}",
        f"/audit/entries?start={2**63}",
        f"/audit/consistency?first=1&second={10**30}",
    ],
)
async def test_malformed_numbers_are_refused_alike(hub: Hub, path: str) -> None:
    # A path value and a query value that are not sizes or indices at all
    # get the same problem type; a 500 (SQLite's OverflowError) never.
    await problem(await hub.get(AUDITOR, path), 400, "request-invalid")


async def test_a_role_refused_a_proof_reads_a_sentence(hub: Hub) -> None:
    response = await hub.get(("b", "system"), "/audit/entries/0/proof")

    body = await problem(response, 403, "role-not-allowed")
    assert body["detail"].startswith("role system may not read the inclusion proof")


async def test_a_tree_head_request_takes_no_fields(hub: Hub) -> None:
    response = await hub.post(AUDITOR, "/audit/tree-head", json={"tree_size": 5})

    body = await problem(response, 422, "body-field-unknown")
    assert body["fields"] == ["tree_size"]


async def test_a_log_that_has_not_grown_answers_its_largest_head(
    hub: Hub, pdfs: Path
) -> None:
    await _draft_index(hub, pdfs)
    made = await hub.post(AUDITOR, "/audit/tree-head")
    again = await hub.post(AUDITOR, "/audit/tree-head", json={})

    assert (made.status, again.status) == (201, 200)
    assert await made.json() == await again.json()


@pytest.mark.parametrize(
    ("who", "method", "path"),
    [
        (("a", "clerk"), "POST", "/audit/tree-head"),
        (("b", "system"), "GET", "/audit/entries"),
        (("b", "system"), "GET", "/audit/entries/0/proof"),
    ],
)
async def test_agencies_read_heads_not_entries(
    hub: Hub, who: tuple[str, str], method: str, path: str
) -> None:
    if method == "POST":
        response = await hub.post(who, path)
    else:
        response = await hub.get(who, path)
    await problem(response, 403, "role-not-allowed")


async def test_a_replayed_answer_names_no_new_entry(hub: Hub, pdfs: Path) -> None:
    pdf = (pdfs / "EmptyPage.pdf").read_bytes()

    first = await hub.upload(("a", "clerk"), pdf, header(), key="audit-replay-1")
    again = await hub.upload(("a", "clerk"), pdf, header(), key="audit-replay-1")

    assert (first.status, again.status) == (201, 201)
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert int(first.headers["Audit-Index"]) >= 0
    # TODO(#6): the replay could repeat the first answer's Audit-Index if
    # the kept answer kept its headers (edocx/web/idempotency.py).
    assert "Audit-Index" not in again.headers


async def test_a_retried_tree_head_request_answers_the_first(hub: Hub) -> None:
    key = {"Idempotency-Key": "audit-head-1"}

    first = await hub.post(AUDITOR, "/audit/tree-head", headers=key)
    again = await hub.post(AUDITOR, "/audit/tree-head", headers=key)

    assert first.status in (200, 201)
    assert again.status == first.status
    assert await first.json() == await again.json()
    assert again.headers.get("Idempotent-Replayed") == "true"


async def test_an_older_head_put_back_is_not_served_as_the_latest(
    hub: Hub, pdfs: Path
) -> None:
    older = await _head(hub)
    await _draft_index(hub, pdfs)
    newer = await _head(hub)
    # An older genuine head put back as the last row, behind the hub's back;
    # the header reads the table again after a second at most.
    await hub.execute(
        "INSERT INTO audit_checkpoints (tree_size, made_at, head_json)"
        " VALUES (?, ?, ?)",
        (older.tree_size, older.made_at, older.model_dump_json()),
    )
    await asyncio.sleep(1.2)

    answer = await hub.get(("b", "system"), "/me")
    latest = await _ok(await hub.get(("b", "system"), "/audit/tree-head"))

    assert newer.tree_size > older.tree_size
    assert answer.headers["Audit-Tree-Head"].endswith(f"made_at={newer.made_at}")
    assert SignedTreeHead.model_validate(latest) == newer
