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

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import (
    AliasChoices,
    Field,
    computed_field,
    field_validator,
    model_validator,
)

from edocx.verification.reportparts import (
    CertificateReport,
    EvidenceSource,
    Explanation,
    Model,
    RevocationReport,
    RevocationSource,
    RevocationStatus,
    SignerRole,
    SubjectInfo,
    TimestampReport,
    as_utc,
    to_vietnam_time,
)

# The report's whole vocabulary, including the parts defined in
# edocx.verification.reportparts.
__all__ = [
    "SCHEMA_VERSION",
    "CertificateReport",
    "ChangeKind",
    "ChangeReport",
    "Coverage",
    "EvidenceSource",
    "Explanation",
    "Indication",
    "ModificationClass",
    "ModificationLevel",
    "Problem",
    "RevocationReport",
    "RevocationSource",
    "RevocationStatus",
    "Severity",
    "SignatureKind",
    "SignatureReport",
    "SignerRole",
    "SubIndication",
    "SubjectInfo",
    "TimestampReport",
    "UncoveredReport",
    "ValidationPolicy",
    "ValidationReport",
    "Verdict",
    "as_utc",
    "to_vietnam_time",
]

# The JSON schema of the report (docs/validation-report.schema.json); raise
# the number when a field changes meaning or goes away, not when one is added.
SCHEMA_VERSION = "edocx.validation-report/1"


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


class Severity(StrEnum):
    # An error stops the document from passing; a warning is for the record.
    ERROR = "error"
    WARNING = "warning"


class Problem(Model):
    """Something about the file as a whole that a reader must know."""

    code: str
    message: str = Field(description="what is wrong, in English")
    message_vi: str = Field(default="", description="the same, in Vietnamese")
    severity: Severity = Severity.ERROR
    field_name: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _vietnamese(cls, value: Any) -> Any:
        # Code names the problem; the Vietnamese follows from it, so that
        # every place that finds a problem need not translate it.
        if not isinstance(value, dict):
            return value
        from edocx.verification.wording import problem_vi, tidy

        message = tidy(str(value.get("message", "")))
        value = {**value, "message": message}
        if not value.get("message_vi"):
            value["message_vi"] = problem_vi(value.get("code"), message)
        return value

    @property
    def explanation(self) -> Explanation:
        return Explanation(en=self.message, vi=self.message_vi)


class ChangeReport(Model):
    """One change made to the file in a revision after a signature."""

    revision: int = Field(description="0-based revision that made the change")
    kind: ChangeKind
    detail: str = Field(default="", description="what changed, in English")
    detail_vi: str = Field(
        default="", description="the same, in Vietnamese (from the change's kind)"
    )
    suspicious: bool = False

    @model_validator(mode="before")
    @classmethod
    def _vietnamese(cls, value: Any) -> Any:
        # As for problems: the kind names the change, so the places that find
        # one need not translate it.
        if isinstance(value, dict) and not value.get("detail_vi"):
            from edocx.verification.wording import change_vi

            detail = str(value.get("detail", ""))
            value = {**value, "detail_vi": change_vi(value.get("kind"), detail)}
        return value

    @property
    def explanation(self) -> Explanation:
        return Explanation(en=self.detail, vi=self.detail_vi)


class UncoveredReport(Model):
    """What in the file no signature or document timestamp covers."""

    fully_covered: bool
    # 0-based revisions after the last signature or timestamp, other than
    # validation data that PAdES B-LT/LTA allows to follow it.
    revisions: tuple[int, ...] = ()
    # Bytes after the last revision's end (after %%EOF, not an update).
    trailing_bytes: int = 0
    detail: str = ""


class SignatureReport(Model):
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
    # Identity.
    certificate: CertificateReport | None = None
    role: SignerRole = SignerRole.UNKNOWN
    signer: SubjectInfo | None = None
    certificate_serial: str | None = None
    certificate_issuer: str | None = None
    # Integrity: the CMS algorithms, named as the DSS corpus manifest names
    # them (asn1crypto's names: sha256, sha256_rsa, rsassa_pkcs1v15, ...).
    digest_algorithm: str | None = None
    signature_algorithm: str | None = None
    weak_algorithms: tuple[str, ...] = Field(
        default=(),
        description="weak or legacy algorithms used: SHA-1, MD5, RSA keys "
        "under 2048 bits, the adbe.pkcs7.sha1 SubFilter",
    )
    timestamp_valid: bool | None = Field(
        default=None,
        description="document timestamps only: the imprint matches the "
        "covered bytes and the token's own signature verifies",
    )
    signature_timestamp_valid: bool | None = Field(
        default=None,
        description="signatures only: the same for the signature timestamp; "
        "None when there is none",
    )
    # Trust: the certification path from the signer to the anchor.
    certification_path: tuple[str, ...] = Field(
        default=(),
        description="subjects from the signer's certificate to the trust "
        "anchor, both included",
    )
    trust_anchor: str | None = None
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
    reasons: tuple[Explanation, ...] = ()

    @field_validator("claimed_signing_time")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return None if value is None else as_utc(value)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def claimed_signing_time_vn(self) -> str | None:
        return to_vietnam_time(self.claimed_signing_time)

    @property
    def passed(self) -> bool:
        return self.indication is Indication.TOTAL_PASSED

    @computed_field  # type: ignore[prop-decorator]
    @property
    def crypto_ok(self) -> bool:
        """Digest matches and the signature value verifies (DSS's "valid")."""
        return bool(self.intact and self.valid)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def signer_cn(self) -> str | None:
        """The signer's common name, as the DSS corpus manifest gives it."""
        return self.certificate.subject.common_name if self.certificate else None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def signer_issuer_cn(self) -> str | None:
        return self.certificate.issuer.common_name if self.certificate else None


class ValidationPolicy(Model):
    """The conditions the document was checked under."""

    trust_anchors: tuple[str, ...] = ()
    allow_fetching: bool = False
    revocation_mode: str = "hard-fail"


class ValidationReport(Model):
    """The report on one file: a verdict and one entry per signature.

    ``signatures`` lists every signature and document timestamp in file
    order. Facts the DSS corpus manifest also names carry its names and
    meanings (docs/validation-report.md).
    """

    schema_version: str = SCHEMA_VERSION
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
        return as_utc(value)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def validated_at_vn(self) -> str | None:
        return to_vietnam_time(self.validated_at)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def dss_signature_count(self) -> int:
        """Signatures, document timestamps not counted (manifest meaning)."""
        return sum(s.kind is SignatureKind.SIGNATURE for s in self.signatures)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def doc_timestamp_count(self) -> int:
        return sum(s.kind is SignatureKind.DOCUMENT_TIMESTAMP for s in self.signatures)

    @property
    def signature_count(self) -> int:
        return self.dss_signature_count

    @property
    def document_timestamp_count(self) -> int:
        return self.doc_timestamp_count

    def has_problem(self, code: str) -> bool:
        return any(p.code == code for p in self.problems)
