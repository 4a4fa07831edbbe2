"""SIGKILL under load: every acknowledged send and status survives, whole.

The real hub runs as a subprocess (``edocx serve``). Agency A's system
posts document packets to B and C from many clients at once while B's
system fetches each answered document and posts 03; at a random moment
the hub's process group is killed with SIGKILL, then started again, three
times over. At the end the hub's files must hold:

- every send answered 2xx once, with the PDF that was sent (hashed);
- no document half stored (recipients, deliveries, the packet row, the
  blob) and none that no client sent;
- every acknowledged status, and each delivery's summary equal to the last
  of its history;
- an audit log that verifies against every tree head read before a kill.

Then the hub starts once more: every send a kill cut is sent again with its
Idempotency-Key and must end stored once; C's push messages, held back
across the kills by C's system refusing them, must all be delivered.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import random
import secrets
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest

from edocx.audit.treehead import SignedTreeHead
from edocx.bench.sendflows import document_packet
from edocx.config import Settings
from edocx.store.db import Database
from edocx.vntime import vietnam_time
from tests.delivery.receiver import PushCA, Receiver
from tests.web.hubkit import A, B, C, seed_demo

from .crashkit import AUDIT_ENV, Ledger, Pending, Sent, check_store, sha256
from .servekit import ServedHub, bearer

pytestmark = [pytest.mark.slow, pytest.mark.asyncio(loop_scope="function")]

logger = logging.getLogger(__name__)

ROUNDS = 3
# Clients at once, each sending a packet, then fetching it as B and
# answering 03, until the kill.
CLIENTS = 32


class Traffic:
    """One run's clients; what the hub answered goes into the ledger."""

    def __init__(
        self, http: aiohttp.ClientSession, hub: ServedHub,
        tokens: dict[str, dict[str, str]], ledger: Ledger, pdf: bytes,
    ) -> None:  # fmt: skip
        self.http, self.hub, self.ledger, self.pdf = http, hub, ledger, pdf
        self.sender = bearer(tokens["a"]["system"])
        self.receiver = bearer(tokens["b"]["system"])
        self.answered = asyncio.Event()

    async def client(self, seqs: Iterator[int]) -> None:
        """Send, fetch as B and answer 03, over and over until the kill."""
        for seq in seqs:
            uuid = await self.send(seq)
            await self.receive(uuid)

    async def send(self, seq: int) -> str:
        # Bytes after %%EOF make every PDF, hence every blob, distinct.
        pdf = self.pdf + f"\n% send {seq}\n".encode()
        on = vietnam_time(datetime.now(UTC))
        packet = document_packet(pdf, A, [B, C], seq, on=on)
        edxml_id = f"{A},{on:%Y/%m/%d},{seq}/QĐ-UBND"
        self.ledger.tried.add(edxml_id)
        pending = Pending(secrets.token_hex(16), packet, sha256(pdf))
        self.ledger.pending[edxml_id] = pending
        status, body = await post_packet(self.http, self.hub, self.sender, pending)
        assert status == 201, body
        uuid: str = body["document"]["id"]
        del self.ledger.pending[edxml_id]
        self.ledger.sent[edxml_id] = Sent(edxml_id, uuid, pending.pdf_sha256)
        self.answered.set()
        return uuid

    async def receive(self, uuid: str) -> None:
        url = f"{self.hub.api}/documents/{uuid}"
        async with self.http.get(url + "/pdf", headers=self.receiver) as got:
            assert got.status == 200, await got.text()
            await got.read()
        async with self.http.post(
            url + "/statuses", json={"code": "03"}, headers=self.receiver
        ) as posted:
            assert posted.status in (200, 201), await posted.text()
        self.ledger.statuses.append((uuid, "03"))

    async def keep_tree_head(self) -> None:
        """Keep the latest signed tree head, as an agency's system would."""
        async with self.http.get(
            self.hub.api + "/audit/tree-head", headers=self.receiver
        ) as answer:
            if answer.status == 200:
                sth = SignedTreeHead.model_validate_json(await answer.read())
                self.ledger.heads.append(sth)


async def post_packet(
    http: aiohttp.ClientSession, hub: ServedHub, auth: dict[str, str],
    pending: Pending,
) -> tuple[int, dict[str, Any]]:  # fmt: skip
    """Post a packet with its Idempotency-Key; return the answer."""
    headers = {
        **auth, "Content-Type": "application/xml", "Idempotency-Key": pending.key
    }  # fmt: skip
    async with http.post(
        hub.api + "/edxml", data=pending.packet, headers=headers
    ) as answer:
        body: dict[str, Any] = await answer.json(content_type=None)
        return answer.status, body


async def _round(traffic: Traffic, seqs: Iterator[int], rng: random.Random) -> None:
    """Run the clients; kill the hub at a random moment."""
    tasks = [asyncio.ensure_future(traffic.client(seqs)) for _ in range(CLIENTS)]
    await asyncio.wait_for(traffic.answered.wait(), 60)
    await asyncio.sleep(rng.uniform(1.0, 4.0))
    await traffic.keep_tree_head()
    await asyncio.sleep(rng.uniform(0.0, 0.5))
    traffic.hub.kill()

    outcomes = await asyncio.gather(*tasks, return_exceptions=True)
    for outcome in outcomes:
        # Only the kill may stop a client: no refusal, no wrong answer.
        assert isinstance(outcome, aiohttp.ClientError), repr(outcome)


async def test_kill_during_sends_and_statuses(
    scratch_settings: Settings, push_ca: PushCA, sample_pdf: bytes
) -> None:
    seed = int(os.environ.get("CRASH_TEST_SEED", random.randrange(10**6)))
    rng = random.Random(seed)
    logger.warning("crash test seed %d (CRASH_TEST_SEED replays it)", seed)
    tokens = await seed_demo(scratch_settings)
    ledger = Ledger()
    # C's system is slow to come up: pushes wait in the hub across the kills.
    receiver = Receiver(push_ca, fail_first=60)
    await receiver.start()
    hub = ServedHub(scratch_settings, extra_env=AUDIT_ENV)
    try:
        async with aiohttp.ClientSession() as http:
            await hub.start()
            receiver.secret = await _register_push(http, hub, tokens, receiver.url)
            seqs = itertools.count(1)
            for number in range(ROUNDS):
                if number:
                    await hub.start()
                traffic = Traffic(http, hub, tokens, ledger, sample_pdf)
                await _round(traffic, seqs, rng)
                logger.warning(
                    "after kill %d: %d sends tried, %d and %d statuses"
                    " acknowledged", number + 1, len(ledger.tried),
                    len(ledger.sent), len(ledger.statuses),
                )  # fmt: skip

            # After the last kill: the files as the crash left them.
            faults = await check_store(scratch_settings, ledger)
            assert not faults, f"seed {seed}: " + "\n".join(faults[:20])

            await hub.start()
            await _retry_cut_sends(http, hub, tokens, ledger)
            await _pushes_resume(scratch_settings, receiver)
            await _acknowledged_readable(http, hub, tokens, ledger)
            hub.stop()
    finally:
        hub.kill()
        await receiver.stop()

    assert len(ledger.tried) >= 200, f"seed {seed}: too few sends"
    assert len(ledger.sent) >= 100, f"seed {seed}: too few sends answered"
    assert await check_store(scratch_settings, ledger) == []


async def _retry_cut_sends(
    http: aiohttp.ClientSession, hub: ServedHub, tokens: dict[str, Any],
    ledger: Ledger,
) -> None:  # fmt: skip
    """Send again what a kill left unanswered, same key, same bytes.

    A send the hub did not store is stored now; one it stored was stored
    with its answer, in one transaction, and is answered again: every retry
    gets 201 and the document is there once.
    """
    sender = bearer(tokens["a"]["system"])
    assert ledger.pending, "no send was cut by the kills"
    for edxml_id, pending in list(ledger.pending.items()):
        status, body = await post_packet(http, hub, sender, pending)
        assert status == 201, f"{edxml_id}: {body}"
        uuid = body["document"]["id"]
        assert await stored_uuids(hub.settings, edxml_id) == [uuid], edxml_id
        del ledger.pending[edxml_id]
        ledger.sent[edxml_id] = Sent(edxml_id, uuid, pending.pdf_sha256)


async def stored_uuids(settings: Settings, edxml_id: str) -> list[str]:
    db = Database(settings.storage.db_path)
    await db.open()
    try:
        async with db.read() as reader:
            rows = await reader.fetch_all(
                "SELECT uuid FROM documents WHERE edxml_document_id = ?", (edxml_id,)
            )
    finally:
        await db.close()
    return [row[0] for row in rows]


async def _register_push(
    http: aiohttp.ClientSession, hub: ServedHub, tokens: dict[str, Any], url: str
) -> str:
    async with http.post(
        f"{hub.api}/agencies/{C}/push-endpoint", json={"url": url},
        headers=bearer(tokens["c"]["system"]),
    ) as answer:  # fmt: skip
        body = await answer.json()
        assert answer.status == 201, body
    secret: str = body["secret"]
    return secret


async def _pushes_resume(settings: Settings, receiver: Receiver) -> None:
    """Every delivery to C ends as a push message delivered to C's system."""
    receiver.fail_first = 0
    deadline = time.monotonic() + 60
    while True:
        states = await _push_states(settings)
        if (
            states["deliveries"]
            and states["pending"] == 0
            and (states["delivered_documents"] == states["deliveries"])
        ):
            break
        assert time.monotonic() < deadline, f"pushes did not resume: {states}"
        await asyncio.sleep(0.2)
    assert receiver.bad_signatures == 0
    delivered = await _delivered_ids(settings)
    assert delivered <= set(receiver.kept), "a push marked delivered never arrived"


async def _push_states(settings: Settings) -> dict[str, int]:
    db = Database(settings.storage.db_path)
    await db.open()
    try:
        async with db.read() as reader:
            row = await reader.fetch_one(
                "SELECT"
                " (SELECT COUNT(*) FROM deliveries v JOIN agencies g"
                "  ON g.id = v.recipient_agency_id WHERE g.organ_id = ?),"
                " (SELECT COUNT(*) FROM push_messages WHERE state != 'delivered'),"
                " (SELECT COUNT(DISTINCT delivery_id) FROM push_messages"
                "  WHERE kind = 'document' AND state = 'delivered')",
                (C,),
            )
    finally:
        await db.close()
    assert row is not None
    return dict(zip(("deliveries", "pending", "delivered_documents"), row, strict=True))


async def _delivered_ids(settings: Settings) -> set[str]:
    db = Database(settings.storage.db_path)
    await db.open()
    try:
        async with db.read() as reader:
            rows = await reader.fetch_all(
                "SELECT message_id FROM push_messages WHERE state = 'delivered'"
            )
    finally:
        await db.close()
    return {row[0] for row in rows}


async def _acknowledged_readable(
    http: aiohttp.ClientSession, hub: ServedHub, tokens: dict[str, Any],
    ledger: Ledger,
) -> None:  # fmt: skip
    """After the restart B reads every acknowledged send's PDF, as sent."""
    headers = bearer(tokens["b"]["system"])
    for sent in ledger.sent.values():
        url = f"{hub.api}/documents/{sent.uuid}/pdf"
        async with http.get(url, headers=headers) as answer:
            assert answer.status == 200, await answer.text()
            assert sha256(await answer.read()) == sent.pdf_sha256
