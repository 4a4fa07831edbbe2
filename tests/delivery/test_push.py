"""Push: HMAC-signed posts to a TLS receiver on loopback, retried with back-off.

The receiver is a real aiohttp server with a certificate from a test CA the
hub trusts (delivery.push_ca_bundle); it fails the first attempts, checks
every signature, and keeps each message id once.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
import pytest_asyncio
from lxml import etree

from edocx.edxml.parse import NAMESPACE
from tests.web.hubkit import A, B, C, Hub

from .conftest import eventually, issue, ok, register, rows
from .receiver import PushCA, Receiver

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def receivers(test_ca: PushCA) -> AsyncIterator[dict[str, Receiver]]:
    found = {code: Receiver(test_ca) for code in (A, B, C)}
    for receiver in found.values():
        await receiver.start()
    yield found
    for receiver in found.values():
        await receiver.stop()


async def test_push_backs_off_then_delivers_signed(
    hub: Hub, receivers: dict[str, Receiver], sample_pdf: bytes
) -> None:
    to_a, to_b = receivers[A], receivers[B]
    to_a.secret = await register(hub, "a", A, to_a.url)
    to_b.secret = await register(hub, "b", B, to_b.url)
    assert len(to_b.secret) >= 32 and to_b.secret != to_a.secret
    to_b.fail_first = 3

    # 1. The endpoint is shown without its secret; the directory says push.
    shown = await ok(await hub.get(("b", "system"), f"/agencies/{B}/push-endpoint"))
    assert shown["url"] == to_b.url and "secret" not in shown
    directory = await ok(await hub.get(("c", "clerk"), "/agencies"))
    modes = {item["organ_id"]: item["delivery_mode"] for item in directory["items"]}
    assert modes[B] == "push"

    # 2. The document reaches B after three refusals, signed, once.
    doc = await issue(hub, sample_pdf, recipients=[B])
    await eventually(lambda: _has(to_b, "document"))
    (kept,) = [r for r in to_b.kept.values() if r.kind == "document"]
    assert kept.content_type == "application/xml"
    assert _texts(kept.body, "DocumentId") == {doc["edxml_document_id"]}
    assert to_b.bad_signatures == 0

    # 3. The waits between attempts grow: 0.2 s, 0.4 s, 0.8 s (+/- 10 %).
    times = [at for at, mid in to_b.requests if mid == kept.message_id]
    assert len(times) == 4
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    for gap, expected in zip(gaps, (0.2, 0.4, 0.8), strict=True):
        assert expected * 0.85 <= gap <= expected * 1.1 + 0.5, gaps

    # 4. The hub kept each attempt; the 2xx is the ack and records 01. The
    # receiver has the message before the hub has written down its answer.
    async def attempts() -> list[str]:
        found = await rows(
            hub, "SELECT a.outcome FROM push_attempts a JOIN push_messages m"
            " ON m.id = a.message_id WHERE m.message_id = ? ORDER BY a.id",
            (kept.message_id,),
        )  # fmt: skip
        return [o[0] for o in found]

    await eventually(lambda: _settled(attempts, 4))
    assert await attempts() == ["503: busy"] * 3 + ["204"]
    statuses = await ok(
        await hub.get(("a", "clerk"), f"/documents/{doc['id']}/statuses")
    )
    (entry,) = statuses["deliveries"]
    assert [s["code"] for s in entry["statuses"]] == ["01"]
    pulled = await ok(await hub.get(("b", "system"), "/pull"))
    assert doc["id"] not in [item["id"] for item in pulled["items"]]

    # 5. The 01 is addressed to the sender, A, which receives by push too.
    await eventually(lambda: _has(to_a, "status"))
    (status,) = [r for r in to_a.kept.values() if r.kind == "status"]
    assert _texts(status.body, "StatusCode") == {"01"}
    assert _texts(status.body, "DocumentId") == {doc["edxml_document_id"]}
    assert to_a.bad_signatures == 0

    # 6. A repeated 01 moves nothing, so the sender is told nothing new.
    again = await hub.post(
        ("b", "system"), f"/documents/{doc['id']}/statuses", json={"code": "01"}
    )
    assert (await ok(again))["outcome"] == "repeat"
    await eventually(lambda: _scanned_every_status(hub))
    messages = await rows(
        hub, "SELECT COUNT(*) FROM push_messages WHERE kind = 'status'"
    )
    assert messages[0][0] == 1


async def test_a_lost_answer_is_sent_again_and_dropped_by_id(
    hub: Hub, receivers: dict[str, Receiver], sample_pdf: bytes
) -> None:
    to_c = receivers[C]
    to_c.secret = await register(hub, "c", C, to_c.url)
    to_c.lose_answers = 1

    await issue(hub, sample_pdf, recipients=[C])
    await eventually(lambda: _delivered(hub, C))
    (kept,) = to_c.kept.values()
    # Kept at the first post, whose answer was lost; the second is a copy.
    assert to_c.duplicates == 1
    assert [mid for _, mid in to_c.requests] == [kept.message_id] * 2


async def test_removing_the_endpoint_returns_to_pull(
    hub: Hub, receivers: dict[str, Receiver]
) -> None:
    path = f"/agencies/{C}/push-endpoint"
    # Another agency's system may not touch it.
    refused = await hub.client.delete("/api/v1" + path, headers=hub.auth("b", "system"))
    assert refused.status == 403
    removed = await hub.client.delete("/api/v1" + path, headers=hub.auth("c", "system"))
    assert removed.status == 204
    assert (await hub.get(("c", "system"), path)).status == 404
    directory = await ok(await hub.get(("c", "clerk"), "/agencies"))
    modes = {item["organ_id"]: item["delivery_mode"] for item in directory["items"]}
    assert modes[C] == "pull"


def _texts(packet: bytes, name: str) -> set[str]:
    """The texts of every edXML element ``name`` in a packet."""
    root = etree.fromstring(packet, etree.XMLParser(resolve_entities=False))
    return {e.text or "" for e in root.iter(f"{{{NAMESPACE}}}{name}")}


async def _has(receiver: Receiver, kind: str) -> bool:
    return any(r.kind == kind for r in receiver.kept.values())


async def _scanned_every_status(hub: Hub) -> bool:
    (row,) = await rows(
        hub, "SELECT (SELECT last_id FROM push_cursors WHERE name = 'statuses')"
        " >= (SELECT MAX(id) FROM delivery_statuses)",
    )  # fmt: skip
    return bool(row[0])


async def _delivered(hub: Hub, organ_id: str) -> bool:
    found = await rows(
        hub, "SELECT COUNT(*) FROM push_messages m JOIN agencies a"
        " ON a.id = m.agency_id WHERE a.organ_id = ? AND m.state = 'delivered'",
        (organ_id,),
    )  # fmt: skip
    return bool(found[0][0])


async def _settled(attempts: Callable[[], Awaitable[list[str]]], count: int) -> bool:
    return len(await attempts()) >= count
