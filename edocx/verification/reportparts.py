"""The parts of a validation report that describe one signature's facts.

Who signed (the certificate and the role it plays), when (timestamps), on
whose word the signer is trusted (revocation evidence and its freshness),
and the plain sentences that explain a conclusion in Vietnamese and
English. :mod:`edocx.verification.report` assembles them; every instant is
stored in UTC and also given in Vietnam time (UTC+07:00, ISO 8601), the time
legal documents of Vietnam are dated in.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    computed_field,
    field_validator,
    model_validator,
)

from edocx.vntime import iso_vietnam


def to_vietnam_time(moment: datetime | None) -> str | None:
    """Render an instant as ISO 8601 in Vietnam time, e.g. ``...T09:30:00+07:00``."""
    if moment is None:
        return None
    return iso_vietnam(as_utc(moment))


def as_utc(moment: datetime) -> datetime:
    """Return an aware UTC instant; a naive one is UTC by convention (ASN.1)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _optional_utc(value: datetime | None) -> datetime | None:
    return None if value is None else as_utc(value)


class Model(BaseModel):
    # "ignore" lets a stored report (with its computed fields) load again.
    model_config = ConfigDict(frozen=True, extra="ignore")


class Explanation(Model):
    """One sentence for a clerk, in English and in Vietnamese."""

    en: str
    vi: str

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value: Any) -> Any:
        # Reports stored before reasons were bilingual hold plain English
        # strings; they load with the English text in both places.
        if isinstance(value, str):
            return {"en": value, "vi": value}
        return value

    def __str__(self) -> str:
        return self.en


class SignerRole(StrEnum):
    """The role the signing certificate plays (Decree 30/2020, Appendix I)."""

    # The competent person's own signature (a natural person's certificate).
    PERSONAL = "personal"
    # The agency's signature in place of its seal (an organisation's
    # certificate).
    SEAL = "seal"
    # A document timestamp (ETSI EN 319 142-1 §5.4): a TSA's certificate.
    TIMESTAMP = "timestamp"
    UNKNOWN = "unknown"


class SubjectInfo(Model):
    """Who a certificate names."""

    common_name: str | None = None
    organization: str | None = None
    title: str | None = None
    full: str = ""


class CertificateReport(Model):
    """The facts of one X.509 certificate a reader needs to judge a signer."""

    subject: SubjectInfo
    issuer: SubjectInfo
    serial: str = Field(description="serial number in upper-case hexadecimal")
    not_before: datetime
    not_after: datetime
    key_usage: tuple[str, ...] = Field(
        default=(), description="RFC 5280 key usage bits, e.g. non_repudiation"
    )
    extended_key_usage: tuple[str, ...] = Field(
        default=(), description="extended key usage purposes, e.g. time_stamping"
    )
    public_key: str | None = Field(
        default=None, description="key algorithm and size, e.g. 'RSA 2048'"
    )
    sha256: str | None = Field(default=None, description="SHA-256 of the DER")

    @field_validator("not_before", "not_after")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return as_utc(value)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def not_before_vn(self) -> str | None:
        return to_vietnam_time(self.not_before)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def not_after_vn(self) -> str | None:
        return to_vietnam_time(self.not_after)


class RevocationStatus(StrEnum):
    GOOD = "good"
    REVOKED = "revoked"
    UNKNOWN = "unknown"


class RevocationSource(StrEnum):
    """Which kind of revocation evidence decided the status."""

    OCSP = "ocsp"
    CRL = "crl"


class EvidenceSource(StrEnum):
    """Where the revocation evidence that decided the status came from."""

    # The document's /DSS dictionary or the adbe-revocationInfoArchival
    # signed attribute (PAdES B-LT).
    DOCUMENT = "document"
    # Fetched from the OCSP responder or CRL distribution point at validation.
    FETCHED = "fetched"
    NONE = "none"


_ORIGINS = frozenset(origin.value for origin in EvidenceSource)


class RevocationReport(Model):
    """The revocation status of the signer's certificate and its evidence."""

    status: RevocationStatus = RevocationStatus.UNKNOWN
    source: RevocationSource | None = Field(
        default=None, description="ocsp or crl: the evidence that decided"
    )
    origin: EvidenceSource = Field(
        default=EvidenceSource.NONE,
        description="document: embedded in the file; fetched: asked at validation",
    )
    revoked_at: datetime | None = None
    reason: str | None = None
    this_update: datetime | None = None
    next_update: datetime | None = None
    produced_at: datetime | None = Field(
        default=None, description="when the OCSP responder signed its answer"
    )
    fresh: bool | None = Field(
        default=None,
        description="the evidence was current at the time it was used "
        "(this_update <= time < next_update)",
    )

    @model_validator(mode="before")
    @classmethod
    def _stored_origin(cls, value: Any) -> Any:
        # Reports stored before "origin" said document/fetched in "source".
        if isinstance(value, dict) and value.get("source") in _ORIGINS:
            value = {**value, "origin": value["source"], "source": None}
        return value

    @field_validator("revoked_at", "this_update", "next_update", "produced_at")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return _optional_utc(value)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def revoked_at_vn(self) -> str | None:
        return to_vietnam_time(self.revoked_at)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def this_update_vn(self) -> str | None:
        return to_vietnam_time(self.this_update)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def next_update_vn(self) -> str | None:
        return to_vietnam_time(self.next_update)


class TimestampReport(Model):
    """An RFC 3161 token: a signature timestamp, or a document timestamp's own."""

    time: datetime
    # The imprint names the stamped bytes and the TSA's signature is over it.
    intact: bool
    valid: bool
    trusted: bool
    tsa: str | None = None

    @field_validator("time")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return as_utc(value)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def time_vn(self) -> str | None:
        return to_vietnam_time(self.time)

    @property
    def ok(self) -> bool:
        return self.intact and self.valid and self.trusted
