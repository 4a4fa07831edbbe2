"""Errors of delivery, each with the stable code of its problem type."""

from __future__ import annotations

from edocx.errors import EdocxError, InputError


class PushEndpointRefusedError(InputError):
    """An endpoint the hub will not post to (scheme, form or address)."""

    code = "push-endpoint-refused"
    status = 422
    title = "The push endpoint is refused"


class PushEndpointNotFoundError(EdocxError):
    code = "push-endpoint-not-found"
    status = 404
    title = "The agency has no push endpoint"


class PushMessageNotFoundError(EdocxError):
    code = "push-message-not-found"
    status = 404
    title = "No such push message"


class AgencyNotFoundError(EdocxError):
    code = "agency-not-found"
    status = 404
    title = "No such agency"
