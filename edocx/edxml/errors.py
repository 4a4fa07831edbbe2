"""Refusals of an edXML packet, each with its stable problem type.

``extensions`` carries the reader's findings (``errors``, ``warnings``: code,
message, where) so that the sending system can tell its operator what to
correct; never packet bytes.
"""

from __future__ import annotations

from typing import Any

from edocx.edxml.model import Finding
from edocx.errors import EdocxError, InputError
from edocx.exchange.errors import ExchangeError


def findings(items: tuple[Finding, ...]) -> list[dict[str, str | None]]:
    return [{"code": f.code, "message": f.message, "where": f.where} for f in items]


class PacketNotXMLError(InputError):
    code = "edxml-not-xml"
    status = 422
    title = "The packet is not well-formed XML"


class PacketUnsafeError(InputError):
    # A DTD (entities: billion laughs, external files or addresses) or
    # elements nested deeper than the reader allows.
    code = "edxml-unsafe"
    status = 422
    title = "The packet's XML is refused as unsafe"

    def __init__(
        self, detail: str, *, reason: str = "unsafe", hint: str | None = None
    ) -> None:
        super().__init__(detail, hint=hint)
        self.extensions: dict[str, Any] = {"reason": reason}


class PacketInvalidError(InputError):
    code = "edxml-invalid"
    status = 422
    title = "The packet is not a usable edXML packet"

    def __init__(
        self, detail: str, *, errors: tuple[Finding, ...] = (),
        warnings: tuple[Finding, ...] = (), strict: bool = False,
        hint: str | None = None,
    ) -> None:  # fmt: skip
        super().__init__(
            detail,
            hint=hint or "correct the packet as the errors say and send it again",
        )
        self.extensions: dict[str, Any] = {
            "errors": findings(errors),
            "warnings": findings(warnings),
            "strict": strict,
        }


class PacketSenderMismatchError(ExchangeError):
    code = "edxml-sender-mismatch"
    status = 403
    title = "The packet's sender is not the caller's agency"


class DocumentDuplicateError(ExchangeError):
    code = "document-duplicate"
    status = 409
    title = "A new document with this DocumentId was sent already"


class PacketKeyUnavailableError(EdocxError):
    """The hub has no key to sign the packets it emits: an operator must act."""

    code = "packet-key-unavailable"
    status = 503
    title = "The hub cannot sign edXML packets yet"
