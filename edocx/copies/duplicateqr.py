"""The QR code of an e-duplicate: where to check it, and what it vouches for.

The code holds the checking address of the duplicate (``copies.
verify_base_url`` and its code) with a payload signed by the issuing body's
seal key in the fragment, as a certified copy's does (``qr``, ``cose``).

A QR code cannot hold the hash of the file it is printed in. A duplicate is
made from a register record, not from a scan: the payload holds the SHA-256
of the record's canonical JSON (key ``r``), with the number, the book, the
date, the body's code, the document's name and the duplicate's code. Its
kind (key ``k``, ``"d"``) and the absence of a scan digest (``h``) keep a
checker of certified copies from taking it for one.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Protocol

from edocx.copies import cose, qr
from edocx.pki.credentials import KeyRef, load_signer

KIND = "d"


class QRFacts(Protocol):
    """What the QR code of a duplicate is made from (a ``DuplicateJob``)."""

    @property
    def document_id(self) -> str: ...
    @property
    def agency_code(self) -> str: ...
    @property
    def credential(self) -> KeyRef: ...
    @property
    def number(self) -> int: ...
    @property
    def book(self) -> str: ...
    @property
    def issued_on(self) -> date: ...
    @property
    def record_sha256(self) -> str: ...
    @property
    def base_url(self) -> str: ...


def payload(facts: QRFacts, document_name: str) -> dict[str, Any]:
    """Return the facts the QR code vouches for, as a compact map."""
    return {
        "k": KIND, "c": facts.document_id, "r": bytes.fromhex(facts.record_sha256),
        "n": facts.number, "b": facts.book, "d": facts.issued_on.isoformat(),
        "a": facts.agency_code, "t": document_name,
    }  # fmt: skip


def qr_text(facts: QRFacts, document_name: str) -> str:
    """Return the QR's text, the payload signed with the body's seal key.

    Runs in a worker: the key may be in a token, and signing waits on it.
    """
    signer = load_signer(facts.credential)
    message = cose.sign_payload(payload(facts, document_name), signer)
    return qr.qr_text(facts.base_url, facts.document_id, message)


def qr_image(text: str) -> bytes:
    """Return the QR code of ``text`` as a PNG."""
    return qr.qr_png(text)
