"""Issue: number, seal, verify, route (Decree 30/2020 Art. 15-18).

The clerk of the issuing agency issues a signed document:

1. in one short transaction, the next number of the year is reserved;
2. outside any transaction, a worker fills in number and date and applies
   the agency's seal signature (B-LT: the TSA and OCSP are called);
3. the hub's own verifier checks the sealed result: a signature it fails
   fails again at every attempt, so the document cannot be issued as it
   stands (409); one it cannot check yet may pass later (502);
4. the sealed bytes are stored; one transaction then marks the number
   issued, the document issued, records the report, creates a delivery
   for each recipient and links the deliveries of a document it replaces.

When anything fails after step 1, the number is voided with the reason in
a transaction of its own: every number stays accounted for, none is reused.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any

from edocx.audit.events import record_event
from edocx.errors import failure_reason
from edocx.exchange import changes, numbering
from edocx.exchange.access import open_document, require_sender
from edocx.exchange.compute import SignedDocument
from edocx.exchange.errors import (
    DocumentNotIssuableError,
    DocumentStateError,
    ExchangeError,
    IssueVerificationError,
)
from edocx.exchange.hub import Hub
from edocx.exchange.verdicts import issue_refusal, refusal_repeats
from edocx.store import documents, reports
from edocx.store.agencies import get_agency
from edocx.store.db import Tx
from edocx.store.deliveries import insert_delivery
from edocx.store.models import Agency, Document, DocumentState, User
from edocx.store.register import reservation_for
from edocx.store.results import completed
from edocx.verification.report import ValidationReport

logger = logging.getLogger(__name__)


async def issue_document(
    hub: Hub, user: User, uuid: str, *, at: datetime
) -> SignedDocument:
    """Issue a signed document of ``user``'s agency and route it."""
    document, agency = await _load_signed(hub, user, uuid)

    # 1. Reserve the number; the state is checked again under the write lock.
    async with hub.db.write() as tx:
        access = await open_document(tx, user, uuid)
        _require_signed(access.document)
        if await reservation_for(tx, document.id) is not None:
            raise DocumentStateError(f"document {uuid} is being issued")
        reserved = await numbering.reserve_number(
            tx, agency_id=agency.id, document_id=document.id, document_uuid=uuid,
            actor_id=user.id, at=at,
        )  # fmt: skip

    try:
        return await _seal_and_route(hub, user, document, agency, reserved, at)
    except BaseException as error:
        await asyncio.shield(_void(hub, user, uuid, reserved, error, at))
        raise


async def _load_signed(hub: Hub, user: User, uuid: str) -> tuple[Document, Agency]:
    async with hub.db.read() as reader:
        access = await open_document(reader, user, uuid)
        require_sender(access, "issue")
        _require_signed(access.document)
        agency = await get_agency(reader, access.document.agency_id)
    assert agency is not None
    return access.document, agency


def _require_signed(document: Document) -> None:
    """Refuse to issue a draft, or a document issued already."""
    if document.state is DocumentState.ISSUED:
        raise DocumentStateError(
            f"document {document.uuid} is already issued as {document.notation}",
            hint="a document is issued once; read it with GET .../pdf",
        )
    if document.state is not DocumentState.SIGNED:
        raise DocumentStateError(
            f"document {document.uuid} is a {document.state}; sign it first"
        )


async def _seal_and_route(
    hub: Hub, user: User, document: Document, agency: Agency,
    reserved: numbering.ReservedNumber, at: datetime,
) -> SignedDocument:  # fmt: skip
    # 2. Number, date and seal, in a worker.
    code = numbering.code_notation(
        type_abbreviation=document.type_abbreviation,
        agency_abbreviation=agency.abbreviation,
        drafting_unit=document.drafting_unit,
    )
    pdf = await hub.blobs.get(document.current_blob)
    outcome = await hub.compute.number_and_seal(
        pdf, document=document, agency=agency, number=reserved.number, code=code, at=at
    )
    sealed = outcome.pdf

    # 3. The hub's verifier must pass what the hub is about to send.
    report = await hub.compute.check_own(outcome, own_signatures=2)
    refusal = issue_refusal(report, untimed_ok=hub.compute.setup.may_sign_b_b)
    if refusal is not None:
        raise refused_issue(report, refusal)
    if not outcome.level.long_term:
        # The stored report is of the file as sent, read offline.
        report = await hub.compute.verify(sealed, own_document=True)
    dumped: dict[str, Any] = report.model_dump(mode="json")

    # 4. Store, then commit number, document, report and deliveries together.
    digest = await hub.blobs.put(sealed)
    facts = documents.IssueFacts(
        number=reserved.number, code_notation=code,
        notation=numbering.full_notation(reserved.number, code), year=reserved.year,
        issued_at=at, blob=digest,
        edxml_document_id=numbering.edxml_document_id(
            organ_id=agency.organ_id, issued_at=at, number=reserved.number, code=code
        ),
    )  # fmt: skip
    async with hub.db.write() as tx:
        await numbering.confirm_number(
            tx, reserved, document_uuid=document.uuid, actor_id=user.id, at=at
        )
        if not await documents.mark_issued(tx, document.id, facts, at=at):
            raise DocumentStateError(f"document {document.uuid} changed meanwhile")
        await documents.insert_revision(
            tx, document.id, kind="issued", blob=digest, size=len(sealed),
            actor_id=user.id, at=at,
        )  # fmt: skip
        await reports.insert_report(
            tx, document_id=document.id, blob=digest, context="issue",
            verdict=report.verdict.value, report=dumped, at=at,
        )  # fmt: skip
        await record_event(
            tx, at=at, actor=user.id, agency=agency.id, action="document.issue",
            object_type="document", object_id=document.uuid, content_sha256=digest,
            details={"notation": facts.notation,
                     "edxml_document_id": facts.edxml_document_id},
        )  # fmt: skip
        await _route(tx, user, document, at)
        await changes.apply_planned(tx, document.id, actor_id=user.id, at=at)
        issued = await documents.get_document_by_id(tx, document.id)
        assert issued is not None
        done = SignedDocument.of(issued, outcome)
        completed(tx, done)

    logger.info(
        "document %s issued as %s by agency %s at level %s to %s",
        document.uuid, facts.notation, agency.organ_id, outcome.level,
        ", ".join(document.recipients),
    )  # fmt: skip
    return done


def refused_issue(report: ValidationReport, refusal: str) -> ExchangeError:
    """The error for an issue the hub's verifier refused.

    A failed signature fails again on the same document, so the clerk is
    told it cannot be issued as it stands; a signature that cannot be
    checked yet (revocation data out of reach) may pass on a later attempt.
    """
    facts = {"verdict": report.verdict.value}
    if not refusal_repeats(report):
        return IssueVerificationError(refusal, extensions=facts)
    return DocumentNotIssuableError(
        refusal,
        hint="the sealed document fails verification; its number is voided. "
        "Issuing it again fails the same way: have the draft corrected, "
        "uploaded and signed again",
        extensions=facts,
    )


async def _route(tx: Tx, user: User, document: Document, at: datetime) -> None:
    for agency_id in await documents.recipient_agency_ids(tx, document.id):
        delivery_id = await insert_delivery(
            tx, document_id=document.id, recipient_agency_id=agency_id, at=at
        )
        await record_event(
            tx, at=at, actor=user.id, agency=document.agency_id,
            action="delivery.create", object_type="delivery",
            object_id=str(delivery_id),
            details={"document": document.uuid, "recipient_agency": agency_id},
        )  # fmt: skip


async def _void(
    hub: Hub, user: User, uuid: str, reserved: numbering.ReservedNumber,
    error: BaseException, at: datetime,
) -> None:  # fmt: skip
    reason = failure_reason(error)
    async with hub.db.write() as tx:
        if await reservation_for(tx, reserved.document_id) is None:
            return  # settled already: the failure came after the commit
        await numbering.void_number(
            tx, reserved, reason=reason, document_uuid=uuid, actor_id=user.id, at=at
        )
