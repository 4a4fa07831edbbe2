"""Hostile XML is refused before anything is expanded or fetched."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from edocx.edxml import parse
from edocx.edxml.parse import PacketParseError
from edocx.edxml.rules import check_packet
from tests.edxml.packets import NS, document_packet

LAUGHS = (
    "<!DOCTYPE edXML ["
    '<!ENTITY a "ha">'
    + "".join(
        f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(9)
    )
    + "]>"
)


def refusal(data: bytes) -> PacketParseError:
    with pytest.raises(PacketParseError) as caught:
        check_packet(data)
    return caught.value


def test_billion_laughs_is_refused() -> None:
    packet = document_packet(doctype=LAUGHS, subject="&j;")

    error = refusal(packet)

    assert error.code == "dtd-forbidden"
    assert not error.not_xml
    assert "DTD" in error.detail


def test_external_file_entity_is_refused_unread(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("MARKER-NOT-TO-LEAK")
    doctype = f'<!DOCTYPE edXML [<!ENTITY x SYSTEM "{secret.as_uri()}">]>'
    packet = document_packet(doctype=doctype, subject="&x;")

    error = refusal(packet)

    assert error.code == "dtd-forbidden"
    assert "MARKER" not in error.detail


def test_external_entity_on_loopback_is_never_fetched() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        listener.setblocking(False)
        port = listener.getsockname()[1]
        doctype = f'<!DOCTYPE edXML SYSTEM "http://127.0.0.1:{port}/edxml.dtd">'

        error = refusal(document_packet(doctype=doctype))

        assert error.code == "dtd-forbidden"
        with pytest.raises(BlockingIOError):
            listener.accept()


def test_depth_and_size_are_bounded() -> None:
    deep = document_packet(body="<a>" * 40 + "</a>" * 40)
    assert refusal(deep).code == "too-deep"

    with pytest.raises(PacketParseError) as caught:
        parse.parse_packet(document_packet(), max_bytes=100)
    assert caught.value.code == "too-large"


def test_millions_of_elements_stop_at_the_limit() -> None:
    flood = document_packet(body="<x/>" * (parse.MAX_ELEMENTS + 1))

    assert refusal(flood).code == "too-many-elements"


def test_a_tag_of_megabytes_is_refused_before_parsing() -> None:
    declarations = "".join(f' xmlns:p{i}="u:{i}"' for i in range(100_000))
    flood = document_packet(root=f'<edXML xmlns="{NS}"{declarations}>')

    assert refusal(flood).code == "tag-too-long"


def test_attributes_are_counted() -> None:
    many = "".join('<x a="1" b="2" c="3"/>' for _ in range(7_000))

    assert refusal(document_packet(body=many)).code == "too-many-attributes"


def test_processing_instructions_count_as_tags() -> None:
    flood = document_packet(body="<?x y?>" * (parse.MAX_TAGS + 1))

    assert refusal(flood).code == "too-many-elements"


def test_chunks_split_no_character(monkeypatch: pytest.MonkeyPatch) -> None:
    # Seven-byte chunks cut through every other Vietnamese letter.
    monkeypatch.setattr(parse, "CHUNK", 7)
    subject = "V/v Ủy ban nhân dân tỉnh Thừa Thiên Huế"

    root = parse.parse_packet(document_packet(subject=subject))

    found = root.find(f".//{{{parse.NAMESPACE}}}Subject")
    assert found is not None and found.text == subject


def test_not_xml_is_told_apart() -> None:
    error = refusal(b"%PDF-1.7 not a packet")

    assert error.not_xml
