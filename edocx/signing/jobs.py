"""Inputs and outputs of the signing pipeline.

Every value here crosses a process boundary (the hub hands jobs to signing
workers), so each is a frozen dataclass of plain, picklable fields. Times are
aware datetimes; the pipeline shows them in Vietnam time (UTC+07:00).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from edocx.pki.credentials import KeyRef
from edocx.signing.levels import Level


@dataclass(frozen=True)
class PreparedDraft:
    """A draft ready for its personal signature.

    ``rewritten`` tells whether the file was rewritten in full (decrypted or
    repaired) rather than extended by an incremental update; ``warnings`` are
    sentences for the person who uploaded it.
    """

    pdf: bytes
    page_count: int
    rewritten: bool
    existing_signatures: int
    warnings: tuple[str, ...] = ()

    def __repr__(self) -> str:
        # Never print document bytes in logs or tracebacks.
        return (
            f"PreparedDraft(<{len(self.pdf)} bytes>, page_count={self.page_count},"
            f" rewritten={self.rewritten},"
            f" existing_signatures={self.existing_signatures},"
            f" warnings={self.warnings!r})"
        )


@dataclass(frozen=True, kw_only=True)
class SignJob:
    """What every PAdES signature needs.

    ``trust_root_paths`` are the anchors the signer's own certificate and the
    TSA's are validated against when the revocation information is collected;
    ``extra_cert_paths`` are intermediate certificates to help build the
    paths. ``at`` is the signing time written into the signature and shown in
    its appearance. ``tsa_urls`` are the RFC 3161 TSAs, tried in order; when
    none answers, signing fails unless ``allow_downgrade_to_bb``, which signs
    without a timestamp (PAdES B-B) instead. ``level`` is the PAdES level
    asked for; B-B asks no TSA.
    """

    document_id: str
    agency_code: str
    credential: KeyRef
    tsa_urls: tuple[str, ...]
    trust_root_paths: tuple[Path, ...]
    at: datetime
    extra_cert_paths: tuple[Path, ...] = ()
    allow_downgrade_to_bb: bool = False
    # An existing empty signature field to sign into; None makes a new one.
    field_name: str | None = None
    # The hub passes the configured level (signing.level, B-T by default).
    level: Level = Level.B_LT

    def __post_init__(self) -> None:
        # A naive time would be read in the worker's local zone.
        if self.at.tzinfo is None or self.at.utcoffset() is None:
            raise ValueError("the signing time `at` must be timezone-aware")


@dataclass(frozen=True, kw_only=True)
class PersonalSignJob(SignJob):
    """The competent person's signature on a prepared draft.

    ``competence`` is the signing-competence line drawn above the signer's
    details (Decree 30/2020, Art. 13: ``TM. ỦY BAN NHÂN DÂN``, ``KT. CHỦ
    TỊCH``; several lines separated by newlines), None when the signer signs
    in their own name.
    """

    signer_name: str
    position: str
    agency_name: str
    # The signer's handwritten-signature image (PNG, transparent background).
    signature_image: Path | None = None
    competence: str | None = None


@dataclass(frozen=True, kw_only=True)
class SealJob(SignJob):
    """Numbering and the agency's seal signature, the clerk's act of issue.

    ``number`` and ``notation`` make the document's code (``12/QĐ-UBND``);
    ``place`` and ``issued_on`` make the place-and-date line.
    """

    agency_name: str
    number: int
    notation: str
    place: str
    issued_on: date
    # The agency's seal image (PNG, red, transparent, at its actual size).
    seal_image: Path | None = None

    @property
    def code(self) -> str:
        """Return the number and notation as written on the document."""
        # Numbers below 10 are written with a leading zero (Decree 30/2020).
        return f"{self.number:02d}/{self.notation}"


@dataclass(frozen=True, kw_only=True)
class PlainSignJob(SignJob):
    """A single invisible B-LT signature (the bench's point of comparison)."""
