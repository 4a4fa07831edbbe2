"""The HMAC signature of a push message, and how a receiver checks it.

Each message carries three headers::

    Edocx-Message-Id: 2f1c...-uuid        the same on every attempt
    Edocx-Timestamp: 1764896400           Unix seconds of this attempt
    Edocx-Signature: sha256=<hex>         HMAC-SHA256(secret, ts + "." + body)

The signed text is the timestamp's ASCII digits, one full stop, then the
body's bytes exactly as sent. A receiver recomputes it with the secret the
hub gave at registration, compares in constant time, refuses a timestamp
too far from its clock (a replay), and drops a message id it already has.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

MESSAGE_ID = "Edocx-Message-Id"
TIMESTAMP = "Edocx-Timestamp"
SIGNATURE = "Edocx-Signature"
KIND = "Edocx-Message-Kind"
DOCUMENT = "Edocx-Document-Id"

_SCHEME = "sha256="
# 32 random bytes; a supplied secret must be at least as long in characters.
MIN_SECRET = 32


def new_secret() -> str:
    """Return a fresh shared secret (43 URL-safe characters)."""
    return secrets.token_urlsafe(32)


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """Return the ``Edocx-Signature`` value for ``body`` sent at ``timestamp``."""
    signed = str(timestamp).encode("ascii") + b"." + body
    digest = hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()
    return _SCHEME + digest


def verify(
    secret: str, *, timestamp: str, signature: str, body: bytes, now: int,
    tolerance_s: int = 300,
) -> bool:  # fmt: skip
    """Check a received message's signature and freshness, as a receiver does."""
    if not timestamp.isdigit() or abs(now - int(timestamp)) > tolerance_s:
        return False
    expected = sign(secret, int(timestamp), body)
    return hmac.compare_digest(expected.encode("ascii"), signature.encode("ascii"))
