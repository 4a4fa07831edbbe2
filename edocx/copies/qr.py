"""What the QR code of a certified copy says, and how it is drawn.

The QR code holds one text: the verification address (``copies.
verify_base_url`` and the copy's code) with the signed payload in the
fragment, ``https://.../c/<code>#<COSE_Sign1, base64url>``. A phone opens
the address (the fragment never leaves the phone); a checker reads the
payload and verifies it with the body's certificate (see ``cose``).

The payload names what the paper shows: the SHA-256 of the scan as it
stands in the certified file's first revision, the number, the book, the
date (Vietnam time), the body's code, the document's name and the copy's
code. It cannot hold the hash of the file it is printed in; the PDF
signatures cover the rest.

The code is drawn as filled squares in the page's content (vector, sharp
at any print size) with a quiet zone of four modules (ISO/IEC 18004).
"""

from __future__ import annotations

import base64
import binascii
import io
from dataclasses import dataclass
from typing import Any

import segno

from edocx.copies.errors import CopyPayloadError

# Medium error correction: a copy may be printed, folded and scanned.
ERROR_LEVEL = "m"
QUIET_ZONE = 4
FRAGMENT = "#"


@dataclass(frozen=True)
class CopyClaim:
    """The facts a QR payload states about a copy."""

    code: str
    scan_sha256: str  # hex
    number: int
    book: str
    date: str  # YYYY-MM-DD, Vietnam time
    body: str  # the certifying body's code
    document_name: str

    def payload(self) -> dict[str, Any]:
        """Return the claim as the compact map the COSE message carries."""
        return {
            "c": self.code, "h": bytes.fromhex(self.scan_sha256), "n": self.number,
            "b": self.book, "d": self.date, "a": self.body, "t": self.document_name,
        }  # fmt: skip

    @classmethod
    def of(cls, payload: dict[str, Any]) -> CopyClaim:
        """Read a verified payload; refuse one with missing or odd fields."""
        digest = read_digest(payload, "h", "scan")
        return cls(scan_sha256=digest, **read_common(payload, "a copy"))


def read_common(payload: dict[str, Any], whose: str) -> dict[str, Any]:
    """Read the fields every payload carries, by their claim's names."""
    try:
        return {
            "code": str(payload["c"]), "number": int(payload["n"]),
            "book": str(payload["b"]), "date": str(payload["d"]),
            "body": str(payload["a"]), "document_name": str(payload["t"]),
        }  # fmt: skip
    except (KeyError, TypeError, ValueError) as e:
        raise CopyPayloadError(f"the payload lacks a field of {whose}") from e


def read_digest(payload: dict[str, Any], key: str, of: str) -> str:
    """Read the SHA-256 under ``key`` (of the scan, of the record) as hex."""
    try:
        digest = bytes(payload[key]).hex()
    except (KeyError, TypeError, ValueError) as e:
        raise CopyPayloadError(f"the payload has no {of} digest") from e
    if len(digest) != 64:
        raise CopyPayloadError(f"the payload's {of} digest is not SHA-256")
    return digest


@dataclass(frozen=True)
class QRContent:
    address: str
    code: str
    message: bytes


def copy_address(base_url: str, code: str) -> str:
    """Return the address that checks the copy ``code``."""
    return base_url + code


def qr_text(base_url: str, code: str, message: bytes) -> str:
    """Return the QR's text: the address, then the payload as its fragment."""
    encoded = base64.urlsafe_b64encode(message).rstrip(b"=").decode("ascii")
    return copy_address(base_url, code) + FRAGMENT + encoded


def parse_qr_text(text: str) -> QRContent:
    """Split a QR's text into the address, the code and the COSE message."""
    address, sep, fragment = text.partition(FRAGMENT)
    code = address.rstrip("/").rsplit("/", 1)[-1]
    if not sep or not fragment or not code:
        raise CopyPayloadError("the QR text has no copy code or no payload")
    try:
        message = base64.urlsafe_b64decode(fragment + "=" * (-len(fragment) % 4))
    except (binascii.Error, ValueError) as e:
        raise CopyPayloadError("the QR's payload is not base64url") from e
    return QRContent(address, code, message)


def qr_png(text: str, scale: int = 4) -> bytes:
    """Return the QR code of ``text`` as a PNG image (black on white)."""
    out = io.BytesIO()
    _symbol(text).save(out, kind="png", scale=scale, border=QUIET_ZONE)
    return out.getvalue()


def qr_modules(text: str) -> int:
    """Return the width of the QR code of ``text`` in modules, quiet zone in."""
    width, _ = _symbol(text).symbol_size(border=QUIET_ZONE)
    return int(width)


def qr_drawing(text: str, x: float, y: float, size: float) -> bytes:
    """Return PDF content operators drawing the QR code in a square.

    ``(x, y)`` is the lower left corner and ``size`` the side, in the page's
    default user space, quiet zone included (painted white).
    """
    symbol = _symbol(text)
    count = len(symbol.matrix) + 2 * QUIET_ZONE
    unit = size / count
    ops = [b"q", b"1 g %s re f" % _box(x, y, size, size), b"0 g"]
    for row_ix, row in enumerate(symbol.matrix):
        top = y + size - (row_ix + QUIET_ZONE) * unit
        for col_ix, dark in enumerate(row):
            if dark:
                left = x + (col_ix + QUIET_ZONE) * unit
                ops.append(b"%s re" % _box(left, top - unit, unit, unit))
    ops += [b"f", b"Q"]
    return b"\n".join(ops)


def _box(x: float, y: float, w: float, h: float) -> bytes:
    return b"%.3f %.3f %.3f %.3f" % (x, y, w, h)


def _symbol(text: str) -> segno.QRCode:
    return segno.make_qr(text, error=ERROR_LEVEL, boost_error=False)
