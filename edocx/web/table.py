"""The route table: every operation of the API with the roles allowed on it.

Dispatch (authorisation, body parsing, idempotency) and the OpenAPI document
are both made from this one table, so they cannot disagree.
"""

from __future__ import annotations

from edocx.config import Settings
from edocx.copies.check import CopyCheck
from edocx.exchange.header import DraftHeader
from edocx.store.models import Role
from edocx.verification.report import ValidationReport
from edocx.web import (
    auditroutes,
    edxmlroutes,
    handlers,
    lifecycle,
    observability,
    service,
)
from edocx.web import copypages as pages
from edocx.web import copyroutes as copy_routes
from edocx.web import deliveryroutes as delivery
from edocx.web import duplicateroutes as duplicate
from edocx.web.bodies import Part
from edocx.web.deliveryroutes import (
    AckOut,
    DeadLettersOut,
    DirectoryOut,
    EndpointIn,
    EndpointOut,
    EndpointRegisteredOut,
    PullOut,
    PullQuery,
    PushMessageOut,
)
from edocx.web.routing import ALL_ROLES, Route
from edocx.web.schemas import (
    AuditEventsOut,
    AuditQuery,
    DocumentList,
    DocumentOut,
    DocumentsQuery,
    DraftOut,
    MeOut,
    ReportsOut,
    SignedDocumentOut,
    VerifyQuery,
)

API = "/api/v1"
DOC = API + "/documents/{document_id}"
PUSH_ENDPOINT = API + "/agencies/{organ_id}/push-endpoint"

AGENCY_STAFF = frozenset({Role.SIGNER, Role.CLERK, Role.SYSTEM, Role.CERTIFIER})
DRAFTERS = frozenset({Role.SIGNER, Role.CLERK, Role.SYSTEM})
READERS = AGENCY_STAFF | {Role.AUDITOR}
RECEIVERS = frozenset({Role.CLERK, Role.SYSTEM, Role.SIGNER})
STATUS_POSTERS = frozenset({Role.CLERK, Role.SYSTEM})
PULLERS = frozenset({Role.SYSTEM, Role.CLERK})
ENDPOINT_ADMINS = frozenset({Role.SYSTEM, Role.ADMIN})
DEAD_LETTER_SENDERS = frozenset({Role.CLERK, Role.SYSTEM, Role.ADMIN})
DEAD_LETTER_READERS = DEAD_LETTER_SENDERS | {Role.AUDITOR}
AUDIT_KEEPERS = frozenset({Role.AUDITOR, Role.ADMIN})
COPY_CERTIFIERS = frozenset({Role.CERTIFIER})

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


# The moves the status life-cycle forbids, each with its own type (409).
_STATUS_PROBLEMS = (
    "status-sender-only", "status-recipient-only", "status-before-arrival",
    "status-before-acceptance", "status-reject-after-accept", "delivery-rejected",
    "delivery-cancelled", "change-not-requested", "change-already-pending",
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
          "List the agencies: codes, names, parent, delivery mode, seal "
          "certificates", response=DirectoryOut),
    Route("POST", API + "/drafts", handlers.create_draft, DRAFTERS,
          "Upload a draft: header and PDF", status=201, parts=DRAFT_PARTS,
          response=DraftOut, creates=True,
          problems=("header-invalid", "header-field-missing",
                    "document-type-unknown", "recipient-unknown",
                    "document-secret", "replacement-invalid",
                    *_UPLOAD_PROBLEMS)),
    Route("GET", API + "/documents", handlers.list_own_documents, AGENCY_STAFF,
          "List the caller's agency's documents", query=DocumentsQuery,
          response=DocumentList),
    Route("GET", DOC, handlers.get_document, READERS,
          "Read a document's metadata", response=DocumentOut,
          problems=_DOCUMENT_PROBLEMS),
    Route("GET", DOC + "/pdf", handlers.get_document_pdf, READERS,
          "Download the current PDF (a recipient's first download records 01)",
          media_type="application/pdf",
          problems=(*_DOCUMENT_PROBLEMS, "document-without-pdf")),
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
                    "signing-would-break-document", "revocation-unavailable",
                    "body-field-unknown",
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
    Route("GET", DOC + "/statuses", lifecycle.get_statuses, READERS,
          "Read the status history of the document's deliveries",
          response=lifecycle.LifecycleStatusesOut, problems=_DOCUMENT_PROBLEMS),
    Route("POST", DOC + "/statuses", lifecycle.post_status, STATUS_POSTERS,
          "Post a status (recipient: 01-06, 15, 16; sender: 13 with 'change' "
          "revoke or update); 201 applied, 200 a repeat or late (unchanged)",
          status=201, body=lifecycle.StatusPostIn,
          response=lifecycle.StatusPostOut, creates=True,
          problems=(*_DOCUMENT_PROBLEMS, *_STATUS_PROBLEMS,
                    "status-reason-required", "status-description-invalid",
                    "status-time-invalid", "status-change-kind-invalid",
                    "recipient-unknown",
                    "document-state-conflict", "action-not-allowed")),
    Route("GET", API + "/inbox", lifecycle.list_inbox, RECEIVERS,
          "List documents delivered to the caller's agency, with the incoming "
          "number", response=lifecycle.LifecycleInboxOut),
    Route("GET", API + "/outbox", lifecycle.list_outbox, RECEIVERS,
          "List documents the caller's agency sent, with each recipient's status",
          response=lifecycle.LifecycleOutboxOut),
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
    # Delivery: pull, push endpoints, dead letters.
    Route("GET", API + "/pull", delivery.pull_documents, PULLERS,
          "List the caller's agency's documents not yet acknowledged (each is"
          " listed again after delivery.pull_visibility_s without an ack)",
          query=PullQuery, response=PullOut),
    Route("POST", API + "/pull/{document_id}/ack", delivery.acknowledge_document,
          PULLERS, "Acknowledge a pulled document once stored (records 01 once)",
          response=AckOut, problems=(*_DOCUMENT_PROBLEMS, "action-not-allowed")),
    Route("POST", PUSH_ENDPOINT, delivery.register_push_endpoint, ENDPOINT_ADMINS,
          "Register the agency's HTTPS push endpoint; answers the HMAC secret once",
          status=201, body=EndpointIn, response=EndpointRegisteredOut, creates=True,
          problems=("push-endpoint-refused", "agency-not-found",
                    "action-not-allowed")),
    Route("GET", PUSH_ENDPOINT, delivery.get_push_endpoint, ENDPOINT_ADMINS,
          "Read the agency's push endpoint (never its secret)", response=EndpointOut,
          problems=("push-endpoint-not-found", "agency-not-found")),
    Route("DELETE", PUSH_ENDPOINT, delivery.delete_push_endpoint, ENDPOINT_ADMINS,
          "Remove the push endpoint: the agency receives by pull again", status=204,
          problems=("push-endpoint-not-found", "agency-not-found")),
    Route("GET", API + "/push/dead-letters", delivery.list_dead_letters,
          DEAD_LETTER_READERS, "List push messages that ran out of time to live",
          response=DeadLettersOut),
    Route("POST", API + "/push/dead-letters/{message_id}/resend",
          delivery.resend_dead_letter, DEAD_LETTER_SENDERS,
          "Send a dead letter again (same message id, fresh time to live)",
          response=PushMessageOut, problems=("push-message-not-found",)),
    Route("POST", API + "/edxml", edxmlroutes.post_edxml,
          frozenset({Role.SYSTEM, Role.CLERK}),
          "Send an edXML packet (document or status) of the caller's agency: the"
          " packet as the body (application/xml); Idempotency-Key honoured",
          status=201, response=edxmlroutes.EdxmlImportOut, creates=True,
          raw_body=edxmlroutes.PACKET_MEDIA_TYPES,
          upload_mb=edxmlroutes.packet_upload_mb,
          upload_setting="edxml.max_packet_mb",
          problems=("edxml-not-xml", "edxml-unsafe", "edxml-invalid",
                    "edxml-sender-mismatch", "document-duplicate",
                    "document-secret", "recipient-unknown", "document-not-found",
                    "signature-invalid", "upload-too-large",
                    "media-type-unsupported", *_STATUS_PROBLEMS,
                    "status-reason-required", "status-description-invalid",
                    "status-time-invalid", "action-not-allowed",
                    "idempotency-key-conflict", "worker-timeout")),
    Route("GET", DOC + "/edxml", edxmlroutes.get_document_edxml, READERS,
          "The document's edXML packet as its recipients receive it, signed by"
          " the hub (a recipient's first fetch records 01)",
          media_type="application/xml",
          problems=(*_DOCUMENT_PROBLEMS, "document-state-conflict",
                    "packet-key-unavailable")),
    # Certified copies (domain §6): certify, refuse, revoke; check in public.
    Route("POST", API + "/copies", copy_routes.post_copy, COPY_CERTIFIERS,
          "Certify the scan of a paper original as an e-copy: the intake (JSON)"
          " and the scan (one PDF, or JPEG/PNG pages file, page2, ...); numbered"
          " in the body's book of the year, statement and QR code on the last"
          " page, certifier's and seal signatures at B-LT or better",
          status=201, parts=copy_routes.INTAKE_PARTS,
          response=copy_routes.CertifiedOut, creates=True,
          upload_mb=copy_routes.scan_upload_mb, upload_setting="copies.max_scan_mb",
          problems=("copy-scan-unusable", "copy-other-agency", "request-invalid",
                    "pdf-unusable", "pdf-password-required", "upload-too-large",
                    "credential-unavailable", "timestamp-unavailable",
                    "signing-failed", "signer-certificate-revoked",
                    "issue-verification-failed", "document-not-issuable",
                    *_SIGNER_KEY_PROBLEMS, "seal-subject-not-organisation",
                    "worker-timeout")),
    Route("POST", API + "/copies/refusals", copy_routes.post_refusal,
          COPY_CERTIFIERS,
          "Record a refused original with its reason (Decree 23/2015 Art. 22);"
          " no number is taken", status=201, body=copy_routes.RefusalIn,
          response=copy_routes.IntakeOut, creates=True,
          problems=("copy-refusal-reason-unknown", "copy-other-agency")),
    Route("POST", API + "/copies/{code}/revoke", copy_routes.post_revocation,
          COPY_CERTIFIERS, "Revoke a certified copy of the caller's body, with"
          " the reason", body=copy_routes.RevokeIn, response=copy_routes.IntakeOut,
          creates=True,
          problems=("copy-not-found", "copy-state-conflict", "copy-other-agency",
                    "idempotency-key-conflict")),
    Route("GET", API + "/copies/{code}/pdf", copy_routes.get_copy_pdf,
          COPY_CERTIFIERS, "Download a certified copy (its body's certifiers)",
          media_type="application/pdf",
          problems=("copy-not-found", "copy-other-agency")),
    Route("GET", API + "/copies/{code}", copy_routes.get_copy, None,
          "Read a certified copy's register entry and status (no login)",
          response=CopyCheck, problems=("copy-not-found",)),
    Route("POST", API + "/copies/{code}/check", copy_routes.check_copy_pdf, None,
          "Check a PDF (the body, application/pdf) against a certified copy: is"
          " it that copy, unmodified, with the signature report (no login)",
          response=CopyCheck, raw_body=copy_routes.PDF_MEDIA_TYPES,
          upload_mb=copy_routes.check_upload_mb,
          upload_setting="verification.max_upload_mb",
          problems=("copy-not-found", "media-type-unsupported",
                    "upload-too-large", "worker-timeout", "worker-memory",
                    "pdf-unusable")),
    # The audit log (docs/audit-log.md). Tree heads and consistency proofs
    # carry hashes only: every agency's staff and system may read them and
    # keep copies outside the hub; entries name agencies and documents, so
    # they and their inclusion proofs are for auditors and admins.
    Route("GET", API + "/audit/tree-head", auditroutes.get_tree_head, ALL_ROLES,
          "The latest signed tree head of the audit log (or ?tree_size= a kept"
          " one)", query=auditroutes.TreeHeadQuery,
          response=auditroutes.SignedTreeHead,
          problems=("audit-tree-head-not-found", "audit-range-invalid")),
    Route("POST", API + "/audit/tree-head", auditroutes.make_tree_head,
          AUDIT_KEEPERS, "Sign and timestamp a tree head of the log now;"
          " Idempotency-Key honoured", status=201,
          response=auditroutes.SignedTreeHead, creates=True,
          problems=("timestamp-unavailable", "credential-unavailable",
                    "idempotency-key-conflict", "body-field-unknown")),
    Route("GET", API + "/audit/entries", auditroutes.list_entries, AUDIT_KEEPERS,
          "Read audit entries start..end (canonical JSON, leaf hashes), "
          f"{auditroutes.MAX_PAGE} at most per page",
          query=auditroutes.EntriesQuery, response=auditroutes.EntriesOut,
          problems=("audit-range-invalid",)),
    Route("GET", API + "/audit/entries/{index}/proof",
          auditroutes.get_inclusion_proof, AUDIT_KEEPERS,
          "Read the inclusion proof of an entry in the tree of ?tree_size="
          " (default: the latest head's)", query=auditroutes.ProofQuery,
          response=auditroutes.InclusionOut,
          problems=("audit-range-invalid", "audit-tree-head-not-found")),
    Route("GET", API + "/audit/consistency", auditroutes.get_consistency_proof,
          ALL_ROLES, "The consistency proof between trees of ?first= and"
          " ?second= entries (default: the latest head's)",
          query=auditroutes.ConsistencyQuery, response=auditroutes.ConsistencyOut,
          problems=("audit-range-invalid", "audit-tree-head-not-found")),
    # E-duplicates from master registers (docs/copies.md, "Duplicates") and
    # the checking page at a QR code's address. Reading an entry, checking a
    # file and the page are public: the entry names no personal data.
    Route("POST", API + "/duplicates", duplicate.issue_duplicate,
          duplicate.DUPLICATE_ISSUERS,
          "Issue an e-duplicate from a register record (JSON body: requester and"
          " record), numbered in the body's duplicate book and sealed at B-LT or"
          " better; Idempotency-Key honoured", status=201,
          response=duplicate.DuplicateIssuedOut, creates=True,
          raw_body=duplicate.RECORD_MEDIA_TYPES,
          upload_mb=duplicate.record_upload_mb,
          upload_setting="the fixed limit of a register record",
          problems=("duplicate-record-invalid", "media-type-unsupported",
                    "upload-too-large", "action-not-allowed",
                    "credential-unavailable", "timestamp-unavailable",
                    "signing-failed", "issue-verification-failed",
                    "idempotency-key-conflict", "worker-timeout",
                    *_SIGNER_KEY_PROBLEMS, "seal-subject-not-organisation")),
    Route("GET", API + "/duplicates/books", duplicate.get_duplicate_book,
          duplicate.DUPLICATE_ISSUERS,
          "Read the caller's body's duplicate book of a year: every number in"
          " order with its state, and why a voided number gave nothing",
          query=copy_routes.BookQuery, response=duplicate.DuplicateBookOut,
          problems=("request-invalid", "action-not-allowed")),
    Route("GET", API + "/duplicates/{code}", duplicate.get_duplicate, None,
          "Read an e-duplicate's entry in the duplicate book and its status (no"
          " login)", response=duplicate.DuplicateOut,
          problems=("duplicate-not-found",)),
    Route("GET", API + "/duplicates/{code}/pdf", duplicate.get_duplicate_pdf,
          duplicate.DUPLICATE_ISSUERS,
          "Download an e-duplicate (the issuing body's staff)",
          media_type="application/pdf",
          problems=("duplicate-not-found", "action-not-allowed")),
    Route("POST", API + "/duplicates/{code}/check", duplicate.check_duplicate_pdf,
          None, "Check a PDF (the body, application/pdf) against an e-duplicate:"
          " is it the duplicate as issued, unmodified; with the signature report"
          " (no login)", response=duplicate.DuplicateCheckOut,
          raw_body=duplicate.PDF_MEDIA_TYPES, upload_mb=duplicate.check_upload_mb,
          upload_setting="verification.max_upload_mb",
          problems=("duplicate-not-found", "media-type-unsupported",
                    "upload-too-large", "worker-timeout", "worker-memory")),
    Route("POST", API + "/duplicates/{code}/revoke", duplicate.revoke_duplicate,
          duplicate.DUPLICATE_ISSUERS,
          "Revoke an e-duplicate of the caller's body, with the reason",
          body=duplicate.RevokeIn, response=duplicate.DuplicateOut, creates=True,
          problems=("duplicate-not-found", "duplicate-already-revoked",
                    "duplicate-reason-required", "action-not-allowed")),
    Route("GET", "/c/{code}", pages.show_copy, None,
          "The checking page of a copy (HTML in Vietnamese, no login): entry,"
          " status, and a form to check a PDF", media_type="text/html"),
    Route("POST", "/c/{code}", pages.check_copy_form, None,
          "Check an uploaded PDF (multipart form) against a copy; the answer as"
          " the checking page (HTML, no login)", media_type="text/html",
          parts=pages.PAGE_PARTS, upload_mb=duplicate.check_upload_mb,
          upload_setting="verification.max_upload_mb",
          problems=("upload-too-large", "media-type-unsupported",
                    "request-invalid", "worker-timeout", "worker-memory")),
    Route("GET", API + "/copies/books", copy_routes.get_book, COPY_CERTIFIERS,
          "Read the caller's body's certification book of a year: every"
          " numbered intake in number order with its state, and why a number"
          " gave no copy (interrupted by a stop, a failed signature)",
          query=copy_routes.BookQuery, response=copy_routes.BookOut,
          problems=("request-invalid", "copy-other-agency")),
)  # fmt: skip
