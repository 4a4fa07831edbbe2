"""Errors of edocx, each with a stable code the HTTP layer maps to a problem type.

Every error has a terse ``str`` for logs and a ``hint`` a person can act on.
No error message carries a key, a passphrase or document bytes.
"""

from __future__ import annotations

import errno
import sqlite3


class EdocxError(Exception):
    """Root of every error edocx raises on purpose."""

    code = "internal"
    status = 500
    title = "Internal error"

    def __init__(self, detail: str, *, hint: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.hint = hint

    def __reduce__(self) -> tuple[object, ...]:
        # Keep the hint when an error crosses from a worker process.
        return (_rebuild, (type(self), self.detail, self.hint))


def _rebuild(cls: type[EdocxError], detail: str, hint: str | None) -> EdocxError:
    return cls(detail, hint=hint)


class ConfigurationError(EdocxError):
    code = "configuration"
    title = "The service is misconfigured"


class InputError(EdocxError):
    """The caller sent something the hub cannot accept."""

    code = "invalid-input"
    status = 400
    title = "Invalid input"


class PDFUnusableError(InputError):
    code = "pdf-unusable"
    status = 422
    title = "Not a usable PDF"


class PDFPasswordRequiredError(InputError):
    code = "pdf-password-required"
    status = 422
    title = "The PDF is encrypted and needs its password"


class PDFPermissionError(InputError):
    code = "pdf-permission-denied"
    status = 422
    title = "The PDF's permissions forbid this change"


class SigningError(EdocxError):
    code = "signing-failed"
    status = 502
    title = "Signing failed"


class TimestampError(SigningError):
    code = "timestamp-unavailable"
    title = "The timestamp authority did not answer"


class VerificationError(EdocxError):
    """A signature check refused a document."""

    code = "signature-invalid"
    status = 422
    title = "The document's signatures do not pass"


class WorkerError(EdocxError):
    code = "worker-failed"
    status = 500
    title = "A worker process failed"


class WorkerTimeoutError(WorkerError):
    code = "worker-timeout"
    status = 422
    title = "The document took too long to process"


class WorkerMemoryError(WorkerError):
    code = "worker-memory"
    status = 422
    title = "The document needs more memory than allowed"


class CertificateRevokedError(SigningError):
    """The signer's certificate, or a CA certificate above it, is revoked.

    Nothing on the hub's side failed: the key may no longer sign, and only a
    new certificate from the CA can change that.
    """

    code = "signer-certificate-revoked"
    status = 409
    title = "The signer's certificate is revoked"


class ServiceStoppingError(WorkerError):
    """The worker pool is closing: the call was not, or not fully, run."""

    code = "service-stopping"
    status = 503
    title = "The service is stopping"


class PDFAlreadyIssuedError(InputError):
    """A draft that is already an issued document (number, date, seal)."""

    code = "pdf-already-issued"
    status = 422
    title = "The PDF is an issued document"


class CertificateExpiredError(SigningError):
    """The signer's certificate, or a CA certificate above it, has expired."""

    code = "signer-certificate-expired"
    status = 409
    title = "The signer's certificate has expired"


class CertificateNotYetValidError(SigningError):
    """The signing time is before the signer's certificate starts."""

    code = "signer-certificate-not-yet-valid"
    status = 409
    title = "The signer's certificate is not valid yet"


class KeyUsageMissingError(SigningError):
    """The certificate allows neither digital signature nor non-repudiation."""

    code = "signer-key-usage-missing"
    status = 409
    title = "The signer's certificate does not allow signing"


class SealSubjectNotOrganisationError(SigningError):
    """A seal certificate must name an organisation, not only a person."""

    code = "seal-subject-not-organisation"
    status = 409
    title = "The seal's certificate does not name an organisation"


class TokenPINRefusedError(ConfigurationError):
    """A PKCS#11 token refused the configured PIN, or its PIN is locked.

    The hub tries a refused PIN once per process and never again, lest it
    lock the card: only a corrected PIN and a restart bring the key back.
    """

    code = "token-pin-refused"
    status = 503
    title = "A signing token refused its PIN"


class PDFAlreadySignedError(PDFAlreadyIssuedError):
    """A draft that already carries the hub's personal signature, not issued."""

    title = "The PDF already carries the personal signature"


class StorageFullError(EdocxError):
    """The disk holding the database or the blob store has no room left.

    Nothing of the change was stored: its transaction was rolled back and
    its staged bytes discarded. The hub takes changes again as soon as there
    is room, without a restart.
    """

    code = "storage-full"
    status = 507
    title = "The hub's storage is full"


# ENOSPC: no room on the device; EDQUOT: the user's quota is spent.
_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})


def storage_full(error: BaseException, what: str) -> StorageFullError | None:
    """Return the :class:`StorageFullError` ``error`` means, if it means one.

    ``error`` is an OSError (ENOSPC, EDQUOT) or SQLite's SQLITE_FULL;
    ``what`` names the store that is full, for the detail.
    """
    full = isinstance(error, OSError) and error.errno in _FULL_ERRNOS
    if isinstance(error, sqlite3.Error):
        full = getattr(error, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL
    if not full:
        return None
    return StorageFullError(
        f"the {what} has no room left on its disk; nothing was stored",
        hint="try again later; the hub's operators must free or add space",
    )


def failure_reason(error: BaseException) -> str:
    """Return why an operation failed, as its voided record keeps it.

    An edocx refusal gives its code and detail; anything else only its type,
    since its message may carry what must not be stored.
    """
    if isinstance(error, EdocxError):
        return f"{error.code}: {error.detail}"
    return f"internal error ({type(error).__name__})"
