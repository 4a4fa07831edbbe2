"""Errors of the exchange, each with the stable code of its problem type.

``extensions`` carries structured facts a client can act on (the missing
header fields, the current status); never document bytes or secrets.
"""

from __future__ import annotations

from typing import Any

from edocx.errors import EdocxError, InputError


class ExchangeError(EdocxError):
    """Root of the exchange's errors."""

    code = "exchange-error"
    status = 409
    title = "The exchange refused the request"

    def __init__(
        self,
        detail: str,
        *,
        hint: str | None = None,
        extensions: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail, hint=hint)
        self.extensions = extensions or {}


class HeaderInvalidError(InputError):
    code = "header-invalid"
    status = 422
    title = "The document header is not valid"

    def __init__(
        self, detail: str, *, hint: str | None = None, errors: list[str] | None = None
    ) -> None:
        super().__init__(detail, hint=hint)
        self.extensions: dict[str, Any] = {"errors": errors or []}


class HeaderFieldMissingError(HeaderInvalidError):
    code = "header-field-missing"
    title = "A required header field is missing"

    def __init__(self, fields: list[str]) -> None:
        super().__init__(
            "missing header field(s): " + ", ".join(fields),
            hint="send every required field of the header",
        )
        self.extensions = {"fields": fields}


class DocumentTypeUnknownError(InputError):
    code = "document-type-unknown"
    status = 422
    title = "Unknown document type"


class RecipientUnknownError(InputError):
    code = "recipient-unknown"
    status = 422
    title = "A recipient named is unknown to the hub or to the document"

    def __init__(
        self, organ_ids: list[str], *, detail: str | None = None,
        hint: str | None = None,
    ) -> None:  # fmt: skip
        super().__init__(
            detail or "unknown recipient(s): " + ", ".join(organ_ids),
            hint=hint or "recipients are organ ids listed by GET /api/v1/agencies",
        )
        self.extensions: dict[str, Any] = {"recipients": organ_ids}


class DocumentNotFoundError(ExchangeError):
    # NOTE: another agency's document gets this same error, so that nobody
    # learns whether a document id exists outside what they may see.
    code = "document-not-found"
    status = 404
    title = "No such document"


class DocumentStateError(ExchangeError):
    code = "document-state-conflict"
    status = 409
    title = "The document is not in a state that allows this"


class ActionNotAllowedError(ExchangeError):
    code = "action-not-allowed"
    status = 403
    title = "The caller may not take this action"


class CredentialUnavailableError(ExchangeError):
    code = "credential-unavailable"
    status = 409
    title = "No signing credential is available for this user or agency"


class StatusRegressionError(ExchangeError):
    code = "status-regression"
    status = 409
    title = "The status would move the delivery backwards"


class StatusNotAllowedError(ExchangeError):
    code = "status-not-allowed"
    status = 409
    title = "This status cannot follow the delivery's current status"


class IssueVerificationError(ExchangeError):
    # The hub's own verifier refused the sealed result: the number is voided
    # and nothing is routed.
    code = "issue-verification-failed"
    status = 502
    title = "The issued document did not pass verification"


class SignerMismatchError(ExchangeError):
    # The header names who signs; the token says who does. They must agree.
    code = "signer-mismatch"
    status = 409
    title = "The signing user is not the signer the header names"


class SigningWouldBreakDocumentError(ExchangeError):
    # The personal signature was made but the hub's verifier refuses the
    # result: it is not stored, and the draft stays a draft.
    code = "signing-would-break-document"
    status = 422
    title = "Signing would leave a document that cannot be issued"


class StatusReasonRequiredError(InputError):
    code = "status-reason-required"
    status = 422
    title = "This status needs a description"


class StatusDescriptionInvalidError(InputError):
    code = "status-description-invalid"
    status = 422
    title = "The status description has characters that are not allowed"


class DocumentNotIssuableError(ExchangeError):
    # The hub's own verifier fails the sealed result (a signature fails, not
    # merely cannot be checked yet): the same document fails the same way at
    # every attempt, so this is no gateway fault to retry. The number is
    # voided and nothing is routed.
    code = "document-not-issuable"
    status = 409
    title = "The document cannot be issued as it stands"


class SecretDocumentError(InputError):
    """A state-secret document must not travel over the exchange (Decree 30)."""

    code = "document-secret"
    status = 422
    title = "Documents marked secret are not exchanged through the hub"


# The moves the status life-cycle forbids, each with its own
# problem type; none of them is stored. A status behind the current state
# is not among them: it is kept as late and changes nothing.


class StatusSenderOnlyError(StatusNotAllowedError):
    code = "status-sender-only"
    title = "Only the sender of the document may ask to change it (13)"


class StatusRecipientOnlyError(StatusNotAllowedError):
    code = "status-recipient-only"
    title = "Only a recipient posts this status"


class StatusBeforeArrivalError(StatusNotAllowedError):
    code = "status-before-arrival"
    title = "The document has not arrived (01) at the recipient yet"


class StatusBeforeAcceptanceError(StatusNotAllowedError):
    code = "status-before-acceptance"
    title = "The recipient has not accepted the document (03) yet"


class StatusRejectAfterAcceptError(StatusNotAllowedError):
    code = "status-reject-after-accept"
    title = "A document accepted (03) can no longer be rejected (02)"


class DeliveryRejectedError(StatusNotAllowedError):
    code = "delivery-rejected"
    title = "The recipient rejected the document: the delivery ended"


class DeliveryCancelledError(StatusNotAllowedError):
    code = "delivery-cancelled"
    title = "The document was recalled: the recipient's copy is cancelled"


class ChangeNotRequestedError(StatusNotAllowedError):
    code = "change-not-requested"
    title = "No request to change the document (13) is pending"


class ChangeAlreadyPendingError(StatusNotAllowedError):
    code = "change-already-pending"
    title = "Another request to change the document (13) is pending"


class ReplacementInvalidError(InputError):
    code = "replacement-invalid"
    status = 422
    title = "The document to replace cannot be replaced as asked"


class StatusTimeInvalidError(InputError):
    code = "status-time-invalid"
    status = 422
    title = "The status time is not usable"


class StatusChangeKindError(InputError):
    code = "status-change-kind-invalid"
    status = 422
    title = "The kind of change does not fit the status"


class DocumentWithoutPdfError(ExchangeError):
    # A document an agency's own system relayed as an edXML packet whose
    # attachments hold no PDF (a zipped .doc, as in the official samples).
    code = "document-without-pdf"
    status = 409
    title = "The document has no PDF"


class RevocationUnavailableError(ExchangeError):
    # The personal signature was made, but its revocation data could not be
    # had (the OCSP responder or CRL named by a certificate did not answer):
    # ETSI's INDETERMINATE/TRY_LATER. Nothing is stored and the draft stays
    # a draft; the same signature passes once the service answers again.
    code = "revocation-unavailable"
    status = 502
    title = "The revocation data of a certificate could not be fetched"
