"""The route table: every operation of the API with the roles allowed on it.

Dispatch (authorisation, body parsing, idempotency) and the OpenAPI document
are both made from this one table, so they cannot disagree.
"""

from __future__ import annotations

from edocx.config import Settings
from edocx.exchange.header import DraftHeader
from edocx.store.models import Role
from edocx.verification.report import ValidationReport
from edocx.web import handlers, observability, service
from edocx.web.bodies import Part
from edocx.web.routing import ALL_ROLES, Route
from edocx.web.schemas import (
    AgenciesOut,
    AuditEventsOut,
    AuditQuery,
    DocumentList,
    DocumentOut,
    DocumentsQuery,
    DraftOut,
    InboxOut,
    MeOut,
    OutboxOut,
    ReportsOut,
    SignedDocumentOut,
    StatusesOut,
    StatusIn,
    VerifyQuery,
)

API = "/api/v1"
DOC = API + "/documents/{document_id}"

AGENCY_STAFF = frozenset({Role.SIGNER, Role.CLERK, Role.SYSTEM, Role.CERTIFIER})
DRAFTERS = frozenset({Role.SIGNER, Role.CLERK, Role.SYSTEM})
READERS = AGENCY_STAFF | {Role.AUDITOR}
RECEIVERS = frozenset({Role.CLERK, Role.SYSTEM, Role.SIGNER})
STATUS_POSTERS = frozenset({Role.CLERK, Role.SYSTEM})

PDF_PARTS = (
    Part("file", "binary", True, "the PDF"),
    Part("password", "text", False, "the PDF's user password, if encrypted"),
)
DRAFT_PARTS = (
    Part("header", "json", True, "the document header", DraftHeader),
    *PDF_PARTS,
)

_DOCUMENT_PROBLEMS = ("document-not-found",)
_UPLOAD_PROBLEMS = (
    "pdf-unusable", "pdf-password-required", "pdf-permission-denied",
    "signature-invalid", "upload-too-large", "worker-timeout",
)  # fmt: skip


# Refusals of the signing key before any work on the PDF (signing.keycheck).
_SIGNER_KEY_PROBLEMS = (
    "signer-certificate-expired", "signer-certificate-not-yet-valid",
    "signer-key-usage-missing",
)  # fmt: skip


def _verification_upload_mb(settings: Settings) -> int:
    return settings.verification.max_upload_mb


ROUTES: tuple[Route, ...] = (
    Route("GET", API + "/openapi.json", service.openapi_document, None,
          "Describe the API (OpenAPI 3.1)"),
    Route("GET", API + "/me", service.whoami, ALL_ROLES,
          "Tell the caller who they are", response=MeOut),
    Route("GET", API + "/agencies", service.list_directory, ALL_ROLES,
          "List the agencies known to the hub", response=AgenciesOut),
    Route("POST", API + "/drafts", handlers.create_draft, DRAFTERS,
          "Upload a draft: header and PDF", status=201, parts=DRAFT_PARTS,
          response=DraftOut, creates=True,
          problems=("header-invalid", "header-field-missing",
                    "document-type-unknown", "recipient-unknown",
                    *_UPLOAD_PROBLEMS)),
    Route("GET", API + "/documents", handlers.list_own_documents, AGENCY_STAFF,
          "List the caller's agency's documents", query=DocumentsQuery,
          response=DocumentList),
    Route("GET", DOC, handlers.get_document, READERS,
          "Read a document's metadata", response=DocumentOut,
          problems=_DOCUMENT_PROBLEMS),
    Route("GET", DOC + "/pdf", handlers.get_document_pdf, READERS,
          "Download the current PDF (a recipient's first download records 01)",
          media_type="application/pdf", problems=_DOCUMENT_PROBLEMS),
    Route("GET", DOC + "/reports", handlers.get_document_reports, READERS,
          "Read the validation reports kept with the document",
          response=ReportsOut, problems=_DOCUMENT_PROBLEMS),
    Route("POST", DOC + "/sign", handlers.sign_document, frozenset({Role.SIGNER}),
          "Sign a draft personally (the competent signer)", response=SignedDocumentOut,
          creates=True,
          problems=(*_DOCUMENT_PROBLEMS, "document-state-conflict",
                    "action-not-allowed", "credential-unavailable",
                    "timestamp-unavailable", "signing-failed",
                    "signer-certificate-revoked", "signer-mismatch",
                    "signing-would-break-document", "body-field-unknown",
                    "token-pin-refused", *_SIGNER_KEY_PROBLEMS)),
    Route("POST", DOC + "/issue", handlers.issue_document, frozenset({Role.CLERK}),
          "Number, seal and send a signed document", response=SignedDocumentOut,
          creates=True,
          problems=(*_DOCUMENT_PROBLEMS, "document-state-conflict",
                    "action-not-allowed", "credential-unavailable",
                    "timestamp-unavailable", "signing-failed",
                    "signer-certificate-revoked",
                    "issue-verification-failed", "body-field-unknown",
                    "token-pin-refused", "document-not-issuable",
                    *_SIGNER_KEY_PROBLEMS, "seal-subject-not-organisation")),
    Route("GET", DOC + "/statuses", handlers.get_statuses, READERS,
          "Read the status history of the document's deliveries",
          response=StatusesOut, problems=_DOCUMENT_PROBLEMS),
    Route("POST", DOC + "/statuses", handlers.post_status, STATUS_POSTERS,
          "Post a status (recipient: 01-06, 15, 16; sender: 13)", status=201,
          body=StatusIn, response=StatusesOut, creates=True,
          problems=(*_DOCUMENT_PROBLEMS, "status-regression", "status-not-allowed",
                    "status-reason-required", "status-description-invalid",
                    "recipient-unknown",
                    "document-state-conflict", "action-not-allowed")),
    Route("GET", API + "/inbox", handlers.list_inbox, RECEIVERS,
          "List documents delivered to the caller's agency", response=InboxOut),
    Route("GET", API + "/outbox", handlers.list_outbox, RECEIVERS,
          "List documents the caller's agency sent, with each recipient's status",
          response=OutboxOut),
    Route("POST", API + "/verify", service.verify_upload, None,
          "Verify the signatures of an uploaded PDF (no login; ?format=json, "
          "html or text, else by Accept)", parts=PDF_PARTS, query=VerifyQuery,
          response=ValidationReport, alternatives=("text/html", "text/plain"),
          upload_mb=_verification_upload_mb,
          upload_setting="verification.max_upload_mb",
          problems=("upload-too-large", "media-type-unsupported",
                    "request-invalid", "worker-timeout", "worker-memory")),
    Route("GET", API + "/audit/events", service.list_audit_events,
          frozenset({Role.AUDITOR}), "Read the audit log", query=AuditQuery,
          response=AuditEventsOut),
    Route("GET", "/healthz", observability.healthz, None,
          "Check the database, blob store, TSA and workers (200, or 503 naming "
          "the failing checks)", response=observability.HealthOut),
    Route("GET", "/metrics", observability.metrics, None,
          "Metrics in Prometheus' text format (loopback clients only unless "
          "observability.metrics_public)",
          media_type="text/plain; version=0.0.4",
          problems=("metrics-not-public",)),
)  # fmt: skip
