"""Certify, refuse and revoke copies (domain §6.5).

Certifying, in order:

1. the upload becomes the scan, in a worker (``intake``), before any number
   is taken, so that an unusable file costs none;
2. in one short transaction the next number of the body's book of the
   year is taken (the book opened if need be), the intake written with it;
3. outside any transaction, a worker writes the statement and the QR code
   and makes the certifier's and the body's signatures (``sealing``);
4. the hub's own verifier checks the result as at an issue;
5. the file is stored, and one transaction marks the copy certified.

When anything fails after step 2, the intake is marked failed with the
reason in a transaction of its own: the number stays in the book, taken,
and is never handed out again. When the process stops between steps 2 and
5, the next start marks the intake failed as ``interrupted`` in the same
way (``settle_interrupted``).

A refusal (Decree 23/2015 Art. 22) is written with its reason and takes no
number. A revocation keeps the number and the file, and states since when
and why.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from edocx.audit.events import record_event
from edocx.config import CopySettings
from edocx.copies import books, qr
from edocx.copies.errors import (
    CopyAgencyError,
    CopyNotFoundError,
    CopyStateError,
    ScanPageCountError,
    ScanUnusableError,
)
from edocx.copies.intake import Scan, scan_from_uploads
from edocx.copies.sealing import CertifiedFile, CertifyJob, certify_pdf
from edocx.copies.statement import StatementFacts
from edocx.errors import (
    ServiceStoppingError,
    WorkerError,
    WorkerMemoryError,
    WorkerTimeoutError,
    failure_reason,
)
from edocx.exchange.compute import Runner
from edocx.exchange.hub import Hub
from edocx.exchange.issue import refused_issue
from edocx.exchange.verdicts import issue_refusal
from edocx.signing.jobs import PersonalSignJob, SealJob
from edocx.signing.levels import Level, level_for
from edocx.store import copies as store
from edocx.store.agencies import get_agency
from edocx.store.copies import CopyIntake, CopyState, IntakeFacts
from edocx.store.db import Database, Reader, assert_no_write_transaction
from edocx.store.models import Agency, User
from edocx.store.results import completed
from edocx.vntime import vietnam_time

logger = logging.getLogger(__name__)

# The document type the levels' configuration names copies by.
COPY_TYPE = "Bản sao chứng thực"

# The failure reason of a certification the hub stopped in the middle of.
INTERRUPTED = "interrupted: the service stopped during the certification"


@dataclass(frozen=True)
class CertifiedCopy:
    intake: CopyIntake
    level: Level
    warnings: tuple[str, ...]
    qr_text: str


async def certify_copy(
    hub: Hub, runner: Runner, user: User, facts: IntakeFacts,
    files: tuple[bytes, ...], *, settings: CopySettings, at: datetime,
) -> CertifiedCopy:  # fmt: skip
    """Certify the scan in ``files`` as a copy, numbered in the body's book."""
    agency = await _own_agency(hub, user)

    # 1. The scan, before any number.
    scan = await _scan(runner, files, settings.max_image_pages)
    if facts.page_count not in (0, scan.page_count):
        raise ScanPageCountError(
            f"the scan has {scan.page_count} page(s); the intake says"
            f" {facts.page_count}",
            hint="scan every page of the original, or correct the page count",
        )
    facts = replace(facts, page_count=scan.page_count)
    # A body or certifier without a key would void the number taken next.
    hub.compute.setup.credential(
        agency.seal_credential, whose=f"agency {agency.organ_id}"
    )
    hub.compute.setup.credential(user.credential_label, whose=f"certifier {user.id}")

    # 2. The number.
    code = books.new_code()
    year = books.book_year(at)
    async with hub.db.write() as tx:
        book = await store.book_for(
            tx, agency_id=agency.id, year=year,
            name=books.book_name(settings.book_pattern, year), at=at,
        )  # fmt: skip
        number = await store.take_number(
            tx, code=code, book=book, certifier_id=user.id, facts=facts,
            scan_sha256=scan.sha256, at=at,
        )  # fmt: skip
        await record_event(
            tx, at=at, actor=user.id, agency=agency.id, action="copy.number",
            object_type="copy", object_id=code, content_sha256=scan.sha256,
            details={"book": book.name, "number": number},
        )  # fmt: skip
        intake = await _intake_in(tx, code)

    # 3. to 5., or the failure recorded.
    try:
        return await _sign_and_keep(
            hub, runner, user, agency, intake, scan, settings, at
        )
    except BaseException as error:
        await asyncio.shield(_fail(hub, user, intake, error, at))
        raise


async def _sign_and_keep(
    hub: Hub, runner: Runner, user: User, agency: Agency, intake: CopyIntake,
    scan: Scan, settings: CopySettings, at: datetime,
) -> CertifiedCopy:  # fmt: skip
    job = _job(hub, user, agency, intake, settings, at)
    if scan.added_page:
        job = replace(job, statement=replace(job.statement, added_page=True))

    # 3. Statement, QR code and signatures, in a worker.
    assert_no_write_transaction("certifying a copy")
    signed: CertifiedFile = await runner.run(certify_pdf, scan.pdf, job)

    # 4. The hub's verifier must pass what it hands out.
    report = await hub.compute.check_own(signed.outcome, own_signatures=2)
    refusal = issue_refusal(report, untimed_ok=hub.compute.setup.may_sign_b_b)
    if refusal is not None:
        raise refused_issue(report, refusal)

    # 5. Keep.
    digest = await hub.blobs.put(signed.pdf)
    async with hub.db.write() as tx:
        if not await store.mark_certified(
            tx, intake.id, blob=digest, number_text=job.statement.number_text,
            check_url=qr.copy_address(settings.verify_base_url, intake.code), at=at,
        ):  # fmt: skip
            raise CopyStateError(f"copy {intake.code} changed meanwhile")
        await record_event(
            tx, at=at, actor=user.id, agency=agency.id, action="copy.certify",
            object_type="copy", object_id=intake.code, content_sha256=digest,
            details={"book": job.claim.book, "number": job.claim.number,
                     "level": signed.level.value},
        )  # fmt: skip
        kept = await _intake_in(tx, intake.code)
        done = CertifiedCopy(kept, signed.level, signed.warnings, signed.qr_text)
        completed(tx, done)
    logger.info(
        "copy %s of %s certified as %s in %s at level %s",
        intake.code, agency.organ_id, job.statement.number_text, job.claim.book,
        signed.level,
    )  # fmt: skip
    return done


def _job(
    hub: Hub, user: User, agency: Agency, intake: CopyIntake,
    settings: CopySettings, at: datetime,
) -> CertifyJob:  # fmt: skip
    assert intake.book is not None and intake.number is not None
    assert intake.scan_sha256 is not None
    setup = hub.compute.setup
    number = books.number_text(intake.number, settings.number_suffix)
    day = vietnam_time(at).date()
    claim = qr.CopyClaim(
        code=intake.code, scan_sha256=intake.scan_sha256, number=intake.number,
        book=intake.book.name, date=day.isoformat(), body=agency.organ_id,
        document_name=intake.facts.document_name,
    )  # fmt: skip
    statement = StatementFacts(
        number_text=number, book=intake.book.name, certified_on=day,
        body_name=agency.name, certifier_title=user.position or "Người chứng thực",
        certifier_name=user.display_name, copies=intake.facts.copies,
    )  # fmt: skip
    level = level_for(
        setup.levels, agency_code=agency.organ_id, document_type=COPY_TYPE
    )
    # A copy must stay checkable offline: B-LT at least.
    level = level if level.long_term else Level.B_LT
    seal_key = setup.credential(
        agency.seal_credential, whose=f"agency {agency.organ_id}"
    )
    personal_key = setup.credential(user.credential_label, whose=f"certifier {user.id}")
    basics: dict[str, Any] = {
        "document_id": intake.code, "agency_code": agency.organ_id,
        "tsa_urls": setup.tsa_urls, "trust_root_paths": setup.trust_roots,
        "extra_cert_paths": setup.extra_certs, "at": at, "level": level,
        "allow_downgrade_to_bb": setup.allow_downgrade_to_bb,
    }  # fmt: skip
    certifier = PersonalSignJob(
        **basics, credential=personal_key, signer_name=user.display_name,
        position=user.position or "Người chứng thực", agency_name=agency.name,
        signature_image=setup.signature_image(user.credential_label),
    )  # fmt: skip
    seal = SealJob(
        **basics, credential=seal_key, agency_name=agency.name,
        number=intake.number, notation=number, place=agency.place, issued_on=day,
        seal_image=setup.seal_image(agency.organ_id),
    )  # fmt: skip
    return CertifyJob(claim, statement, settings.verify_base_url, certifier, seal)


async def _scan(runner: Runner, files: tuple[bytes, ...], max_pages: int) -> Scan:
    assert_no_write_transaction("reading a scan")
    try:
        scan: Scan = await runner.run(scan_from_uploads, files, max_pages)
    except (WorkerTimeoutError, WorkerMemoryError, ServiceStoppingError):
        raise
    except WorkerError as e:
        # The worker died on a file from outside: the file is at fault.
        logger.error("worker failed on a scan: %s", e)
        raise ScanUnusableError(
            "the scan could not be processed",
            hint="export the scan to PDF again, or upload its pages as JPEG or PNG",
        ) from e
    return scan


async def _fail(
    hub: Hub, user: User, intake: CopyIntake, error: BaseException, at: datetime
) -> None:
    reason = failure_reason(error)
    async with hub.db.write() as tx:
        if not await store.mark_failed(tx, intake.id, reason=reason, at=at):
            return  # settled already: the failure came after the commit
        await record_event(
            tx, at=at, actor=user.id, agency=intake.agency_id, action="copy.fail",
            object_type="copy", object_id=intake.code,
            details={"number": intake.number, "reason": reason},
        )  # fmt: skip
    logger.warning(
        "copy %s of agency %d failed with number %s kept: %s",
        intake.code, intake.agency_id, intake.number, reason,
    )  # fmt: skip


async def settle_interrupted(db: Database, *, at: datetime) -> int:
    """Settle the intakes a stopped process left certifying; return how many.

    Called at start-up, before serving (no certification can be running).
    Each keeps its number, marked failed with the reason ``interrupted``:
    the number is accounted for in the book and never handed out again.
    """
    async with db.write() as tx:
        stale = await store.stale_certifying(tx)
        for intake in stale:
            await store.mark_failed(tx, intake.id, reason=INTERRUPTED, at=at)
            await record_event(
                tx, at=at, actor=None, agency=intake.agency_id,
                action="copy.fail", object_type="copy", object_id=intake.code,
                details={"number": intake.number, "reason": INTERRUPTED},
            )  # fmt: skip
    for intake in stale:
        logger.warning(
            "copy %s of agency %d: number %s of %s settled as %s",
            intake.code, intake.agency_id, intake.number,
            intake.book.name if intake.book else "?", INTERRUPTED,
        )  # fmt: skip
    return len(stale)


async def refuse_copy(
    hub: Hub, user: User, facts: IntakeFacts, *, reason: str, note: str | None,
    at: datetime,
) -> CopyIntake:  # fmt: skip
    """Record a refused original with its reason; no number is taken."""
    agency = await _own_agency(hub, user)
    why = books.refusal_reason(reason)
    code = books.new_code()
    async with hub.db.write() as tx:
        await store.insert_refusal(
            tx, code=code, agency_id=agency.id, certifier_id=user.id, facts=facts,
            reason=why.value, note=note, at=at,
        )  # fmt: skip
        await record_event(
            tx, at=at, actor=user.id, agency=agency.id, action="copy.refuse",
            object_type="copy", object_id=code, details={"reason": why.value},
        )  # fmt: skip
        refused = await _intake_in(tx, code)
        completed(tx, refused)
    logger.info("copy %s of %s refused: %s", code, agency.organ_id, why.value)
    return refused


async def revoke_copy(
    hub: Hub, user: User, code: str, *, reason: str, at: datetime
) -> CopyIntake:
    """Revoke a certified copy of the certifier's own body."""
    agency = await _own_agency(hub, user)
    async with hub.db.write() as tx:
        intake = await store.get_intake(tx, code)
        if intake is None:
            raise CopyNotFoundError(f"no copy {code}")
        if intake.agency_id != agency.id:
            raise CopyAgencyError(f"copy {code} was certified by another body")
        if intake.state is not CopyState.CERTIFIED:
            raise CopyStateError(f"copy {code} is {intake.state}, not certified")
        await store.mark_revoked(tx, intake.id, by=user.id, reason=reason, at=at)
        await record_event(
            tx, at=at, actor=user.id, agency=agency.id, action="copy.revoke",
            object_type="copy", object_id=code, details={"reason": reason},
        )  # fmt: skip
        revoked = await _intake_in(tx, code)
        completed(tx, revoked)
    logger.warning("copy %s of %s revoked: %s", code, agency.organ_id, reason)
    return revoked


async def _own_agency(hub: Hub, user: User) -> Agency:
    if user.agency_id is None:
        raise CopyAgencyError("only a certifier of a body certifies copies")
    async with hub.db.read() as reader:
        agency = await get_agency(reader, user.agency_id)
    assert agency is not None
    return agency


async def _intake_in(reader: Reader, code: str) -> CopyIntake:
    intake = await store.get_intake(reader, code)
    if intake is None:
        raise CopyNotFoundError(f"no copy {code}")
    return intake
