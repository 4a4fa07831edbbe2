"""Is this the certified copy, is it still valid? (the public check)

``check_copy`` answers for a code, and for a file when one is given:

1. the register entry and the status (certified, or revoked since when and
   why); a code that names no certified copy is not found;
2. with a file: is it byte for byte the file the hub handed out; else is
   it that file with only validation data or timestamps added after it;
3. the QR payload kept in the file verifies with the body's seal
   certificate and names this copy, and the file's first revision is the
   scan the payload names;
4. the full signature report of the file (verified without fetching).

A file is the copy, unmodified, when it is the file handed out, or that
file extended with revisions the verifier finds harmless and every
signature passes.

Anyone may post a file here, so every parse of it runs in the worker pool
with its time and memory bounds (the caller hands the pool in): a file
that overruns them is refused with a 422 problem and costs one worker.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from edocx.copies import binding, evidence
from edocx.copies.errors import CopyNotFoundError
from edocx.copies.qr import CopyClaim
from edocx.errors import (
    PDFUnusableError,
    ServiceStoppingError,
    WorkerError,
    WorkerMemoryError,
    WorkerTimeoutError,
)
from edocx.exchange.compute import Runner
from edocx.exchange.hub import Hub
from edocx.store import copies as store
from edocx.store.agencies import get_agency, list_directory
from edocx.store.copies import CopyIntake, CopyState
from edocx.store.db import assert_no_write_transaction
from edocx.store.users import get_user
from edocx.verification.report import (
    ModificationClass,
    ValidationReport,
    Verdict,
)
from edocx.vntime import iso_vietnam

logger = logging.getLogger(__name__)


class CopyStatus(StrEnum):
    CERTIFIED = "certified"
    REVOKED = "revoked"


class CopyEntry(BaseModel):
    """The register entry of a certified copy, as anyone may read it.

    The requester and the fee stay with the body: the code alone opens
    this entry.
    """

    code: str
    body_code: str
    body_name: str
    book: str
    number: int
    number_text: str = Field(description="as the statement shows it: 12/ĐT")
    certified_at: str = Field(description="ISO 8601, Vietnam time")
    document_name: str
    page_count: int
    copies: int
    certifier_name: str
    certifier_title: str | None
    check_url: str


class FileCheck(BaseModel):
    """What an uploaded file is, measured against the certified copy."""

    sha256: str
    same_file: bool = Field(description="byte for byte the file handed out")
    extends_issued: bool = Field(
        description="the file handed out with later revisions appended"
    )
    payload_valid: bool = Field(description="the QR payload verifies and names it")
    scan_matches: bool = Field(description="the first revision is the scan")
    signatures_pass: bool
    unmodified: bool = Field(description="the certified copy, unmodified")
    problems: list[str]
    problems_vi: list[str] = Field(description="the same problems, in Vietnamese")
    report: ValidationReport


class CopyCheck(BaseModel):
    code: str
    status: CopyStatus
    revoked_at: str | None = Field(description="ISO 8601, Vietnam time")
    revocation_reason: str | None
    entry: CopyEntry
    file: FileCheck | None = None

    @property
    def valid(self) -> bool:
        """Whether a file was given, is the copy, and the copy is not revoked."""
        ok = self.file is not None and self.file.unmodified
        return ok and self.status is CopyStatus.CERTIFIED


async def check_copy(
    hub: Hub, code: str, pdf: bytes | None, *, runner: Runner | None = None,
    timeout_s: float | None = None,
) -> CopyCheck:  # fmt: skip
    """Return the entry and status of copy ``code``; check ``pdf`` if given.

    A file is read in ``runner`` (the worker pool), which must be given
    with it; ``timeout_s`` bounds each worker call instead of the pool's
    bound (the public routes give ``verification.timeout_s``).
    """
    # 1. The entry.
    intake = await _certified(hub, code)
    entry = await copy_entry(hub, intake)
    status = (
        CopyStatus.REVOKED
        if intake.state is CopyState.REVOKED
        else CopyStatus.CERTIFIED
    )
    revoked_at = iso_vietnam(_utc(intake.revoked_at)) if intake.revoked_at else None
    result = CopyCheck(
        code=intake.code, status=status, revoked_at=revoked_at,
        revocation_reason=intake.revocation_reason, entry=entry,
    )  # fmt: skip
    if pdf is None:
        return result

    # 2. to 4. The file.
    if runner is None:
        raise ValueError("a file is checked in the worker pool: pass the runner")
    pool = _Bounded(runner, timeout_s)
    checked = await _check_file(hub, pool, intake, entry.body_code, pdf)
    logger.info(
        "copy %s of %s checked: unmodified %s, status %s",
        code, entry.body_code, checked.unmodified, status.value,
    )  # fmt: skip
    return result.model_copy(update={"file": checked})


async def copy_entry(hub: Hub, intake: CopyIntake) -> CopyEntry:
    """Return the public register entry of a certified copy."""
    async with hub.db.read() as reader:
        agency = await get_agency(reader, intake.agency_id)
        certifier = await get_user(reader, intake.certifier_id)
    assert agency is not None and intake.book is not None
    assert intake.number is not None and intake.certified_at is not None
    return CopyEntry(
        code=intake.code, body_code=agency.organ_id, body_name=agency.name,
        book=intake.book.name, number=intake.number,
        number_text=intake.number_text or str(intake.number),
        certified_at=iso_vietnam(_utc(intake.certified_at)),
        document_name=intake.facts.document_name,
        page_count=intake.facts.page_count, copies=intake.facts.copies,
        certifier_name=certifier.display_name if certifier else "",
        certifier_title=certifier.position if certifier else None,
        check_url=intake.check_url or "",
    )  # fmt: skip


@dataclass(frozen=True)
class _Bounded:
    """The worker pool and the bound of each call of one check."""

    runner: Runner
    timeout_s: float | None


async def _check_file(
    hub: Hub, pool: _Bounded, intake: CopyIntake, body_code: str, pdf: bytes
) -> FileCheck:
    assert intake.certified_blob is not None
    issued = await hub.blobs.get(intake.certified_blob)
    digest = hashlib.sha256(pdf).hexdigest()
    same = digest == intake.certified_blob
    extends = not same and len(pdf) > len(issued) and pdf.startswith(issued)

    report = await hub.compute.verify(pdf, timeout_s=pool.timeout_s)
    problems: list[str] = []
    facts = await _evidence(hub, pool, intake, pdf, report)
    if facts.payload_problem:
        problems.append(f"QR payload: {facts.payload_problem}")
    payload_valid = facts.claim is not None and _claim_fits(
        facts.claim, intake, body_code
    )
    if facts.claim is not None and not payload_valid:
        problems.append("the QR payload names another copy or other facts")
    if facts.signer is not None and report.verdict is not Verdict.UNUSABLE:
        # The body's seal signed the payload; the file must carry that seal
        # and the certifier's own signature.
        bound = binding.signature_problems(report, facts.signer)
        problems += bound
        payload_valid = payload_valid and not bound
    if not facts.scan_matches:
        problems.append("the first revision is not the scan that was certified")
    passing = report.verdict is Verdict.PASSED
    if not passing:
        problems.append(f"the signatures do not pass: {report.verdict.value}")
    if not (same or extends):
        problems.append("the file is not the one the body handed out")
    elif extends and not _harmless(report):
        problems.append("revisions after the seal change more than validation data")

    unmodified = (same or (extends and _harmless(report))) and passing
    unmodified = unmodified and payload_valid and facts.scan_matches
    return FileCheck(
        sha256=digest, same_file=same, extends_issued=extends,
        payload_valid=payload_valid, scan_matches=facts.scan_matches,
        signatures_pass=passing, unmodified=unmodified, problems=problems,
        problems_vi=[in_vietnamese(p) for p in problems], report=report,
    )  # fmt: skip


async def _evidence(
    hub: Hub, pool: _Bounded, intake: CopyIntake, pdf: bytes,
    report: ValidationReport,
) -> evidence.FileEvidence:  # fmt: skip
    if report.verdict is Verdict.UNUSABLE:
        return evidence.FileEvidence(None, None, "the file is not a usable PDF", None)
    async with hub.db.read() as reader:
        directory = await list_directory(reader)
    certificates = next(
        (e.certificates for e in directory if e.agency.id == intake.agency_id), ()
    )
    # The verifier reads the signatures, not the catalog's copy entry nor
    # the objects it points to: a file may hide its bomb there.
    assert_no_write_transaction("examining a posted copy")
    try:
        found: evidence.FileEvidence = await pool.runner.run(
            evidence.examine_known, pdf, certificates, timeout_s=pool.timeout_s
        )
    except (WorkerTimeoutError, WorkerMemoryError, ServiceStoppingError):
        raise
    except WorkerError as e:
        # The worker died on a file from outside: the file is at fault.
        logger.error("worker failed examining a file posted for copy %s: %s",
                     intake.code, e)  # fmt: skip
        raise PDFUnusableError(
            "the PDF could not be processed",
            hint="check the file the body handed out, as it was received",
        ) from e
    return found


# The problems above, by how they begin, as the checking page says them.
_VIETNAMESE = (
    ("QR payload:", "Dữ liệu trong mã QR không hợp lệ hoặc không do con dấu"
     " của cơ quan chứng thực ký"),
    ("the QR payload names", "Mã QR ghi một bản sao khác hoặc thông tin khác"),
    ("the file lacks the certifier", "Tệp thiếu chữ ký số cá nhân của người"
     " chứng thực"),
    ("no signature of the file is the body", "Không chữ ký nào của tệp là chữ"
     " ký con dấu đã ký mã QR"),
    ("the first revision", "Phần đầu của tệp không phải bản chụp đã được"
     " chứng thực"),
    ("the signatures do not pass", "Chữ ký số của tệp không hợp lệ"),
    ("the file is not the one", "Tệp không phải tệp cơ quan đã cấp"),
    ("revisions after the seal", "Tệp bị sửa đổi sau chữ ký con dấu, không chỉ"
     " được thêm dữ liệu kiểm tra"),
)  # fmt: skip


def in_vietnamese(problem: str) -> str:
    """Return a problem of a file check in Vietnamese."""
    found = (vi for start, vi in _VIETNAMESE if problem.startswith(start))
    return next(found, "Tệp có vấn đề; xem báo cáo chi tiết")


def _claim_fits(claim: CopyClaim, intake: CopyIntake, body_code: str) -> bool:
    return (
        claim.code == intake.code
        and claim.body == body_code
        and claim.number == intake.number
        and intake.book is not None
        and claim.book == intake.book.name
        and claim.scan_sha256 == intake.scan_sha256
        and claim.document_name == intake.facts.document_name
    )


def _harmless(report: ValidationReport) -> bool:
    """Whether everything after each signature is validation data or stamps."""
    harmless = (None, ModificationClass.NONE, ModificationClass.HARMLESS)
    return all(sig.modification_class in harmless for sig in report.signatures)


async def _certified(hub: Hub, code: str) -> CopyIntake:
    # Codes are upper-case (books.new_code): one typed in small letters is
    # the same code.
    async with hub.db.read() as reader:
        intake = await store.get_intake(reader, code[:64].upper())
    # A refused or failed intake has no copy to check.
    if intake is None or intake.state not in (CopyState.CERTIFIED, CopyState.REVOKED):
        raise CopyNotFoundError(
            f"no certified copy {code}",
            hint="check the code printed beside the QR code",
        )
    return intake


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text)
