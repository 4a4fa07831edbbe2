"""Refusals of the certified-copy operations, each with its problem type."""

from __future__ import annotations

from edocx.errors import EdocxError, InputError


class CopyNotFoundError(EdocxError):
    code = "copy-not-found"
    status = 404
    title = "No certified copy has this code"


class CopyStateError(EdocxError):
    code = "copy-state-conflict"
    status = 409
    title = "The copy is not in a state that allows this"


class CopyAgencyError(EdocxError):
    """A certifier acting on another body's book."""

    code = "copy-other-agency"
    status = 403
    title = "The copy belongs to another certifying body"


class RefusalReasonUnknownError(InputError):
    code = "copy-refusal-reason-unknown"
    status = 422
    title = "The reason is not one of Decree 23/2015 Art. 22"


class ScanUnusableError(InputError):
    code = "copy-scan-unusable"
    status = 422
    title = "The scan cannot be certified"


class ScanPageCountError(InputError):
    """The scan's pages are not as many as the intake says."""

    code = "copy-page-count-mismatch"
    status = 422
    title = "The scan's page count differs from the intake's"


class CopyPayloadError(EdocxError):
    """A QR payload that does not verify or cannot be read."""

    code = "copy-payload-invalid"
    status = 422
    title = "The copy's QR payload does not verify"
