"""E-duplicates from master registers: issue, look up, check, revoke.

A clerk of a body that keeps a master register issues an electronic
duplicate of one entry (Decree 45/2020, Art. 10(2)):

1. the record was validated already (``duplicaterecord``): nothing of a
   refused record is numbered or stored;
2. in one short transaction, the next number of the body's duplicate book
   of the year is reserved, with the record and a fresh code;
3. outside any transaction, a worker lays the duplicate out from the
   template, with the number, the book and a QR code leading to the
   checking page, and seals it with the body's key at B-LT or better;
4. the hub's own verifier must pass the sealed file;
5. the file is stored and, in one transaction, the number is marked issued
   and the act written to the audit log.

When anything fails after step 2, the number is voided with the reason in
a transaction of its own: every number of the book stays accounted for.

Anyone may look a duplicate up by its code, and check a file against it:
the answer says whether the file is the duplicate as issued and carries the
full signature report. The public answer names the document, its number,
book, body and date and its status, never the record's personal data: the
person who holds the file shows it, and the check says whether it is the
one issued.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import secrets
from dataclasses import dataclass, replace
from datetime import datetime

from edocx.audit.events import record_event
from edocx.config import Settings
from edocx.copies.duplicatepdf import load_template
from edocx.copies.duplicaterecord import DuplicateRequest, record_json, record_sha256
from edocx.copies.duplicatesign import DuplicateJob, make_duplicate
from edocx.errors import (
    EdocxError,
    InputError,
    TokenPINRefusedError,
    failure_reason,
)
from edocx.exchange.compute import Runner
from edocx.exchange.errors import ActionNotAllowedError, IssueVerificationError
from edocx.exchange.hub import Hub
from edocx.pki.credentials import KeyRef, PKCS11Ref
from edocx.pki.tokens import check_not_refused, remember_refusal
from edocx.signing.levels import Level, SignOutcome, level_for
from edocx.store import duplicates as book
from edocx.store.agencies import get_agency
from edocx.store.db import Database, assert_no_write_transaction
from edocx.store.duplicates import DuplicateRow, DuplicateState, NewDuplicate
from edocx.store.models import Agency, User
from edocx.store.results import completed
from edocx.verification.report import ModificationClass, ValidationReport, Verdict
from edocx.vntime import vietnam_time

logger = logging.getLogger(__name__)

INTERRUPTED = "interrupted: the service stopped while the duplicate was made"

# TODO(#7): take the duplicate book's name from the configuration, as the
# certification book's is (copies.book_pattern), once bodies say how they
# name it; this is the common practice of one book per year.
BOOK_PATTERN = "Quyển số 01/{year}-BSSG"
NUMBER_SUFFIX = "/ĐT"
DOCUMENT_TYPE = "Bản sao từ sổ gốc"


class DuplicateNotFoundError(EdocxError):
    code = "duplicate-not-found"
    status = 404
    title = "No e-duplicate has this code"


class DuplicateRevokedError(EdocxError):
    code = "duplicate-already-revoked"
    status = 409
    title = "The e-duplicate is revoked already"


class DuplicateReasonError(InputError):
    code = "duplicate-reason-required"
    status = 422
    title = "A revocation needs its reason"


@dataclass(frozen=True)
class DuplicateCheck:
    """The book's entry of a duplicate and, given a file, the verdict on it.

    ``matches`` is None without a file; True when the file is the duplicate
    as issued, byte for byte, or the issued file with later revisions the
    signature report finds harmless (a later timestamp, say).
    """

    entry: DuplicateRow
    matches: bool | None = None
    report: ValidationReport | None = None

    @property
    def revoked(self) -> bool:
        return self.entry.revoked_at is not None


def new_code() -> str:
    """Return a fresh code: 80 random bits, lower-case base32 (16 letters)."""
    return base64.b32encode(secrets.token_bytes(10)).decode("ascii").lower()


def number_text(number: int) -> str:
    return f"{number}{NUMBER_SUFFIX}"


def check_url(settings: Settings, code: str) -> str:
    return settings.copies.verify_base_url + code


async def issue_duplicate(
    hub: Hub, runner: Runner, clerk: User, request: DuplicateRequest,
    *, settings: Settings, at: datetime,
) -> tuple[DuplicateRow, SignOutcome]:  # fmt: skip
    """Issue the e-duplicate of ``request.record`` for the clerk's body."""
    agency = await _issuing_body(hub, clerk)
    # A body without a seal key is refused before a number is taken.
    credential = hub.compute.setup.credential(
        agency.seal_credential, whose=f"agency {agency.organ_id}"
    )
    record = request.record
    year = vietnam_time(at).year
    template = load_template(record.kind)
    new = NewDuplicate(
        code=new_code(), agency_id=agency.id, year=year,
        book=BOOK_PATTERN.format(year=year), kind=record.kind,
        document_name=template.document_name, record=record_json(record),
        record_sha256=record_sha256(record), requester=request.requester,
        actor_id=clerk.id,
    )  # fmt: skip

    # 2. Reserve the number.
    async with hub.db.write() as tx:
        number = await book.reserve_number(tx, new, at=at)

    try:
        job = _job(hub, agency, credential, new, number, settings, at)
        return await _seal_and_keep(hub, runner, clerk, agency, job)
    except BaseException as error:
        await asyncio.shield(_void(hub, clerk, new.code, error, at))
        raise


async def _issuing_body(hub: Hub, clerk: User) -> Agency:
    if clerk.agency_id is None:
        raise ActionNotAllowedError("only a body's staff issue its duplicates")
    async with hub.db.read() as reader:
        agency = await get_agency(reader, clerk.agency_id)
    if agency is None:
        raise ActionNotAllowedError("the caller's body is not in the directory")
    return agency


async def _seal_and_keep(
    hub: Hub, runner: Runner, clerk: User, agency: Agency, job: DuplicateJob
) -> tuple[DuplicateRow, SignOutcome]:
    # 3. Lay out and seal, in a worker.
    outcome = await _run_sealing(runner, job)

    # 4. The hub's verifier must pass what it hands out.
    report = await hub.compute.verify(outcome.pdf, own_document=True)
    if report.verdict is not Verdict.PASSED:
        raise IssueVerificationError(
            f"the sealed duplicate does not pass verification ({report.verdict})",
            extensions={"verdict": report.verdict.value},
        )

    # 5. Store, then mark the number issued and log the act together.
    digest = await hub.blobs.put(outcome.pdf)
    code, at = job.document_id, job.at
    async with hub.db.write() as tx:
        await book.mark_issued(tx, code, blob=digest, level=outcome.level, at=at)
        await record_event(
            tx, at=at, actor=clerk.id, agency=agency.id, action="duplicate.issue",
            object_type="duplicate", object_id=code, content_sha256=digest,
            details={"number": job.number_text, "book": job.book,
                     "record_sha256": job.record_sha256, "kind": job.kind},
        )  # fmt: skip
        issued = await book.get_by_code(tx, code)
        assert issued is not None
        completed(tx, (issued, outcome))
    logger.info(
        "duplicate %s of agency %s issued as %s in %s at level %s",
        code, agency.organ_id, job.number_text, job.book, outcome.level,
    )  # fmt: skip
    return issued, outcome


async def _run_sealing(runner: Runner, job: DuplicateJob) -> SignOutcome:
    """Seal in a worker; never offer a token a PIN it refused again."""
    assert_no_write_transaction("sealing a duplicate")
    key = job.credential
    if not isinstance(key, PKCS11Ref):
        return await runner.run(make_duplicate, job)
    check_not_refused(key.module, key.token, key.pin)
    try:
        return await runner.run(make_duplicate, job)
    except TokenPINRefusedError:
        # A token locks itself after a few refused PINs.
        remember_refusal(key.module, key.token, key.pin)
        raise


def _job(
    hub: Hub, agency: Agency, credential: KeyRef, new: NewDuplicate, number: int,
    settings: Settings, at: datetime,
) -> DuplicateJob:  # fmt: skip
    setup = hub.compute.setup
    level = level_for(
        setup.levels, agency_code=agency.organ_id, document_type=DOCUMENT_TYPE
    )
    return DuplicateJob(
        document_id=new.code, agency_code=agency.organ_id, credential=credential,
        tsa_urls=setup.tsa_urls, trust_root_paths=setup.trust_roots,
        extra_cert_paths=setup.extra_certs, at=at,
        # A duplicate is checked for years, offline: never below B-LT, and
        # never downgraded to B-B when no TSA answers.
        level=level if level.long_term else Level.B_LT,
        allow_downgrade_to_bb=False,
        kind=new.kind, record_json=new.record, record_sha256=new.record_sha256,
        agency_name=agency.name, place=agency.place, number=number,
        notation=NUMBER_SUFFIX.lstrip("/"), number_text=number_text(number),
        book=new.book, issued_on=vietnam_time(at).date(), requester=new.requester,
        base_url=settings.copies.verify_base_url,
    )  # fmt: skip


async def _void(
    hub: Hub, clerk: User, code: str, error: BaseException, at: datetime
) -> None:
    reason = failure_reason(error)
    async with hub.db.write() as tx:
        if not await book.mark_voided(tx, code, reason=reason):
            return  # settled already: the failure came after the commit
        await record_event(
            tx, at=at, actor=clerk.id, agency=clerk.agency_id,
            action="duplicate.void", object_type="duplicate", object_id=code,
            details={"reason": reason},
        )  # fmt: skip
    logger.warning("duplicate %s of agency %s voided: %s", code, clerk.organ_id, reason)


async def void_interrupted(db: Database, *, at: datetime) -> int:
    """Void the numbers a stopped process left reserved; return how many.

    Called at start-up, before serving (no duplicate can be in the making).
    """
    async with db.write() as tx:
        stale = await book.stale_reservations(tx)
        for row in stale:
            await book.mark_voided(tx, row.code, reason=INTERRUPTED)
            await record_event(
                tx, at=at, actor=None, agency=row.agency_id,
                action="duplicate.void", object_type="duplicate",
                object_id=row.code, details={"reason": INTERRUPTED},
            )  # fmt: skip
    for row in stale:
        logger.warning(
            "duplicate %s of agency %d: number %s of %s voided: %s",
            row.code, row.agency_id, number_text(row.number), row.book, INTERRUPTED,
        )  # fmt: skip
    return len(stale)


async def find_duplicate(hub: Hub, code: str) -> DuplicateRow:
    """Return the issued duplicate of ``code``; a reserved or voided one is
    not found (it was never handed out)."""
    # Codes are lower-case base32: one read aloud or typed in capitals is
    # the same code.
    async with hub.db.read() as reader:
        found = await book.get_by_code(reader, code[:64].lower())
    if found is None or found.state is not DuplicateState.ISSUED:
        raise DuplicateNotFoundError(f"no e-duplicate {code[:64]!r}")
    return found


async def check_duplicate(hub: Hub, code: str, pdf: bytes | None) -> DuplicateCheck:
    """Return the duplicate's entry and, given ``pdf``, whether it is that one.

    The file is the duplicate when it is the file issued, byte for byte, or
    that file with later revisions the verifier finds harmless (validation
    data, a document timestamp its holder added); and its seal passes.
    """
    entry = await find_duplicate(hub, code)
    if pdf is None:
        return DuplicateCheck(entry)
    assert entry.blob is not None
    issued = await hub.blobs.get(entry.blob)
    report = await hub.compute.verify(pdf)
    return DuplicateCheck(entry, _matches(issued, pdf, report), report)


def _matches(issued: bytes, pdf: bytes, report: ValidationReport) -> bool:
    if report.verdict is not Verdict.PASSED:
        return False
    if pdf == issued:
        return True
    extends = len(pdf) > len(issued) and pdf.startswith(issued)
    harmless = (None, ModificationClass.NONE, ModificationClass.HARMLESS)
    later = all(sig.modification_class in harmless for sig in report.signatures)
    return extends and later


async def revoke_duplicate(
    hub: Hub, clerk: User, code: str, reason: str, *, at: datetime
) -> DuplicateRow:
    """Revoke a duplicate of the clerk's body, with the reason."""
    reason = reason.strip()
    if not reason:
        raise DuplicateReasonError("say why the duplicate is revoked")
    async with hub.db.write() as tx:
        found = await book.get_by_code(tx, code[:64])
        if found is None or found.state is not DuplicateState.ISSUED:
            raise DuplicateNotFoundError(f"no e-duplicate {code[:64]!r}")
        if found.agency_id != clerk.agency_id:
            raise ActionNotAllowedError("only the issuing body revokes a duplicate")
        if found.revoked_at is not None:
            raise DuplicateRevokedError(f"e-duplicate {code} was revoked already")
        await book.record_revocation(
            tx, found.id, actor_id=clerk.id, reason=reason, at=at
        )
        await record_event(
            tx, at=at, actor=clerk.id, agency=clerk.agency_id,
            action="duplicate.revoke", object_type="duplicate", object_id=code,
            details={"reason": reason},
        )  # fmt: skip
        revoked = replace(found, revoked_at=at.isoformat(), revocation_reason=reason)
        completed(tx, revoked)
    logger.info("duplicate %s of agency %s revoked", code, clerk.organ_id)
    return revoked
