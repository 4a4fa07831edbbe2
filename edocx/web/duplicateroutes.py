"""Handlers and schemas of e-duplicates from master registers.

A clerk issues a duplicate from a register record sent as JSON; anyone may
read a duplicate's entry by its code and check a PDF against it; the
issuing body downloads it and may revoke it. The work is in
:mod:`edocx.copies.duplicates`.
"""

from __future__ import annotations

import logging
from typing import Annotated, Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from edocx.config import Settings
from edocx.copies import books, duplicates
from edocx.copies.duplicaterecord import parse_request
from edocx.copies.duplicates import DuplicateCheck, check_url
from edocx.exchange.errors import ActionNotAllowedError
from edocx.exchange.hub import Hub
from edocx.signing.levels import SignOutcome
from edocx.store import duplicates as store
from edocx.store.agencies import get_agency
from edocx.store.duplicates import DuplicateRow, DuplicateState
from edocx.store.models import Agency, Role
from edocx.verification.report import ValidationReport
from edocx.web.bodies import Paragraph
from edocx.web.copyroutes import BookQuery, nonempty_pdf
from edocx.web.disposition import attachment
from edocx.web.idempotency import answering
from edocx.web.keys import POOL
from edocx.web.routing import RAW_BODY, Call, json_answer
from edocx.web.schemas import legal_time

logger = logging.getLogger(__name__)

DUPLICATE_ISSUERS = frozenset({Role.CLERK, Role.CERTIFIER})
RECORD_MEDIA_TYPES = ("application/json",)
PDF_MEDIA_TYPES = ("application/pdf",)


def record_upload_mb(settings: Settings) -> int:
    """A register record is a few kilobytes; one megabyte is plenty."""
    return 1


def check_upload_mb(settings: Settings) -> int:
    return settings.verification.max_upload_mb


class BodyOut(BaseModel):
    code: str = Field(description="the issuing body's organ code")
    name: str


class DuplicateOut(BaseModel):
    """A duplicate as the book records it: public facts, no personal data."""

    code: str
    kind: Literal["duplicate"] = "duplicate"
    document_name: str = Field(description="e.g. Giấy khai sinh")
    number: str = Field(description="the number in the duplicate book, e.g. 12/ĐT")
    book: str
    body: BodyOut
    issued_at: str = Field(description="Vietnam time, ISO 8601")
    status: Literal["valid", "revoked"]
    revoked_at: str | None = None
    revocation_reason: str | None = None
    record_sha256: str = Field(description="SHA-256 of the record's canonical JSON")
    pdf_sha256: str
    level: str = Field(description="the PAdES level of the seal")
    check_url: str


class DuplicateIssuedOut(BaseModel):
    duplicate: DuplicateOut
    warnings: list[str] = []


class DuplicateCheckOut(BaseModel):
    """The answer to a file checked against a duplicate."""

    duplicate: DuplicateOut
    matches: bool = Field(description="the file is the duplicate as issued")
    revoked: bool
    summary: str
    summary_vi: str
    report: ValidationReport


class RevokeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[Paragraph, Field(max_length=500)]


async def duplicate_out(
    hub: Hub, settings: Settings, row: DuplicateRow
) -> DuplicateOut:
    """Return the public facts of ``row``."""
    async with hub.db.read() as reader:
        agency = await get_agency(reader, row.agency_id)
    assert agency is not None
    return duplicate_view(settings, row, agency)


def duplicate_view(
    settings: Settings, row: DuplicateRow, agency: Agency
) -> DuplicateOut:
    """The public facts of ``row``, issued by ``agency``."""
    assert row.blob is not None and row.level is not None
    return DuplicateOut(
        code=row.code, document_name=row.document_name,
        number=duplicates.number_text(row.number), book=row.book,
        body=BodyOut(code=agency.organ_id, name=agency.name),
        issued_at=legal_time(row.issued_at) or "",
        status="revoked" if row.revoked_at else "valid",
        revoked_at=legal_time(row.revoked_at),
        revocation_reason=row.revocation_reason, record_sha256=row.record_sha256,
        pdf_sha256=row.blob, level=row.level, check_url=check_url(settings, row.code),
    )  # fmt: skip


async def issue_duplicate(call: Call) -> web.Response:
    request = parse_request(call.parts[RAW_BODY], at=call.at)
    agency = await _own_agency(call)

    def issued(done: tuple[DuplicateRow, SignOutcome]) -> web.Response:
        row, outcome = done
        view = DuplicateIssuedOut(
            duplicate=duplicate_view(call.settings, row, agency),
            warnings=list(outcome.warnings),
        )
        return json_answer(view, 201)

    answer = answering(issued)
    done = await duplicates.issue_duplicate(
        call.hub, call.request.app[POOL], call.me, request,
        settings=call.settings, at=call.at,
    )  # fmt: skip
    return answer(done)


async def _own_agency(call: Call) -> Agency:
    # Read before the change, for the answer made in its transaction.
    assert call.me.agency_id is not None
    async with call.hub.db.read() as reader:
        agency = await get_agency(reader, call.me.agency_id)
    if agency is None:
        raise ActionNotAllowedError("the caller belongs to no agency")
    return agency


async def get_duplicate(call: Call) -> DuplicateOut:
    row = await duplicates.find_duplicate(call.hub, call.param("code"))
    return await duplicate_out(call.hub, call.settings, row)


async def get_duplicate_pdf(call: Call) -> web.Response:
    row = await duplicates.find_duplicate(call.hub, call.param("code"))
    if row.agency_id != call.me.agency_id:
        raise ActionNotAllowedError("only the issuing body downloads its duplicates")
    assert row.blob is not None
    pdf = await call.hub.blobs.get(row.blob)
    return web.Response(
        body=pdf,
        content_type="application/pdf",
        headers={
            "Content-Disposition": attachment(f"ban-sao-{row.code}", ".pdf"),
            "Digest": f"sha-256={row.blob}",
        },
    )


async def check_duplicate_pdf(call: Call) -> DuplicateCheckOut:
    checked = await duplicates.check_duplicate(
        call.hub, call.param("code"), nonempty_pdf(call.parts[RAW_BODY])
    )
    return await check_out(call.hub, call.settings, checked)


async def check_out(
    hub: Hub, settings: Settings, checked: DuplicateCheck
) -> DuplicateCheckOut:
    """Return the answer to a check, with its sentence in English and Vietnamese."""
    assert checked.report is not None and checked.matches is not None
    entry = checked.entry
    logger.info(
        "public check of duplicate %s of agency %d: matches=%s, verdict %s",
        entry.code, entry.agency_id, checked.matches, checked.report.verdict,
    )  # fmt: skip
    summary, summary_vi = summaries(checked.matches, checked.revoked)
    return DuplicateCheckOut(
        duplicate=await duplicate_out(hub, settings, entry),
        matches=checked.matches, revoked=checked.revoked,
        summary=summary, summary_vi=summary_vi, report=checked.report,
    )  # fmt: skip


def summaries(matches: bool, revoked: bool) -> tuple[str, str]:
    """Return the check's bottom line, in English and in Vietnamese."""
    if not matches:
        return (
            "This file is not the e-duplicate as issued, or its seal does not pass.",
            "Tệp này không phải bản sao điện tử đã cấp, hoặc chữ ký số không hợp lệ.",
        )
    if revoked:
        return (
            "This file is the e-duplicate as issued, but it has been revoked.",
            "Tệp này đúng là bản sao điện tử đã cấp, nhưng bản sao đã bị thu hồi.",
        )
    return (
        "This file is the e-duplicate as issued, unmodified, and it is valid.",
        "Tệp này đúng là bản sao điện tử đã cấp, không bị sửa đổi, và còn hiệu lực.",
    )


async def revoke_duplicate(call: Call) -> web.Response:
    agency = await _own_agency(call)
    answer = answering(
        lambda row: json_answer(duplicate_view(call.settings, row, agency))
    )
    row = await duplicates.revoke_duplicate(
        call.hub, call.me, call.param("code"), call.body.reason, at=call.at
    )
    return answer(row)


class BookEntryOut(BaseModel):
    """One number of the duplicate book, as the issuing body's staff read it."""

    code: str
    number: str = Field(description="as printed, e.g. 12/ĐT")
    state: str = Field(description="reserved, issued or voided")
    document_name: str
    requester: str
    reserved_at: str = Field(description="Vietnam time, ISO 8601")
    issued_at: str | None
    void_reason: str | None = Field(description="why a voided number gave nothing")
    revoked_at: str | None
    revocation_reason: str | None


class DuplicateBookOut(BaseModel):
    """A body's duplicate book of one year."""

    year: int
    book: str
    entries: list[BookEntryOut] = Field(description="every number, in order")


async def get_duplicate_book(call: Call) -> DuplicateBookOut:
    """Return the caller's body's duplicate book of a year, every number in it."""
    query: BookQuery = call.query
    year = query.year if query.year is not None else books.book_year(call.at)
    if call.me.agency_id is None:
        raise ActionNotAllowedError("only the staff of a body read its book")
    async with call.hub.db.read() as reader:
        rows = await store.list_book(reader, agency_id=call.me.agency_id, year=year)
    return DuplicateBookOut(
        year=year, book=duplicates.BOOK_PATTERN.format(year=year),
        entries=[_book_entry(row) for row in rows],
    )  # fmt: skip


def _book_entry(row: DuplicateRow) -> BookEntryOut:
    voided = row.state is DuplicateState.VOIDED
    return BookEntryOut(
        code=row.code, number=duplicates.number_text(row.number),
        state=row.state.value, document_name=row.document_name,
        requester=row.requester, reserved_at=legal_time(row.reserved_at) or "",
        issued_at=legal_time(row.issued_at), void_reason=row.reason if voided else None,
        revoked_at=legal_time(row.revoked_at), revocation_reason=row.revocation_reason,
    )  # fmt: skip
