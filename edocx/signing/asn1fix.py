"""A correction of asn1crypto's DER encoder, applied when edocx starts.

asn1crypto 1.5.1 (unmaintained since 2022) encodes a constructed value it
built or changed again each time its ``contents`` is read, and its
``Asn1Value.dump`` reads ``contents`` two or three times (the header needs
its length, an explicit tag once more). Each level of nesting so multiplies
the work: a CMS signature with a timestamp token inside, or a certificate
built field by field (the development TSA's), is re-encoded hundreds of
times per dump, which costs tens of milliseconds per signature.

:func:`install` replaces ``Asn1Value.dump`` with a copy that reads
``contents`` once and uses those bytes for the header, the explicit tags
and the result. Reading ``contents`` has no other effect than encoding, and
encoding the same unchanged value twice gives the same bytes, so every
encoding is byte for byte what the library produces (the tests compare
them). Nothing calls :func:`install` on import: the command line and the
worker processes call it when they start (``docs/known-issues.md``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from asn1crypto import core

logger = logging.getLogger(__name__)

_ORIGINAL: Callable[..., bytes] = core.Asn1Value.dump
_lock = threading.Lock()


def dump_reading_contents_once(self: Any, force: bool = False) -> bytes:
    """``Asn1Value.dump`` of asn1crypto 1.5.1, with ``contents`` read once."""
    contents: bytes = self.contents

    # An indefinite length is always re-encoded, as the library does.
    if self._header is not None and self._header[-1:] == b"\x80":
        force = True

    if self._header is None or force:
        if isinstance(self, core.Constructable) and self._indefinite:
            self.method = 0

        header: bytes = core._dump_header(self.class_, self.method, self.tag, contents)
        if self.explicit is not None:
            for class_, tag in self.explicit:
                outer = core._dump_header(class_, 1, tag, header + contents)
                header = outer + header

        self._header = header
        self._trailer = b""

    encoded: bytes = self._header + contents + self._trailer
    return encoded


def install() -> None:
    """Use the corrected ``dump`` in this process from now on (idempotent)."""
    with _lock:
        if core.Asn1Value.dump is dump_reading_contents_once:
            return
        if core.Asn1Value.dump is not _ORIGINAL:
            # Someone else replaced it; ours was written against the original.
            logger.warning("asn1crypto's Asn1Value.dump is already replaced; kept")
            return
        core.Asn1Value.dump = dump_reading_contents_once  # type: ignore[method-assign]
    logger.debug("asn1crypto dump correction installed")


def uninstall() -> None:
    """Restore the library's own ``dump`` (for the tests that compare both)."""
    with _lock:
        core.Asn1Value.dump = _ORIGINAL  # type: ignore[method-assign]


def installed() -> bool:
    """Tell whether the corrected ``dump`` is in use in this process."""
    return core.Asn1Value.dump is dump_reading_contents_once
