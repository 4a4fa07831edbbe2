"""A fast reader for PDF hexadecimal strings, byte-equal to pyHanko's.

A signature's ``/Contents`` is a hexadecimal string (ISO 32000-1 §7.3.4.3)
of tens of kilobytes. pyHanko reads it one byte at a time in Python, which
is most of what opening a signed one-page document costs; the document's
parser meets the same string again in every revision the difference
analysis walks. :func:`read_hex_string` finds the closing ``>`` with one
search and decodes the digits in C.

It is an exact replacement: anything but plain hexadecimal digits and PDF
whitespace (a comment, a stray byte, a missing ``>``) is handed back to
pyHanko's own reader from the same position, so odd input gets pyHanko's
result or pyHanko's error. :func:`fast_hex_strings` installs it in
pyHanko's parser for the duration of a block.
"""

from __future__ import annotations

import binascii
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.misc import PDF_WHITESPACE

HEX_DIGITS = b"0123456789abcdefABCDEF"
# Bytes read while looking for the closing ">": most hexadecimal strings
# are short (/ID, keys), a signature's /Contents is 16 to 64 KiB.
FIRST_CHUNK = 128
CHUNK = 1 << 16

HexStringReader = Callable[
    [IO[bytes]], "generic.ByteStringObject | generic.TextStringObject"
]

_stock_reader: HexStringReader = generic.read_hex_string_from_stream
_install_lock = threading.Lock()
_install_depth = 0


def read_hex_string(
    stream: IO[bytes],
) -> generic.ByteStringObject | generic.TextStringObject:
    """Read ``<...>`` at the stream's position as pyHanko does, only faster."""
    start = stream.tell()
    digits = _plain_digits(stream)
    if digits is None:
        # Comments, bad bytes or a truncated string: pyHanko decides.
        stream.seek(start)
        return _stock_reader(stream)
    if len(digits) % 2:
        digits += b"0"
    result: generic.ByteStringObject | generic.TextStringObject = generic.pdf_string(
        binascii.unhexlify(digits)
    )
    return result


def _plain_digits(stream: IO[bytes]) -> bytes | None:
    """The digits up to ``>`` with whitespace removed; None if not that simple.

    On success the stream is left just after the closing ``>``.
    """
    start = stream.tell()
    if stream.read(1) != b"<":
        return None
    body = bytearray()
    size = FIRST_CHUNK
    while True:
        chunk = stream.read(size)
        size = CHUNK
        if not chunk:
            return None
        end = chunk.find(b">")
        if end >= 0:
            body += chunk[:end]
            stream.seek(start + 1 + len(body) + 1)
            break
        body += chunk

    digits = bytes(body).translate(None, PDF_WHITESPACE)
    if digits.translate(None, HEX_DIGITS):
        return None
    return digits


@contextmanager
def fast_hex_strings() -> Iterator[None]:
    """Let pyHanko's parser use :func:`read_hex_string` inside the block.

    The replacement gives the same objects and errors as the original, so
    other threads parsing PDFs meanwhile are unaffected but for speed; a
    counter keeps nested and concurrent blocks from restoring it early.
    """
    global _install_depth
    with _install_lock:
        _install_depth += 1
        setattr(generic, "read_hex_string_from_stream", read_hex_string)  # noqa: B010
    try:
        yield
    finally:
        with _install_lock:
            _install_depth -= 1
            if _install_depth == 0:
                setattr(generic, "read_hex_string_from_stream", _stock_reader)  # noqa: B010
