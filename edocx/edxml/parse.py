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
# millions of empty elements are an attack on the parser's time.
MAX_ELEMENTS = 20_000
# Parsing runs in a thread but holds the interpreter lock while the parser
# works on a chunk: small chunks let the event loop run between them.
CHUNK = 256 * 1024


class PacketParseError(InputError):
    """The packet cannot be read as XML at all, or is refused as hostile.

    ``code`` names the reason: ``not-xml``, ``dtd-forbidden``, ``too-large``,
    ``too-deep`` or ``too-many-elements``.
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

    _screen(data)

    builder = ET.XMLParser()
    try:
        for start in range(0, len(data), CHUNK):
            builder.feed(data[start : start + CHUNK])
        return builder.close()
    except ET.ParseError as e:
        raise PacketParseError("not-xml", f"not well-formed XML: {e}") from e


def _screen(data: bytes) -> None:
    """Run expat over the bytes with DTDs refused and the depth counted."""
    parser = expat.ParserCreate()
    depth = elements = 0

    def refuse_dtd(*_: object) -> NoReturn:
        raise PacketParseError(
            "dtd-forbidden",
            "the packet declares a DTD; DTDs and entities are refused",
            hint="edXML packets carry no document type declaration",
        )

    def start(*_: object) -> None:
        nonlocal depth, elements
        depth += 1
        elements += 1
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
    parser.EndElementHandler = end
    try:
        for start_at in range(0, len(data), CHUNK):
            parser.Parse(data[start_at : start_at + CHUNK], False)
        parser.Parse(b"", True)
    except expat.ExpatError as e:
        raise PacketParseError("not-xml", f"not well-formed XML: {e}") from e
