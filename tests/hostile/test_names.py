"""File names that are paths, devices or hide characters are refused.

An edXML attachment's name travels to every recipient, whose system may
save the file under it; a multipart part's file name the hub ignores, but
refuses all the same when it is not a plain name. Neither keeps anything.
"""

from __future__ import annotations

import io
import json
from urllib.parse import quote
from xml.sax.saxutils import escape

import pytest

from tests.edxml.packets import document_packet
from tests.hostile.conftest import refusal, snapshot
from tests.web.hubkit import PROBLEM, Hub, header

pytestmark = pytest.mark.asyncio(loop_scope="module")

UNSAFE = [
    "../../etc/passwd",
    "..\\..\\Windows\\win.ini",
    "/etc/passwd",
    "C:\\boot.ini",
    "C:file.pdf",
    "a.pdf:hidden",
    "..",
    ".",
    "CON",
    "nul.pdf",
    "COM1.pdf",
    "lpt9",
    "AUX .txt",
    "com\u00b9.pdf",
    "a\u202egpj.pdf",
    "a\x7fb.pdf",
    "ends with a dot.",
    "ends with a space ",
    "x" * 256 + ".pdf",
]
SAFE = ["a.pdf", "Công văn số 12-UBND.pdf", ".hidden", "CONSOLE.pdf", "con-tract.pdf"]


def packet_naming(name: str, number: int = 12) -> bytes:
    data = document_packet().decode()
    data = data.replace(">a.pdf<", ">" + escape(name) + "<")
    return data.replace(">12<", f">{number}<").replace(",12/", f",{number}/").encode()


async def post_packet(hub: Hub, data: bytes) -> object:
    return await hub.post(
        ("b", "system"), "/edxml", data=io.BytesIO(data),
        headers={"Content-Type": "application/xml"},
    )  # fmt: skip


async def test_packet_with_a_plain_name_is_taken(hub: Hub) -> None:
    response = await post_packet(hub, packet_naming("Công văn 12.pdf", 4401))

    assert response.status == 201, await response.text()  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", UNSAFE, ids=repr)
async def test_packet_attachment_with_an_unsafe_name_is_refused(
    hub: Hub, name: str
) -> None:
    before = snapshot(hub)

    body = await refusal(await post_packet(hub, packet_naming(name)))  # type: ignore[arg-type]

    assert body["type"] == PROBLEM + "edxml-invalid", body
    assert "attachment-name-unsafe" in json.dumps(body)
    assert before.added(snapshot(hub)) == {}


async def test_nul_in_an_attachment_name_is_not_xml(hub: Hub) -> None:
    data = packet_naming("a.pdf").replace(b">a.pdf<", b">a\x00.pdf<")

    body = await refusal(await post_packet(hub, data))  # type: ignore[arg-type]

    assert body["type"] == PROBLEM + "edxml-not-xml"


def draft_body(file_name: str, *, encoded: bool) -> tuple[bytes, str]:
    """A draft form whose file part is named as a browser would name it.

    A quoted string carries the name with its quotes and backslashes
    escaped; aiohttp's client percent-encodes it. Both must be refused.
    (aiohttp's reader drops a name with DEL in it: that one is left out.)
    """
    quoted = file_name.replace("\\", "\\\\").replace('"', '\\"')
    name = quote(file_name, safe="") if encoded else quoted
    text = (
        "--b\r\n"
        'Content-Disposition: form-data; name="header"\r\n'
        "Content-Type: application/json\r\n\r\n"
        f"{json.dumps(header())}\r\n"
        "--b\r\n"
        f'Content-Disposition: form-data; name="file"; filename="{name}"\r\n'
        "Content-Type: application/pdf\r\n\r\n%PDF-1.7\r\n"
        "--b--\r\n"
    )
    return text.encode("utf-8"), "multipart/form-data; boundary=b"


@pytest.mark.parametrize("encoded", [False, True], ids=["raw", "percent"])
@pytest.mark.parametrize("name", UNSAFE, ids=repr)
async def test_draft_part_with_an_unsafe_file_name_is_refused(
    hub: Hub, name: str, encoded: bool
) -> None:
    if "\x7f" in name and not encoded:
        pytest.skip("aiohttp's reader drops a file name with DEL in it")
    body, media = draft_body(name, encoded=encoded)
    before = snapshot(hub)

    response = await hub.post(
        ("a", "clerk"), "/drafts", data=body, headers={"Content-Type": media}
    )

    assert (await refusal(response))["type"] == PROBLEM + "file-name-unsafe"
    assert before.added(snapshot(hub)) == {}


async def test_nul_byte_in_a_part_file_name_is_refused(hub: Hub) -> None:
    boundary = "nulname"
    body = (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="file"; filename="a\x00.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n%PDF-1.7\r\n"
        f"--{boundary}--\r\n"
    ).encode()

    response = await hub.post(
        ("a", "clerk"), "/verify", data=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )  # fmt: skip

    assert (await refusal(response))["type"] in (
        PROBLEM + "file-name-unsafe",
        PROBLEM + "request-invalid",
    )
