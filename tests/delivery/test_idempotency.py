"""Idempotency-Key on every POST that creates something.

The route table marks the creating POSTs (``creates=True``) and dispatch
honours the key for every route so marked; this walks the table so that a
creating route added later without the mark fails here.
"""

from __future__ import annotations

import pytest

from edocx.web.table import ROUTES
from tests.web.hubkit import B, Hub, header

from .conftest import ok, rows

MODULE_LOOP = pytest.mark.asyncio(loop_scope="module")

# POSTs that create nothing, and why a retry is harmless without a key.
NOT_CREATING = {
    "/api/v1/verify": "reads the upload; stores nothing",
    "/api/v1/pull/{document_id}/ack": "a repeated ack answers the first",
    "/api/v1/push/dead-letters/{message_id}/resend": "a pending message stays so",
    "/api/v1/copies/{code}/check": "reads the upload against a copy; stores nothing",
    "/api/v1/duplicates/{code}/check": "reads the upload against a duplicate",
    "/c/{code}": "the checking page's form: reads the upload; stores nothing",
}


def test_every_creating_post_honours_the_key() -> None:
    posts = [route for route in ROUTES if route.method == "POST"]
    assert posts
    for route in posts:
        if route.path in NOT_CREATING:
            assert not route.creates, route.path
            continue
        # Anything else a POST does creates something (a draft, a signed
        # revision, a number, a status, a packet, an endpoint).
        assert route.creates, f"{route.path} creates without Idempotency-Key"
    for route in ROUTES:
        if route.status == 201:
            assert route.method == "POST", route.path
            assert route.creates, route.path


@MODULE_LOOP
async def test_retried_registration_answers_the_first(hub: Hub) -> None:
    path = f"/agencies/{B}/push-endpoint"
    body = {"url": "https://127.0.0.1:9443/edocx"}
    key = {"Idempotency-Key": "register-b-1"}

    first = await hub.post(("b", "system"), path, json=body, headers=key)
    answer = await ok(first, 201)
    again = await hub.post(("b", "system"), path, json=body, headers=key)
    assert await ok(again, 201) == answer
    assert again.headers["Idempotent-Replayed"] == "true"

    # Nothing new: one endpoint with the first secret, one audit event.
    (secret,) = await rows(hub, "SELECT secret FROM push_endpoints")
    assert secret[0] == answer["secret"]
    events = await rows(
        hub, "SELECT COUNT(*) FROM audit_events WHERE action = 'push.endpoint.set'"
    )
    assert events[0][0] == 1

    # The same key for another request is a conflict.
    other = await hub.post(
        ("b", "system"), path, json={"url": "https://127.0.0.1:9444/"}, headers=key
    )
    assert other.status == 409


@MODULE_LOOP
async def test_retried_draft_creates_one_document(hub: Hub, sample_pdf: bytes) -> None:
    before = await hub.count("documents")
    key = "draft-once"
    first = await hub.upload(("a", "signer"), sample_pdf, header(), key=key)
    answer = await ok(first, 201)
    again = await hub.upload(("a", "signer"), sample_pdf, header(), key=key)
    assert await ok(again, 201) == answer
    assert await hub.count("documents") == before + 1
