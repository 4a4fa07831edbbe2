"""Who may see a document: its agency, its recipients once issued, auditors.

Anybody else is told the document does not exist (``document-not-found``),
whether or not it does: a document id reveals nothing outside the agencies
that share the document.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from edocx.exchange.errors import ActionNotAllowedError, DocumentNotFoundError
from edocx.store.db import Reader
from edocx.store.deliveries import delivery_from, delivery_query
from edocx.store.documents import document_from, document_queries
from edocx.store.models import Delivery, Document, DocumentState, Role, User


class Party(StrEnum):
    SENDER = "sender"
    RECIPIENT = "recipient"
    AUDITOR = "auditor"


@dataclass(frozen=True)
class Access:
    """A document as one user may see it."""

    document: Document
    party: Party
    delivery: Delivery | None  # the user's agency's delivery, as recipient


async def open_document(db: Reader, user: User, uuid: str) -> Access:
    """Return the document if ``user`` may see it; else not found."""
    # The document, its recipients and the user's agency's delivery of it,
    # read in one trip.
    queries = document_queries(uuid)
    if user.agency_id is not None:
        queries.append(delivery_query(uuid, user.agency_id))
    found = await db.fetch_batch(queries)
    document = document_from(found[0], found[1])
    if document is None:
        raise DocumentNotFoundError(f"no document {uuid}")

    if user.agency_id is not None and document.agency_id == user.agency_id:
        return Access(document, Party.SENDER, None)
    # A relayed document (an edXML packet) reaches its recipients as issued.
    sent = (DocumentState.ISSUED, DocumentState.RELAYED)
    if user.agency_id is not None and document.state in sent:
        delivery = delivery_from(found[2])
        if delivery is not None:
            return Access(document, Party.RECIPIENT, delivery)
    if user.role is Role.AUDITOR:
        return Access(document, Party.AUDITOR, None)
    raise DocumentNotFoundError(f"no document {uuid}")


def require_sender(access: Access, action: str) -> None:
    """Refuse ``action`` unless the user belongs to the issuing agency."""
    if access.party is not Party.SENDER:
        raise ActionNotAllowedError(
            f"only the issuing agency may {action} document {access.document.uuid}"
        )
