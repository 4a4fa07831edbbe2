"""Hostile XML sent to POST /api/v1/edxml: refused fast, nothing fetched.

Entity expansion, external entities and DTDs, parameter entities, XInclude,
floods of elements and attributes, deep nesting and odd encodings each get
a 4xx problem within seconds; no listener named by a packet is contacted,
no file named by one is read into the answer, and nothing is kept.
"""

from __future__ import annotations

import io
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.edxml.packets import NS, document_packet
from tests.hostile.conftest import refusal, snapshot
from tests.web.hubkit import PROBLEM, Hub

pytestmark = pytest.mark.asyncio(loop_scope="module")

LAUGHS = (
    '<!DOCTYPE edXML [<!ENTITY l0 "lol">'
    + "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    + "]>"
)
QUADRATIC = f'<!DOCTYPE edXML [<!ENTITY q "{"q" * 50_000}">]>'


@pytest.fixture
def listener() -> Iterator[tuple[socket.socket, int]]:
    """A loopback socket a hostile packet names; nothing may connect to it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        sock.setblocking(False)
        yield sock, sock.getsockname()[1]
        with pytest.raises(BlockingIOError):
            sock.accept()


def hostile_packets(port: int, secret: Path) -> dict[str, bytes]:
    url = f"http://127.0.0.1:{port}/x"
    return {
        "billion-laughs": document_packet(doctype=LAUGHS, subject="&l9;"),
        "quadratic-blowup": document_packet(doctype=QUADRATIC, subject="&q;" * 2000),
        "external-file": document_packet(
            doctype=f'<!DOCTYPE edXML [<!ENTITY x SYSTEM "{secret.as_uri()}">]>',
            subject="&x;",
        ),
        "external-http": document_packet(
            doctype=f'<!DOCTYPE edXML [<!ENTITY x SYSTEM "{url}">]>', subject="&x;"
        ),
        "external-dtd": document_packet(doctype=f'<!DOCTYPE edXML SYSTEM "{url}">'),
        "parameter-entity": document_packet(
            doctype=f'<!DOCTYPE edXML [<!ENTITY % p SYSTEM "{url}"> %p;]>'
        ),
        "xinclude": document_packet(
            subject=(
                '<xi:include xmlns:xi="http://www.w3.org/2001/XInclude"'
                f' href="{secret.as_uri()}" parse="text"/>'
            )
        ),
        "deep": document_packet(body="<a>" * 5000 + "</a>" * 5000),
        "element-flood": document_packet(body="<x/>" * 200_000),
        "attribute-flood": document_packet(
            root=f'<edXML xmlns="{NS}" '
            + " ".join(f'a{i}="1"' for i in range(30_000))
            + ">"
        ),
        "utf7": document_packet().replace(b'encoding="UTF-8"', b'encoding="UTF-7"'),
        "utf16-liar": "\ufeff".encode("utf-16-le")
        + document_packet().decode().encode("utf-16-le"),
        "no-root": b'<?xml version="1.0"?>',
        "two-roots": document_packet() + b"<edXML/>",
        "cdata-only": b"<![CDATA[x]]>",
        "empty": b"",
    }


async def test_hostile_xml_is_refused_quickly_and_keeps_nothing(
    hub: Hub, listener: tuple[socket.socket, int], tmp_path: Path
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("MARKER-NOT-TO-LEAK")
    before = snapshot(hub)

    for name, data in hostile_packets(listener[1], secret).items():
        started = time.monotonic()
        response = await hub.post(
            ("b", "system"), "/edxml", data=io.BytesIO(data),
            headers={"Content-Type": "application/xml"},
        )  # fmt: skip

        body = await refusal(response)
        assert time.monotonic() - started < 10, name
        assert body["type"].removeprefix(PROBLEM) in REFUSALS, (name, body)
        assert "MARKER" not in str(body), name

    assert before.added(snapshot(hub)) == {}


REFUSALS = {"edxml-unsafe", "edxml-not-xml", "edxml-invalid"}


async def test_entity_expansion_names_its_problem(hub: Hub) -> None:
    response = await hub.post(
        ("b", "system"), "/edxml",
        data=io.BytesIO(document_packet(doctype=LAUGHS, subject="&l9;")),
        headers={"Content-Type": "application/xml"},
    )  # fmt: skip

    assert (await refusal(response))["type"] == PROBLEM + "edxml-unsafe"
