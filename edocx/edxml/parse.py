"""Parse an edXML packet safely: no DTD, no entities, no network, bounded.

A packet comes from another agency's system, so the XML is hostile until
proven otherwise. A first pass with expat refuses any document type
declaration (which is where billion-laughs and external entities live) and
enforces the depth limit; only then does ElementTree build the tree, from a
document that can hold no entity beyond the five predefined ones.
"""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
from typing import NoReturn
from xml.parsers import expat

from edocx.errors import InputError

logger = logging.getLogger(__name__)

NAMESPACE = "http://www.mic.gov.vn/TBT/QCVN_102_2016"

# The samples with a zipped attachment weigh 370 kB; allow large scanned
# documents (a 50 MB PDF is 67 MB in base64; the hub's default
# edxml.max_packet_mb) but not an unbounded upload.
MAX_BYTES = 80 * 1024 * 1024
MAX_DEPTH = 32
# A packet has some dozens of header elements and a handful per attachment;
# millions of empty elements, attributes or namespace declarations are an
# attack on the parser's time.
MAX_ELEMENTS = 20_000
MAX_ATTRIBUTES = 20_000
# The parser reads a whole tag before it calls back, and reads a tag cut by
# a chunk boundary again: a tag of megabytes (millions of attributes) costs
# seconds before any limit above can act. Tags are measured first.
MAX_TAG_BYTES = 64 * 1024
MAX_TAGS = 4 * MAX_ELEMENTS
# Parsing runs in a thread but holds the interpreter lock while the parser
# works on a chunk: small chunks let the event loop run between them.
CHUNK = 256 * 1024


class PacketParseError(InputError):
    """The packet cannot be read as XML at all, or is refused as hostile.

    ``code`` names the reason: ``not-xml``, ``dtd-forbidden``, ``too-large``,
    ``too-deep``, ``too-many-elements``, ``too-many-attributes`` or
    ``tag-too-long``.
    """

    def __init__(self, code: str, detail: str, *, hint: str | None = None) -> None:
        super().__init__(detail, hint=hint)
        self.code = code

    @property
    def not_xml(self) -> bool:
        """Tell whether the bytes are not well-formed XML (not a refusal)."""
        return self.code == "not-xml"


def parse_packet(data: bytes, *, max_bytes: int = MAX_BYTES) -> ET.Element:
    """Return the root element of the packet, refusing anything unsafe."""
    if len(data) > max_bytes:
        raise PacketParseError(
            "too-large", f"packet of {len(data)} bytes exceeds {max_bytes}"
        )

    _measure_tags(data)
    _screen(data)

    builder = ET.XMLParser()
    try:
        for start in range(0, len(data), CHUNK):
            builder.feed(data[start : start + CHUNK])
        return builder.close()
    except ET.ParseError as e:
        raise PacketParseError("not-xml", f"not well-formed XML: {e}") from e


def _measure_tags(data: bytes) -> None:
    """Refuse a tag longer than MAX_TAG_BYTES, or more than MAX_TAGS tags."""
    at = data.find(b"<")
    tags = 0
    while at >= 0:
        tags += 1
        if tags > MAX_TAGS:
            raise PacketParseError(
                "too-many-elements", f"the packet has more than {MAX_TAGS} tags"
            )
        end = data.find(b">", at, at + MAX_TAG_BYTES)
        if end < 0 and data.find(b">", at) >= 0:
            raise PacketParseError(
                "tag-too-long", f"a tag is longer than {MAX_TAG_BYTES} bytes"
            )
        if end < 0:
            return  # an unclosed tag: the parser says it is not XML
        at = data.find(b"<", end)


def _screen(data: bytes) -> None:
    """Run expat over the bytes with DTDs refused and the depth counted."""
    parser = expat.ParserCreate()
    depth = elements = attributes = 0

    def refuse_dtd(*_: object) -> NoReturn:
        raise PacketParseError(
            "dtd-forbidden",
            "the packet declares a DTD; DTDs and entities are refused",
            hint="edXML packets carry no document type declaration",
        )

    def count_attributes(more: int) -> None:
        nonlocal attributes
        attributes += more
        if attributes > MAX_ATTRIBUTES:
            raise PacketParseError(
                "too-many-attributes",
                f"the packet has more than {MAX_ATTRIBUTES} attributes and"
                " namespace declarations",
            )

    def declare(*_: object) -> None:
        count_attributes(1)

    def start(_: str, attrs: list[str]) -> None:
        nonlocal depth, elements
        depth += 1
        elements += 1
        count_attributes(len(attrs) // 2)
        if depth > MAX_DEPTH:
            raise PacketParseError(
                "too-deep", f"elements nested deeper than {MAX_DEPTH}"
            )
        if elements > MAX_ELEMENTS:
            raise PacketParseError(
                "too-many-elements", f"the packet has more than {MAX_ELEMENTS} elements"
            )

    def end(*_: object) -> None:
        nonlocal depth
        depth -= 1

    parser.StartDoctypeDeclHandler = refuse_dtd
    parser.EntityDeclHandler = refuse_dtd
    parser.ExternalEntityRefHandler = refuse_dtd
    parser.StartElementHandler = start
    parser.StartNamespaceDeclHandler = declare
    # Attributes as a flat list: counting them costs nothing more.
    parser.ordered_attributes = True
    parser.EndElementHandler = end
    try:
        for start_at in range(0, len(data), CHUNK):
            parser.Parse(data[start_at : start_at + CHUNK], False)
        parser.Parse(b"", True)
    except expat.ExpatError as e:
        raise PacketParseError("not-xml", f"not well-formed XML: {e}") from e
    except ValueError as e:
        # expat refuses a declared multi-byte encoding it cannot map (UTF-7,
        # for one) with a plain ValueError: the packet is unreadable.
        raise PacketParseError(
            "not-xml",
            "the packet declares an encoding the hub cannot read",
            hint="send the packet in UTF-8",
        ) from e
