"""What an Idempotency-Key identifies: one key per request, and every byte sent.

Two keys in one request would let it run twice under two names; an
operation that takes no input still has its body covered by the key, so
that a retry with a body the first request did not carry is refused, not
answered with the first request's answer.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.exchange.lifekit import read_pdf
from tests.web.hubkit import Hub, header, problem

pytestmark = pytest.mark.asyncio(loop_scope="module")

CLERK, SIGNER = ("a", "clerk"), ("a", "signer")


async def test_two_keys_in_one_request_are_refused(hub: Hub, pdfs: Path) -> None:
    before = await hub.count("documents")
    headers = [
        *hub.auth(*CLERK).items(),
        ("Idempotency-Key", "two-a"),
        ("Idempotency-Key", "two-b"),
        ("Content-Type", "application/json"),
    ]

    response = await hub.client.post(
        "/api/v1/documents/1/issue", headers=headers, data=b"{}"
    )

    await problem(response, 400, "request-invalid")
    assert await hub.count("documents") == before


async def test_a_retry_with_a_body_the_first_did_not_carry_is_refused(
    hub: Hub, pdfs: Path
) -> None:
    created = await hub.upload(CLERK, read_pdf(pdfs), header())
    assert created.status == 201, await created.text()
    doc_id = (await created.json())["document"]["id"]
    key = {"Idempotency-Key": f"sign-{doc_id}"}

    signed = await hub.post(SIGNER, f"/documents/{doc_id}/sign", headers=key)
    assert signed.status == 200, await signed.text()
    again = await hub.post(SIGNER, f"/documents/{doc_id}/sign", headers=key)
    other = await hub.post(
        SIGNER, f"/documents/{doc_id}/sign", json={"level": "B-B"}, headers=key
    )

    assert again.status == 200 and again.headers["Idempotent-Replayed"] == "true"
    await problem(other, 409, "idempotency-key-conflict")
