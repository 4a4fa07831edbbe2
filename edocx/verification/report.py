"""The validation report: what was checked in a signed PDF and what came out.

The vocabulary follows ETSI EN 319 102-1 (indications TOTAL-PASSED,
TOTAL-FAILED and INDETERMINATE with their sub-indications, clause 5.1.3) and
pyHanko's integrity levels (signature coverage, modification level). Every
instant is stored in UTC and rendered in Vietnam time (UTC+07:00, ISO 8601),
the time legal documents of Vietnam are dated in.

A report is a value: it is built once by :func:`edocx.verification.verify_pdf`
in a worker process, pickled back to the hub, stored as JSON with the
document and rendered for people. It never carries document bytes.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    computed_field,
    field_validator,
)

from edocx.vntime import iso_vietnam


def to_vietnam_time(moment: datetime | None) -> str | None:
    """Render an instant as ISO 8601 in Vietnam time, e.g. ``...T09:30:00+07:00``."""
    if moment is None:
        return None
    return iso_vietnam(_as_utc(moment))


def _as_utc(moment: datetime) -> datetime:
    # A naive instant from a library is UTC by convention (ASN.1 times are).
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


class Verdict(StrEnum):
    """The bottom line for the whole document."""

    PASSED = "PASSED"
    FAILED = "FAILED"
    INDETERMINATE = "INDETERMINATE"
    UNUSABLE = "UNUSABLE"


class Indication(StrEnum):
    """ETSI EN 319 102-1 main indication of one signature or timestamp."""

    TOTAL_PASSED = "TOTAL-PASSED"
    TOTAL_FAILED = "TOTAL-FAILED"
    INDETERMINATE = "INDETERMINATE"


class SubIndication(StrEnum):
    """ETSI EN 319 102-1 sub-indications (clause 5.1.3, tables 5 and 6)."""

    # With TOTAL-FAILED.
    FORMAT_FAILURE = "FORMAT_FAILURE"
    HASH_FAILURE = "HASH_FAILURE"
    SIG_CRYPTO_FAILURE = "SIG_CRYPTO_FAILURE"
    REVOKED = "REVOKED"
    NOT_YET_VALID = "NOT_YET_VALID"
    # With INDETERMINATE.
    SIG_CONSTRAINTS_FAILURE = "SIG_CONSTRAINTS_FAILURE"
    CHAIN_CONSTRAINTS_FAILURE = "CHAIN_CONSTRAINTS_FAILURE"
    CERTIFICATE_CHAIN_GENERAL_FAILURE = "CERTIFICATE_CHAIN_GENERAL_FAILURE"
    CRYPTO_CONSTRAINTS_FAILURE = "CRYPTO_CONSTRAINTS_FAILURE"
    EXPIRED = "EXPIRED"
    POLICY_PROCESSING_ERROR = "POLICY_PROCESSING_ERROR"
    SIGNATURE_POLICY_NOT_AVAILABLE = "SIGNATURE_POLICY_NOT_AVAILABLE"
    TIMESTAMP_ORDER_FAILURE = "TIMESTAMP_ORDER_FAILURE"
    NO_SIGNING_CERTIFICATE_FOUND = "NO_SIGNING_CERTIFICATE_FOUND"
    NO_CERTIFICATE_CHAIN_FOUND = "NO_CERTIFICATE_CHAIN_FOUND"
    REVOKED_NO_POE = "REVOKED_NO_POE"
    REVOKED_CA_NO_POE = "REVOKED_CA_NO_POE"
    OUT_OF_BOUNDS_NO_POE = "OUT_OF_BOUNDS_NO_POE"
    REVOCATION_OUT_OF_BOUNDS_NO_POE = "REVOCATION_OUT_OF_BOUNDS_NO_POE"
    OUT_OF_BOUNDS_NOT_REVOKED = "OUT_OF_BOUNDS_NOT_REVOKED"
    CRYPTO_CONSTRAINTS_FAILURE_NO_POE = "CRYPTO_CONSTRAINTS_FAILURE_NO_POE"
    NO_POE = "NO_POE"
    TRY_LATER = "TRY_LATER"
    SIGNED_DATA_NOT_FOUND = "SIGNED_DATA_NOT_FOUND"
    GENERIC = "GENERIC"


class SignatureKind(StrEnum):
    SIGNATURE = "signature"
    DOCUMENT_TIMESTAMP = "document-timestamp"


class RevocationStatus(StrEnum):
    GOOD = "good"
    REVOKED = "revoked"
    UNKNOWN = "unknown"


class EvidenceSource(StrEnum):
    """Where the revocation evidence that decided the status came from."""

    # The document's /DSS dictionary or the adbe-revocationInfoArchival
    # signed attribute (PAdES B-LT).
    DOCUMENT = "document"
    # Fetched from the OCSP responder or CRL distribution point at validation.
    FETCHED = "fetched"
    NONE = "none"


class Coverage(StrEnum):
    """pyHanko's ``SignatureCoverageLevel``, by name."""

    UNCLEAR = "UNCLEAR"
    CONTIGUOUS_BLOCK_FROM_START = "CONTIGUOUS_BLOCK_FROM_START"
    ENTIRE_REVISION = "ENTIRE_REVISION"
    ENTIRE_FILE = "ENTIRE_FILE"


class ModificationLevel(StrEnum):
    """pyHanko's ``ModificationLevel``, by name: what changed after signing."""

    NONE = "NONE"
    LTA_UPDATES = "LTA_UPDATES"
    FORM_FILLING = "FORM_FILLING"
    ANNOTATIONS = "ANNOTATIONS"
    OTHER = "OTHER"


class ChangeKind(StrEnum):
    """What one object change in a revision after a signature did."""

    SIGNATURE_ADDED = "signature-added"
    TIMESTAMP_ADDED = "timestamp-added"
    REVOCATION_DATA_ADDED = "revocation-data-added"
    FORM_FILLED = "form-filled"
    ANNOTATION_ADDED = "annotation-added"
    CONTENT_CHANGED = "content-changed"
    PAGE_CHANGED = "page-changed"
    OTHER = "other"


class ModificationClass(StrEnum):
    """The DSS corpus manifest's summary of what changed after a signature."""

    # The signature covers the whole file.
    NONE = "none"
    # Only validation data, signatures, timestamps and permitted form filling.
    HARMLESS = "harmless"
    # Anything else: content, pages, annotations, unexplained objects.
    SUSPICIOUS = "suspicious"


class _Model(BaseModel):
    # "ignore" lets a stored report (with its computed fields) load again.
    model_config = ConfigDict(frozen=True, extra="ignore")


class Severity(StrEnum):
    # An error stops the document from passing; a warning is for the record.
    ERROR = "error"
    WARNING = "warning"


class Problem(_Model):
    """Something about the file as a whole that a reader must know."""

    code: str
    message: str
    severity: Severity = Severity.ERROR
    field_name: str | None = None


class ChangeReport(_Model):
    """One change made to the file in a revision after a signature."""

    revision: int = Field(description="0-based revision that made the change")
    kind: ChangeKind
    detail: str = ""
    suspicious: bool = False


class UncoveredReport(_Model):
    """What in the file no signature or document timestamp covers."""

    fully_covered: bool
    # 0-based revisions after the last signature or timestamp, other than
    # validation data that PAdES B-LT/LTA allows to follow it.
    revisions: tuple[int, ...] = ()
    # Bytes after the last revision's end (after %%EOF, not an update).
    trailing_bytes: int = 0
    detail: str = ""


class SubjectInfo(_Model):
    """Who a certificate names."""

    common_name: str | None = None
    organization: str | None = None
    title: str | None = None
    full: str = ""


class RevocationReport(_Model):
    status: RevocationStatus = RevocationStatus.UNKNOWN
    source: EvidenceSource = EvidenceSource.NONE
    revoked_at: datetime | None = None
    reason: str | None = None

    @field_validator("revoked_at")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return None if value is None else _as_utc(value)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def revoked_at_vn(self) -> str | None:
        return to_vietnam_time(self.revoked_at)


class TimestampReport(_Model):
    """An RFC 3161 token: a signature timestamp, or a document timestamp's own."""

    time: datetime
    intact: bool
    valid: bool
    trusted: bool
    tsa: str | None = None

    @field_validator("time")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return _as_utc(value)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def time_vn(self) -> str | None:
        return to_vietnam_time(self.time)

    @property
    def ok(self) -> bool:
        return self.intact and self.valid and self.trusted


class SignatureReport(_Model):
    """The findings for one filled signature field."""

    # Named as the DSS corpus manifest names it; reports stored before the
    # rename carry "field_name".
    field: str = Field(validation_alias=AliasChoices("field", "field_name"))
    kind: SignatureKind
    subfilter: str | None = None
    # 0-based: the first revision of the file is 0 (pyHanko's and the DSS
    # corpus's convention); text renders it 1-based, "revision 3 of 4".
    signed_revision: int | None = Field(
        default=None,
        description="0-based index of the revision the signature signed "
        "(0 is the file's first revision); see revision_count",
    )
    signer: SubjectInfo | None = None
    certificate_serial: str | None = None
    certificate_issuer: str | None = None
    # The signing time the signer claims (signed attribute or /M); not proof.
    claimed_signing_time: datetime | None = None
    # The signature timestamp, or for a document timestamp the token itself.
    timestamp: TimestampReport | None = None
    # None where the check could not run (e.g. the CMS does not parse).
    intact: bool | None = None
    valid: bool | None = None
    trusted: bool = False
    revocation: RevocationReport = RevocationReport()
    coverage: Coverage | None = None
    modification_level: ModificationLevel | None = None
    docmdp_ok: bool | None = None
    byte_range_valid: bool | None = Field(
        default=None,
        description="the ByteRange is well formed and ends a revision "
        "(DSS corpus manifest meaning)",
    )
    covers_whole_file: bool | None = None
    changes: tuple[ChangeReport, ...] = ()
    modification_class: ModificationClass | None = None
    level: str | None = Field(
        default=None,
        description="signature level as DSS names it: PAdES_BASELINE_B/T/LT/LTA, "
        "PKCS7_B/T/LT/LTA for legacy SubFilters, PDF_NOT_ETSI",
    )
    # Whether the changes after signing are acceptable (see
    # edocx.verification.modifications); None if they could not be analysed.
    changes_allowed: bool | None = None
    indication: Indication
    sub_indication: SubIndication | None = None
    reasons: tuple[str, ...] = ()

    @field_validator("claimed_signing_time")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return None if value is None else _as_utc(value)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def claimed_signing_time_vn(self) -> str | None:
        return to_vietnam_time(self.claimed_signing_time)

    @property
    def passed(self) -> bool:
        return self.indication is Indication.TOTAL_PASSED

    @property
    def crypto_ok(self) -> bool:
        """Digest matches and the signature value verifies (DSS's "valid")."""
        return bool(self.intact and self.valid)


class ValidationPolicy(_Model):
    """The conditions the document was checked under."""

    trust_anchors: tuple[str, ...] = ()
    allow_fetching: bool = False
    revocation_mode: str = "hard-fail"


class ValidationReport(_Model):
    verdict: Verdict
    document_sha256: str
    document_size: int
    revision_count: int | None = Field(
        default=None,
        description="number of revisions of the file; a signature's "
        "signed_revision runs from 0 to revision_count - 1",
    )
    encrypted: bool = False
    uncovered: UncoveredReport | None = None
    signatures: tuple[SignatureReport, ...] = ()
    problems: tuple[Problem, ...] = ()
    policy: ValidationPolicy = ValidationPolicy()
    validated_at: datetime

    @field_validator("validated_at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return _as_utc(value)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def validated_at_vn(self) -> str | None:
        return to_vietnam_time(self.validated_at)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def signature_count(self) -> int:
        return sum(s.kind is SignatureKind.SIGNATURE for s in self.signatures)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def document_timestamp_count(self) -> int:
        return sum(s.kind is SignatureKind.DOCUMENT_TIMESTAMP for s in self.signatures)

    def has_problem(self, code: str) -> bool:
        return any(p.code == code for p in self.problems)
