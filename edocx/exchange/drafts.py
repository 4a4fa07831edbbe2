"""Drafts: upload with a header, then the competent person's signature.

Creating a draft, cheapest checks first:

1. the header names a known document type and known recipients, and the
   issued document it replaces, if any, is one its agency sent them;
2. the PDF is prepared in a worker (unusable, encrypted-without-password and
   forbidden-by-permissions files are refused there);
3. a PDF that already carries signatures is verified: one that fails is
   refused; a foreign signature the hub cannot trust is reported and kept;
4. the bytes are stored, then the document, its revisions, its report and
   the audit event are committed in one transaction.

Nothing is written before step 4, so a refused upload leaves no trace.
"""

from __future__ import annotations

import logging
import unicodedata
import uuid as uuidlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from edocx.audit.events import record_event
from edocx.errors import PDFUnusableError, VerificationError
from edocx.exchange import changes
from edocx.exchange.access import open_document, require_sender
from edocx.exchange.compute import SignedDocument
from edocx.exchange.doctypes import find_document_type
from edocx.exchange.errors import (
    ActionNotAllowedError,
    DocumentNotFoundError,
    DocumentStateError,
    HeaderInvalidError,
    RecipientUnknownError,
    RevocationUnavailableError,
    SignerMismatchError,
    SigningWouldBreakDocumentError,
)
from edocx.exchange.header import DraftHeader
from edocx.exchange.hub import Hub
from edocx.exchange.verdicts import (
    Verdict,
    refusal_repeats,
    signing_refusal,
    verdict_of,
)
from edocx.signing.levels import Level, SignOutcome
from edocx.store import documents, reports
from edocx.store.agencies import find_agency, get_agency
from edocx.store.db import Reader
from edocx.store.models import Agency, Document, DocumentState, User
from edocx.store.results import completed, results_as
from edocx.verification.report import SubIndication, ValidationReport

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DraftOutcome:
    document: Document
    warnings: tuple[str, ...]
    report: dict[str, Any] | None  # the report on signatures already present


async def create_draft(
    hub: Hub, user: User, header: DraftHeader, pdf: bytes, *,
    password: str | None, at: datetime,
) -> DraftOutcome:  # fmt: skip
    """Check and store a draft of ``user``'s agency (steps in the module doc)."""
    # 1. The header, against the directory.
    doctype = find_document_type(header.type)
    async with hub.db.read() as reader:
        recipient_ids = await _recipient_ids(reader, user, header.recipients)
        plan = await changes.plan_replacement(
            reader, agency_id=_agency_id(user), recipient_ids=recipient_ids,
            replaces=header.replaces,
        )  # fmt: skip

    # 2. and 3. The file, in the worker pool.
    prepared = await hub.compute.prepare(pdf, password)
    report = None
    if prepared.existing_signatures:
        report = await _check_existing_signatures(hub, pdf, password)

    # 4. Bytes first, then the rows that point to them.
    upload = Stored(await hub.blobs.put(pdf), len(pdf))
    draft = Stored(await hub.blobs.put(prepared.pdf), len(prepared.pdf))
    new = documents.NewDocument(
        uuid=str(uuidlib.uuid4()), agency_id=_agency_id(user),
        type_name=doctype.name, type_abbreviation=doctype.abbreviation,
        drafting_unit=header.drafting_unit, subject=header.subject,
        signer_name=header.signer.name, signer_position=header.signer.position,
        signer_competence=header.signer.competence, priority=header.priority,
        recipient_agency_ids=recipient_ids, blob=draft.digest, created_by=user.id,
    )  # fmt: skip
    with results_as(lambda made: DraftOutcome(made, prepared.warnings, report)):
        document = await _commit_draft(hub, user, new, upload, draft, report, plan, at)

    logger.info(
        "draft %s created by user %d of agency %s (%d bytes, %d signature(s))",
        new.uuid, user.id, user.organ_id, len(pdf), prepared.existing_signatures,
    )  # fmt: skip
    return DraftOutcome(document, prepared.warnings, report)


@dataclass(frozen=True)
class Stored:
    digest: str
    size: int


async def _commit_draft(
    hub: Hub, user: User, new: documents.NewDocument, upload: Stored,
    draft: Stored, report: dict[str, Any] | None,
    plan: changes.PlannedReplacement | None, at: datetime,
) -> Document:  # fmt: skip
    async with hub.db.write() as tx:
        doc_id = await documents.insert_document(tx, new, at=at)
        await changes.save_plan(tx, doc_id, plan)
        for kind, stored in (("upload", upload), ("draft", draft)):
            await documents.insert_revision(
                tx, doc_id, kind=kind, blob=stored.digest, size=stored.size,
                actor_id=user.id, at=at,
            )  # fmt: skip
        if report is not None:
            await reports.insert_report(
                tx, document_id=doc_id, blob=upload.digest, context="draft",
                verdict=str(report["verdict"]), report=report, at=at,
            )  # fmt: skip
        await record_event(
            tx, at=at, actor=user.id, agency=user.agency_id, action="document.draft",
            object_type="document", object_id=new.uuid, content_sha256=draft.digest,
            details={"upload_sha256": upload.digest, "type": new.type_name},
        )  # fmt: skip
        document = await documents.get_document_by_id(tx, doc_id)
        assert document is not None
        completed(tx, document)
    return document


def _agency_id(user: User) -> int:
    if user.agency_id is None:
        raise ActionNotAllowedError("only an agency's users handle documents")
    return user.agency_id


async def _recipient_ids(
    db: Reader, user: User, organ_ids: list[str]
) -> tuple[int, ...]:
    found: list[Agency] = []
    unknown: list[str] = []
    for organ_id in organ_ids:
        agency = await find_agency(db, organ_id)
        if agency is None:
            unknown.append(organ_id)
        else:
            found.append(agency)
    if unknown:
        raise RecipientUnknownError(unknown)
    if any(agency.id == user.agency_id for agency in found):
        raise HeaderInvalidError("an agency cannot send a document to itself")
    return tuple(agency.id for agency in found)


async def _check_existing_signatures(
    hub: Hub, pdf: bytes, password: str | None
) -> dict[str, Any]:
    report = await hub.compute.verify(pdf, password=password)
    verdict = verdict_of(report)
    if verdict is Verdict.UNUSABLE:
        raise PDFUnusableError("the draft's signatures cannot be read")
    if verdict is Verdict.FAILED:
        raise VerificationError(
            "a signature on the draft fails verification",
            hint="upload the draft without the broken signature",
        )
    # PASSED or INDETERMINATE (a foreign signature the hub cannot trust):
    # kept and reported, never trusted.
    dumped: dict[str, Any] = report.model_dump(mode="json")
    return dumped


async def sign_draft(
    hub: Hub, user: User, uuid: str, *, at: datetime
) -> SignedDocument:
    """Apply ``user``'s personal signature to a draft of their agency.

    The header's signer must be ``user``; the signed result must pass the
    hub's own verifier (:func:`signing_refusal`) before it is stored, so that
    a draft that signing would break stays a draft.
    """
    async with hub.db.read() as reader:
        access = await open_document(reader, user, uuid)
        require_sender(access, "sign")
        document = access.document
        if document.state is not DocumentState.DRAFT:
            raise DocumentStateError(
                f"document {uuid} is {document.state}, not a draft"
            )
        agency = await get_agency(reader, document.agency_id)
    assert agency is not None
    _require_named_signer(document, user)

    pdf = await hub.blobs.get(document.current_blob)
    outcome = await hub.compute.sign_personal(
        pdf, document=document, signer=user, agency=agency, at=at
    )
    signed = outcome.pdf
    await _check_signed(hub, document, outcome)
    digest = await hub.blobs.put(signed)

    async with hub.db.write() as tx:
        if not await documents.mark_signed(tx, document.id, blob=digest, at=at):
            raise DocumentStateError(f"document {uuid} was signed meanwhile")
        await documents.insert_revision(
            tx, document.id, kind="signed", blob=digest, size=len(signed),
            actor_id=user.id, at=at,
        )  # fmt: skip
        await record_event(
            tx, at=at, actor=user.id, agency=user.agency_id, action="document.sign",
            object_type="document", object_id=uuid, content_sha256=digest,
        )  # fmt: skip
        updated = await documents.get_document_by_id(tx, document.id)
        if updated is None:
            raise DocumentNotFoundError(f"no document {uuid}")
        done = SignedDocument.of(updated, outcome)
        completed(tx, done)

    logger.info(
        "document %s signed by user %d of agency %s at level %s",
        uuid, user.id, user.organ_id, outcome.level,
    )  # fmt: skip
    return done


def same_person(a: str, b: str) -> bool:
    """Whether two names are the same (NFC, case and spacing aside)."""
    return _name_key(a) == _name_key(b)


def _name_key(name: str) -> str:
    return " ".join(unicodedata.normalize("NFC", name).casefold().split())


def _require_named_signer(document: Document, user: User) -> None:
    if same_person(document.signer_name, user.display_name):
        return
    logger.warning(
        "document %s of agency %s: user %d is not the signer the header names",
        document.uuid, document.organ_id, user.id,
    )  # fmt: skip
    raise SignerMismatchError(
        f"the header names {document.signer_name!r} as the signer,"
        f" not {user.display_name!r}",
        hint="the signer the header names signs, or upload a corrected draft",
    )


async def _check_signed(hub: Hub, document: Document, outcome: SignOutcome) -> None:
    report = await hub.compute.check_own(outcome, own_signatures=1)
    refusal = signing_refusal(report, untimed_ok=outcome.level is Level.B_B)
    if refusal is None:
        return
    logger.warning(
        "document %s of agency %s: signed result refused: %s",
        document.uuid, document.organ_id, refusal,
    )  # fmt: skip
    if _try_later(report):
        raise RevocationUnavailableError(
            refusal,
            hint="an OCSP responder or CRL of the signer's certificates did not"
            " answer: sign again once it does; the draft is unchanged",
            extensions={"verdict": report.verdict.value},
        )
    raise SigningWouldBreakDocumentError(
        refusal,
        hint="the draft cannot be signed as it is: upload a new draft,"
        " e.g. exported again to PDF without the earlier signatures",
        extensions={"verdict": report.verdict.value},
    )


def _try_later(report: ValidationReport) -> bool:
    """Whether only revocation data out of reach keeps the signature back."""
    return not refusal_repeats(report) and any(
        signature.sub_indication is SubIndication.TRY_LATER
        for signature in report.signatures
    )
