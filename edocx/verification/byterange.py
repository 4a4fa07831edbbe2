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

EOF_MARKER = re.compile(rb"%%EOF[\r\n\x00\t\f ]*\Z")
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
