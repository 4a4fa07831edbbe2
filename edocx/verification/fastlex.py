"""Fast readers for PDF names, byte-equal to pyHanko's.

pyHanko reads a name (ISO 32000-1 §7.3.5) one byte at a time in Python and
decodes it byte by byte again. The difference analysis reads every object
of both revisions it compares, fonts and resources included, so a one-page
document costs hundreds of names. :func:`read_until_delimiter` finds the end
of a token with one search; :func:`decode_name` decodes a name without
``#`` escapes in C.

Both are exact replacements: a name with escapes or with a byte that must
be escaped goes to pyHanko's own decoder, so odd input gets pyHanko's result
or pyHanko's error. :func:`fast_names` installs them in pyHanko's parser for
the duration of a block.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.misc import PDF_DELIMITERS, PDF_WHITESPACE

# Most tokens are short; a long one is read on in larger steps.
FIRST_CHUNK = 64
CHUNK = 4096

_TOKEN_END = re.compile(b"[" + re.escape(PDF_WHITESPACE + PDF_DELIMITERS) + b"]")
# What pyHanko's decoder takes as is: printable ASCII that is neither a
# delimiter nor the escape prefix "#".
_PLAIN_NAME = re.compile(
    b"[^" + re.escape(PDF_WHITESPACE + PDF_DELIMITERS + b"#") + b"\x7f-\xff\x01-\x20]*"
)

_stock_until: Callable[[IO[bytes]], bytes] = getattr(  # noqa: B009
    generic, "read_until_delimiter"
)
_stock_decode: Callable[[bytes], generic.NameObject] = generic._decode_name
_install_lock = threading.Lock()
_install_depth = 0


def read_until_delimiter(stream: IO[bytes]) -> bytes:
    """The bytes up to the next whitespace or delimiter, which is not consumed.

    As pyHanko's: at the end of the stream, everything left is returned and
    the stream stays at its end.
    """
    start = stream.tell()
    taken = b""
    size = FIRST_CHUNK
    while True:
        chunk = stream.read(size)
        size = CHUNK
        if not chunk:
            return taken
        found = _TOKEN_END.search(chunk)
        if found is not None:
            taken += chunk[: found.start()]
            stream.seek(start + len(taken), os.SEEK_SET)
            return taken
        taken += chunk


def decode_name(name_bytes: bytes) -> generic.NameObject:
    """The name object for the bytes after ``/``, as pyHanko decodes them."""
    if _PLAIN_NAME.fullmatch(name_bytes) is None:
        return _stock_decode(name_bytes)
    return generic.NameObject("/" + name_bytes.decode("ascii"))


@contextmanager
def fast_names() -> Iterator[None]:
    """Let pyHanko's parser use these readers inside the block.

    They give the same objects and errors as the originals, so other
    threads parsing PDFs meanwhile are unaffected but for speed; a counter
    keeps nested and concurrent blocks from restoring them early.
    """
    global _install_depth
    with _install_lock:
        _install_depth += 1
        _install(True)
    try:
        yield
    finally:
        with _install_lock:
            _install_depth -= 1
            if _install_depth == 0:
                _install(False)


def _install(on: bool) -> None:
    until = read_until_delimiter if on else _stock_until
    decode = decode_name if on else _stock_decode
    setattr(generic, "read_until_delimiter", until)  # noqa: B010
    setattr(generic, "_decode_name", decode)  # noqa: B010
