"""What a signature's /ByteRange says about coverage (ISO 32000-1 §12.8.1).

A well-formed ByteRange names two ranges, from the start of the file to the
``<`` of the /Contents hex string and from just after its ``>`` to the end
of a revision (its ``%%EOF``). Anything else leaves bytes unsigned that a
reader still shows, which the DSS corpus marks as an invalid ByteRange.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation.pdf_embedded import (
    EmbeddedPdfSignature,
    extract_contents,
)

from edocx.verification.document import SignatureEntry

EOF_MARKER = re.compile(rb"%%EOF[\r\n\x00\t\f ]*\Z")
STARTXREF_AT_END = re.compile(rb"startxref\s+(\d{1,12})\s*%%EOF[\r\n\x00\t\f ]*\Z")
HEX_BODY = re.compile(rb"[0-9A-Fa-f\s]*")


@dataclass(frozen=True)
class RangeFacts:
    byte_range_valid: bool | None
    covers_whole_file: bool | None
    # Bytes after the last %%EOF that are not whitespace.
    trailing_bytes: int


def examine_byte_range(data: bytes, sig_dict: generic.DictionaryObject) -> RangeFacts:
    trailing = trailing_bytes(data)
    try:
        raw = sig_dict["/ByteRange"]
    except Exception:
        return RangeFacts(False, None, trailing)
    values = _integers(raw)
    if values is None:
        return RangeFacts(False, None, trailing)
    start, first_len, second_start, second_len = values
    end = second_start + second_len
    whole = start == 0 and end == len(data) and end > 0
    valid = (
        start == 0
        and 0 < first_len < second_start <= end <= len(data)
        and _is_contents_gap(data, first_len, second_start)
        and EOF_MARKER.search(data[max(0, end - 64) : end]) is not None
    )
    return RangeFacts(valid, whole, trailing)


def trailing_bytes(data: bytes) -> int:
    """Non-whitespace bytes after the file's last ``%%EOF``."""
    position = data.rfind(b"%%EOF")
    if position < 0:
        return 0
    return len(data[position + 5 :].strip(b"\r\n\x00\t\f "))


def _integers(raw: object) -> tuple[int, int, int, int] | None:
    if not isinstance(raw, generic.ArrayObject) or len(raw) != 4:
        return None
    if not all(isinstance(v, generic.NumberObject) and int(v) >= 0 for v in raw):
        return None
    a, b, c, d = (int(v) for v in raw)
    return a, b, c, d


def _is_contents_gap(data: bytes, gap_start: int, gap_end: int) -> bool:
    gap = data[gap_start:gap_end]
    return (
        len(gap) >= 2
        and gap[:1] == b"<"
        and gap[-1:] == b">"
        and HEX_BODY.fullmatch(gap[1:-1]) is not None
    )


class _PlacedSignature(EmbeddedPdfSignature):
    """A signature pyHanko cannot read, placed in the file by its ByteRange.

    Only what places it and judges its coverage and permissions is set: the
    signed revision is the one whose bytes end where the ByteRange ends.
    """

    def __init__(self, reader: PdfFileReader, entry: SignatureEntry) -> None:
        self.reader = reader
        self.sig_field = entry.field
        self.sig_object = entry.sig_dict
        self.byte_range = entry.sig_dict.raw_get("/ByteRange")
        self.pkcs7_content = extract_contents(entry.sig_dict)
        start, _, second, length = (int(v) for v in self.byte_range)
        revision = revision_ending_at(reader, second + length)
        if start != 0 or revision is None:
            raise ValueError("the ByteRange does not end a revision")
        self.signed_revision = revision
        self.coverage = None
        self.fq_name = entry.field_name
        self._docmdp = self._fieldmdp = None
        self._docmdp_queried = self._fieldmdp_queried = False


def placed_by_byte_range(
    reader: PdfFileReader, entry: SignatureEntry
) -> EmbeddedPdfSignature:
    """Place a signature whose CMS pyHanko refuses; raise if it cannot be."""
    return _PlacedSignature(reader, entry)


def revision_ending_at(reader: PdfFileReader, end: int) -> int | None:
    """The newest revision whose bytes end at offset ``end``, if one does.

    A revision ends with ``startxref N %%EOF`` (ISO 32000-1 §7.5.5), N
    locating its cross-reference section; a signature's ByteRange ends
    there. The revision is the newest one that N declares and whose
    cross-reference data, with that of every earlier revision, lies before
    ``end`` (a linearized file's two sections are one revision to its
    signer, two to pyHanko).
    """
    data = _stream_bytes(reader)
    found = STARTXREF_AT_END.search(data[max(0, end - 1024) : end])
    if found is None:
        return None
    startxref = int(found.group(1))
    xrefs = reader.xrefs
    result = None
    for revision in range(xrefs.total_revisions):
        info = xrefs.get_xref_container_info(revision)
        if info.end_location > end:
            break
        if info.declared_startxref == startxref:
            result = revision
    return result


def _stream_bytes(reader: PdfFileReader) -> bytes:
    stream = reader.stream
    position = stream.tell()
    stream.seek(0)
    data = bytes(stream.read())
    stream.seek(position)
    return data
