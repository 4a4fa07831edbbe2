"""Every sample packet posted over HTTP, as its README says; refusals store nothing."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import ClientResponse

from edocx.config import Settings
from edocx.pki.devpki import PKILayout
from edocx.pki.server import PKIServerThread
from tests.edxml.hubs import PacketHub, packet_hub
from tests.edxml.test_hostile import LAUGHS
from tests.web.hubkit import problem

pytestmark = pytest.mark.asyncio(loop_scope="module")

G22, H41, H14, G17 = "000.00.00.G22", "000.00.00.H41", "000.00.00.H14", "000.00.00.G17"
ORIGINAL = "000.00.00.G22,2015/09/30,7816/VPCP-TTĐT"
SIG, MISMATCH, IMPOSSIBLE = (
    "packet-signature-invalid",
    "document-id-mismatch",
    "impossible-date",
)


@pytest.fixture(scope="module")
def base(
    test_settings: Settings, dev_pki: PKILayout, pki_server: PKIServerThread
) -> Settings:
    return test_settings


@pytest_asyncio.fixture(loop_scope="module")
async def hub(base: Settings, tmp_path: Path) -> AsyncIterator[PacketHub]:
    async with packet_hub(base, tmp_path / "var") as running:
        yield running


def sample(edxml_dir: Path, name: str) -> bytes:
    return (edxml_dir / name).read_bytes()


async def ok(response: ClientResponse, status: int) -> dict[str, Any]:
    body: dict[str, Any] = await response.json()
    assert response.status == status, body
    return body


def codes(body: dict[str, Any]) -> list[str]:
    return [w["code"] for w in body["warnings"]]


async def send_original(hub: PacketHub, edxml_dir: Path) -> dict[str, Any]:
    return await ok(
        await hub.send(G22, sample(edxml_dir, "received_sample.edxml")), 201
    )


async def test_new_document_is_stored_with_warnings_and_routed(
    hub: PacketHub, edxml_dir: Path
) -> None:
    body = await send_original(hub, edxml_dir)

    assert (body["kind"], body["business_type"]) == ("document", 0)
    assert codes(body) == [MISMATCH, IMPOSSIBLE, SIG]
    document = body["document"]
    assert document["state"] == "relayed"
    assert document["edxml_document_id"] == ORIGINAL
    assert document["recipients"] == [H41, H14, G17]
    assert (document["notation"], document["type"]) == ("7816/VPCP-TTĐT", "Công văn")
    [row] = await hub.rows(
        "SELECT code_number, promulgation_date, business_type, warnings_json"
        " FROM documents WHERE uuid = ?", (document["id"],),
    )  # fmt: skip
    assert tuple(row)[:3] == ("7816", "2019-04-11", 0)
    assert SIG in row[3]
    # Deliveries exist at once; 01 comes when the recipients fetch.
    counts = await hub.counts()
    assert (counts["deliveries"], counts["delivery_statuses"]) == (3, 0)
    [attachment] = await hub.rows(
        "SELECT content_id, name, size FROM document_attachments"
    )
    assert tuple(attachment) == ("cid:209", "1896_QD-TTg_m_294779.doc", 4151)


async def test_duplicate_new_document_is_refused(
    hub: PacketHub, edxml_dir: Path
) -> None:
    await send_original(hub, edxml_dir)
    before = await hub.counts()

    again = await hub.send(G22, sample(edxml_dir, "received_sample.edxml"))

    body = await problem(again, 409, "document-duplicate")
    assert body["document_id"] == ORIGINAL
    assert await hub.counts() == before


async def test_statuses_follow_the_life_cycle(hub: PacketHub, edxml_dir: Path) -> None:
    await send_original(hub, edxml_dir)

    for name, code in (
        ("status_inbox_01.edxml", "01"),
        ("status_acceptance_03.edxml", "03"),
        ("status_assignment_04.edxml", "04"),
        ("status_processing_05.edxml", "05"),
        ("status_finish_06.edxml", "06"),
    ):
        body = await ok(await hub.send(H41, sample(edxml_dir, name)), 200)
        assert (body["kind"], body["status_code"]) == ("status", code)
        assert body["outcome"] == "applied", name
        assert body["document"]["edxml_document_id"] == ORIGINAL

    # 02 after 03 is refused and not stored.
    before = await hub.counts()
    late = await hub.send(H41, sample(edxml_dir, "status_rejection_02.edxml"))
    assert late.status == 409, await late.text()
    assert await hub.counts() == before
    rows = await hub.rows("SELECT status_code FROM edxml_packets WHERE kind = 'status'")
    assert [r[0] for r in rows] == ["01", "03", "04", "05", "06"]


async def test_statuses_after_the_hub_recorded_01(
    hub: PacketHub, edxml_dir: Path
) -> None:
    sent = await send_original(hub, edxml_dir)
    fetched = await hub.hub.client.get(
        f"/api/v1/documents/{sent['document']['id']}/edxml",
        headers={"Authorization": "Bearer " + hub.tokens[H41]},
    )
    assert fetched.headers["X-Edocx-Arrival-Recorded"] == "true"

    # The samples were given in 2015: the hub's clock at its own 01 orders
    # nothing, so each of them still moves the delivery on.
    for name in ("status_acceptance_03.edxml", "status_assignment_04.edxml",
                 "status_processing_05.edxml", "status_finish_06.edxml"):  # fmt: skip
        body = await ok(await hub.send(H41, sample(edxml_dir, name)), 200)
        assert body["outcome"] == "applied", name


async def test_a_packet_without_a_pdf_is_fetched_as_a_packet(
    hub: PacketHub, edxml_dir: Path
) -> None:
    sent = await send_original(hub, edxml_dir)
    doc = sent["document"]["id"]
    auth = {"Authorization": "Bearer " + hub.tokens[H41]}

    # 1. Its attachment is a zip: there is no PDF to hand out.
    pdf = await hub.hub.client.get(f"/api/v1/documents/{doc}/pdf", headers=auth)
    body = await problem(pdf, 409, "document-without-pdf")
    assert f"/api/v1/documents/{doc}/edxml" in body["hint"]

    # 2. The pull offers the packet, not a PDF.
    pulled = await ok(await hub.hub.client.get("/api/v1/pull", headers=auth), 200)
    (item,) = [i for i in pulled["items"] if i["id"] == doc]
    assert item["pdf"] is None and item["edxml"] == f"/api/v1/documents/{doc}/edxml"

    # 3. Fetching the packet is the receipt: 01, once.
    for expected in ("true", "false"):
        got = await hub.hub.client.get(item["edxml"], headers=auth)
        assert got.status == 200, await got.text()
        assert got.headers["X-Edocx-Arrival-Recorded"] == expected
    rows = await hub.rows(
        "SELECT s.code FROM delivery_statuses s JOIN deliveries v"
        " ON v.id = s.delivery_id JOIN documents d ON d.id = v.document_id"
        " JOIN agencies a ON a.id = v.recipient_agency_id"
        " WHERE d.uuid = ? AND a.organ_id = ?",
        (doc, H41),
    )
    assert [r[0] for r in rows] == ["01"]


async def test_repeated_01_with_a_warning(hub: PacketHub, edxml_dir: Path) -> None:
    await send_original(hub, edxml_dir)
    await ok(await hub.send(H41, sample(edxml_dir, "status_inbox_01.edxml")), 200)

    body = await ok(await hub.send(H41, sample(edxml_dir, "status.edxml")), 200)

    assert body["status_code"] == "01" and body["outcome"] == "repeat"
    assert codes(body) == ["response-for-date"]


async def test_sender_asks_back_and_recipient_answers(
    hub: PacketHub, edxml_dir: Path
) -> None:
    await send_original(hub, edxml_dir)

    asked = await ok(
        await hub.send(G22, sample(edxml_dir, "status_cancellation_13.edxml")), 200
    )
    answered = await ok(
        await hub.send(H41, sample(edxml_dir, "status_change-rejection_16.edxml")), 200
    )

    assert (asked["status_code"], answered["status_code"]) == ("13", "16")
    rows = await hub.rows(
        "SELECT s.code, a.organ_id FROM delivery_statuses s"
        " JOIN deliveries v ON v.id = s.delivery_id"
        " JOIN agencies a ON a.id = v.recipient_agency_id ORDER BY s.id"
    )
    assert [tuple(r) for r in rows] == [("13", H41), ("16", H41)]


@pytest.mark.parametrize(
    ("name", "kind", "answer"),
    [("edoc_revocation.edxml", "revoke", "status_change-acceptance_15.edxml"),
     ("edoc_update.edxml", "update", "status_change-rejection_16.edxml")],
)  # fmt: skip
async def test_revocation_and_update_ask_every_recipient(
    hub: PacketHub, edxml_dir: Path, name: str, kind: str, answer: str
) -> None:
    await send_original(hub, edxml_dir)

    body = await ok(await hub.send(G22, sample(edxml_dir, name)), 200)

    assert body["status_code"] == "13" and codes(body)[-1] == SIG
    assert body["document"]["edxml_document_id"] == ORIGINAL
    rows = await hub.rows("SELECT change_kind FROM delivery_statuses WHERE code = '13'")
    assert [r[0] for r in rows] == [kind] * 3
    await ok(await hub.send(H41, sample(edxml_dir, answer)), 200)


async def test_replacement_is_a_new_document_linked_to_the_old(
    hub: PacketHub, edxml_dir: Path
) -> None:
    original = (await send_original(hub, edxml_dir))["document"]

    body = await ok(
        await hub.send(G22, sample(edxml_dir, "edoc_replacement.edxml")), 201
    )

    assert body["business_type"] == 3
    assert body["document"]["id"] != original["id"]
    # The listed documents are unknown here: reported, and the packet's own
    # DocumentId names the document it replaces.
    assert codes(body) == [MISMATCH, SIG, "replacement-unknown", "replacement-unknown"]
    rows = await hub.rows(
        "SELECT COUNT(*) FROM deliveries v JOIN documents d ON d.id = v.document_id"
        " WHERE d.uuid = ? AND v.replaced_by_document_id IS NOT NULL",
        (original["id"],),
    )
    assert rows[0][0] == 3


async def test_update_of_an_unknown_document_is_not_found(
    hub: PacketHub, edxml_dir: Path
) -> None:
    before = await hub.counts()

    response = await hub.send(G22, sample(edxml_dir, "edoc_update.edxml"))

    await problem(response, 404, "document-not-found")
    assert await hub.counts() == before


async def test_edoc_new_with_its_warnings(hub: PacketHub, edxml_dir: Path) -> None:
    body = await ok(
        await hub.send("000.00.00.A80", sample(edxml_dir, "edoc_new.edxml")), 201
    )

    assert codes(body) == [
        MISMATCH,
        "code-number-not-numeric",
        "organ-id-groups",
        IMPOSSIBLE,
        SIG,
    ]
    assert body["document"]["recipients"] == ["28.22.H17"]


async def test_unknown_recipients_are_listed(
    base: Settings, tmp_path: Path, edxml_dir: Path
) -> None:
    async with packet_hub(base, tmp_path / "var", agencies={}) as hub:
        before = await hub.counts()
        response = await hub.send(G22, sample(edxml_dir, "received_sample.edxml"))

        body = await problem(response, 422, "recipient-unknown")
        assert body["recipients"] == [G17]
        assert await hub.counts() == before


async def test_strict_agency_refuses_warnings(
    base: Settings, tmp_path: Path, edxml_dir: Path
) -> None:
    async with packet_hub(base, tmp_path / "var", strict_agencies=[G22]) as hub:
        before = await hub.counts()
        response = await hub.send(G22, sample(edxml_dir, "received_sample.edxml"))

        body = await problem(response, 422, "edxml-invalid")
        assert body["strict"] is True
        assert [e["code"] for e in body["errors"]] == [MISMATCH, IMPOSSIBLE, SIG]
        assert await hub.counts() == before


@pytest.mark.parametrize(
    ("packet", "status", "code"),
    [
        (b"not a packet", 422, "edxml-not-xml"),
        (b'<?xml version="1.0"?>' + LAUGHS.encode() + b"<edXML>&j;</edXML>",
         422, "edxml-unsafe"),
        (b'<?xml version="1.0"?><!DOCTYPE edXML [<!ENTITY x SYSTEM'
         b' "file:///etc/passwd">]><edXML>&x;</edXML>', 422, "edxml-unsafe"),
        (b'<?xml version="1.0"?><other xmlns="urn:x"/>', 422, "edxml-invalid"),
    ],
)  # fmt: skip
async def test_hostile_or_broken_xml_stores_nothing(
    hub: PacketHub, packet: bytes, status: int, code: str
) -> None:
    before = await hub.counts()

    body = await problem(await hub.send(G22, packet), status, code)

    assert "root" not in body["detail"]
    assert await hub.counts() == before


async def test_broken_sample_is_not_xml(hub: PacketHub, edxml_dir: Path) -> None:
    before = await hub.counts()

    body = await problem(
        await hub.send(G22, sample(edxml_dir, "edoc.edxml")), 422, "edxml-not-xml"
    )

    assert "line 74" in body["detail"]
    assert await hub.counts() == before


async def test_secret_document_is_refused(hub: PacketHub, edxml_dir: Path) -> None:
    packet = sample(edxml_dir, "received_sample.edxml").replace(
        b"<edXML:OtherInfo>",
        "<edXML:OtherInfo><edXML:Secret>Tối mật</edXML:Secret>".encode(), 1,
    )  # fmt: skip
    before = await hub.counts()

    await problem(await hub.send(G22, packet), 422, "document-secret")

    assert await hub.counts() == before


async def test_packet_of_another_agency_is_refused(
    hub: PacketHub, edxml_dir: Path
) -> None:
    before = await hub.counts()

    response = await hub.send(H41, sample(edxml_dir, "received_sample.edxml"))

    await problem(response, 403, "edxml-sender-mismatch")
    assert await hub.counts() == before


async def test_a_retried_packet_creates_nothing_new(
    hub: PacketHub, edxml_dir: Path
) -> None:
    packet = sample(edxml_dir, "received_sample.edxml")

    first = await ok(await hub.send(G22, packet, **{"Idempotency-Key": "k1"}), 201)
    again = await hub.send(G22, packet, **{"Idempotency-Key": "k1"})

    assert again.status == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert (await again.json())["document"]["id"] == first["document"]["id"]
    assert (await hub.counts())["documents"] == 1


async def test_concurrent_sends_with_one_key_answer_as_retries(
    hub: PacketHub, edxml_dir: Path
) -> None:
    packet = sample(edxml_dir, "received_sample.edxml")
    key = {"Idempotency-Key": "k-concurrent"}

    answers = await asyncio.gather(*(hub.send(G22, packet, **key) for _ in range(8)))

    # One stores it; the others replay it or are told it is still running,
    # never that their own packet is a duplicate of it.
    codes = sorted([a.status for a in answers])
    assert codes.count(201) >= 1, codes
    for answer in answers:
        if answer.status == 409:
            body = await answer.json(content_type=None)
            assert body["type"].endswith("/idempotency-key-in-use"), body
    assert (await hub.counts())["documents"] == 1


async def test_a_recipient_cannot_revoke_what_it_received(
    hub: PacketHub, edxml_dir: Path
) -> None:
    await send_original(hub, edxml_dir)
    revocation = sample(edxml_dir, "edoc_revocation.edxml").replace(
        b"<edXML:OrganId>000.00.00.G22</edXML:OrganId>",
        b"<edXML:OrganId>000.00.00.H41</edXML:OrganId>", 1,
    )  # fmt: skip
    before = await hub.counts()

    response = await hub.send(H41, revocation)

    await problem(response, 404, "document-not-found")
    assert await hub.counts() == before


async def test_a_status_behind_the_state_is_late(
    hub: PacketHub, edxml_dir: Path
) -> None:
    await send_original(hub, edxml_dir)
    await ok(await hub.send(H41, sample(edxml_dir, "status_inbox_01.edxml")), 200)
    await ok(await hub.send(H41, sample(edxml_dir, "status_acceptance_03.edxml")), 200)
    # A 04 an hour older than the 03 by its own Timestamp, then a 01 again.
    earlier = sample(edxml_dir, "status_assignment_04.edxml").replace(
        b"2015/09/20 11:08:36", b"2015/09/20 10:08:36"
    )

    for packet in (earlier, sample(edxml_dir, "status_inbox_01.edxml")):
        body = await ok(await hub.send(H41, packet), 200)
        assert body["outcome"] == "late", body

    rows = await hub.rows("SELECT code, outcome FROM delivery_statuses ORDER BY id")
    assert [tuple(r) for r in rows][-2:] == [("04", "late"), ("01", "late")]


async def test_a_packet_over_the_limit_is_413_and_a_wrong_type_415(
    base: Settings, tmp_path: Path, edxml_dir: Path
) -> None:
    async with packet_hub(base, tmp_path / "var", max_packet_mb=1) as small:
        before = await small.counts()
        big = sample(edxml_dir, "received_sample.edxml") + b" " * (1024 * 1024)

        over = await small.send(G22, io.BytesIO(big))
        body = await problem(over, 413, "upload-too-large")
        assert "edxml.max_packet_mb" in body["detail"]

        as_json = await small.hub.client.post(
            "/api/v1/edxml", data=sample(edxml_dir, "received_sample.edxml"),
            headers={"Authorization": "Bearer " + small.tokens[G22],
                     "Content-Type": "application/json"},
        )  # fmt: skip
        await problem(as_json, 415, "media-type-unsupported")
        assert await small.counts() == before
