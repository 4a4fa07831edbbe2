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

The QR's text is also kept in the file (the catalog's ``/EdocxDuplicate``
dictionary, in the seal's revision), so that a file can be checked offline
without reading the picture (``duplicatecheck``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from cryptography import x509
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader

from edocx.copies import cose, qr
from edocx.copies.errors import CopyPayloadError
from edocx.pki.credentials import KeyRef, load_signer

KIND = "d"
CATALOG_KEY = "/EdocxDuplicate"
QR_KEY = "/QR"


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


@dataclass(frozen=True)
class DuplicateClaim:
    """The facts a duplicate's QR payload states."""

    code: str
    record_sha256: str  # hex
    number: int
    book: str
    date: str  # YYYY-MM-DD, Vietnam time
    body: str  # the issuing body's code
    document_name: str

    @classmethod
    def of(cls, payload: dict[str, Any]) -> DuplicateClaim:
        """Read a verified payload; refuse one that is not a duplicate's."""
        if payload.get("k") != KIND:
            raise CopyPayloadError("the payload is not an e-duplicate's")
        digest = qr.read_digest(payload, "r", "record")
        return cls(record_sha256=digest, **qr.read_common(payload, "a duplicate"))


def verify_text(text: str, certificates: tuple[bytes, ...]) -> DuplicateClaim:
    """Return the claim of a QR text one of ``certificates`` (DER) signed.

    The code in the address must be the code the payload names: a payload
    copied under another duplicate's address is refused.
    """
    content = qr.parse_qr_text(text)
    problem = CopyPayloadError("no certificate of the body was given")
    for der in certificates:
        certificate = x509.load_der_x509_certificate(der)
        try:
            claim = DuplicateClaim.of(cose.verify_payload(content.message, certificate))
        except CopyPayloadError as e:
            problem = e
            continue
        if claim.code != content.code:
            raise CopyPayloadError("the payload names another duplicate's code")
        return claim
    raise problem


def keep_text(writer: IncrementalPdfFileWriter, text: str) -> None:
    """Keep the QR's text in the file's catalog (in the revision being made)."""
    writer.root[CATALOG_KEY] = generic.DictionaryObject(
        {generic.NameObject(QR_KEY): generic.TextStringObject(text)}
    )
    writer.update_root()


def kept_text(reader: PdfFileReader) -> str | None:
    """Return the QR's text kept in the file, if any."""
    kept = reader.root.get(CATALOG_KEY)
    if kept is None:
        return None
    value = kept.get_object().get(QR_KEY)
    return None if value is None else str(value)
