"""Handlers and bodies of certified copies: certify, refuse, revoke, check.

Certifying takes a multipart upload: the intake (JSON) and the scan as one
PDF (``file``), or as JPEG or PNG pages (``file``, ``page2``, ``page3``...).
Checking is public: ``GET /api/v1/copies/{code}`` reads the entry and the
status, ``POST /api/v1/copies/{code}/check`` takes a PDF as the body.
"""

from __future__ import annotations

import logging
from typing import Annotated

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from edocx.config import Settings
from edocx.copies import books
from edocx.copies.books import RefusalReason
from edocx.copies.certify import (
    CertifiedCopy,
    certify_copy,
    refuse_copy,
    revoke_copy,
)
from edocx.copies.check import CopyCheck, check_copy
from edocx.copies.errors import CopyAgencyError, CopyNotFoundError
from edocx.errors import InputError, PDFUnusableError
from edocx.exchange.header import Text
from edocx.store import copies as store
from edocx.store.copies import CopyIntake, IntakeFacts
from edocx.web.bodies import Paragraph, Part, validation_problem
from edocx.web.idempotency import answering
from edocx.web.keys import POOL
from edocx.web.routing import RAW_BODY, Call, json_answer

logger = logging.getLogger(__name__)

PDF_MEDIA_TYPES = ("application/pdf",)
MAX_PAGE_PARTS = 20
# A thousand billion đồng: far above any fee, far below SQLite's 2**63.
MAX_FEE = 10**12


class IntakeIn(BaseModel):
    """What the certifier records at the desk."""

    model_config = ConfigDict(extra="forbid")

    # Both are printed on the statement: no control or invisible characters,
    # as in a draft's header (edocx.exchange.header.Text).
    requester: Annotated[Text, Field(max_length=200)]
    document_name: Annotated[Text, Field(max_length=200)]
    # Strict: "2", 2.0 or true are not counts; a fee has a sane bound (a
    # larger one overflows SQLite's integers).
    page_count: int | None = Field(
        default=None, ge=1, le=5000, strict=True,
        description="the original's pages; must match the scan when given",
    )  # fmt: skip
    copies: int = Field(default=1, ge=1, le=100, strict=True)
    fee: int = Field(
        default=0, ge=0, le=MAX_FEE, strict=True,
        description="in copies.fee_currency; 0 when not given",
    )  # fmt: skip


class RefusalIn(IntakeIn):
    reason: str = Field(
        description="Decree 23/2015 Art. 22: "
        + ", ".join(reason.value for reason in RefusalReason)
    )
    note: Annotated[Paragraph, Field(max_length=1000)] | None = None


class RevokeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[Paragraph, Field(max_length=1000)]


class IntakeOut(BaseModel):
    code: str
    state: str
    requester: str
    document_name: str
    page_count: int
    copies: int
    fee: int
    fee_currency: str
    book: str | None
    number: int | None
    number_text: str | None
    certified_at: str | None
    refusal_reason: str | None
    refusal_reason_vi: str | None
    revoked_at: str | None
    revocation_reason: str | None
    failure_reason: str | None = Field(
        description="why a taken number gave no copy (state failed), e.g."
        " interrupted when the hub stopped during the certification"
    )

    @classmethod
    def of(cls, intake: CopyIntake) -> IntakeOut:
        facts = intake.facts
        reason = intake.refusal_reason
        return cls(
            code=intake.code, state=intake.state.value, requester=facts.requester,
            document_name=facts.document_name, page_count=facts.page_count,
            copies=facts.copies, fee=facts.fee, fee_currency=facts.fee_currency,
            book=intake.book.name if intake.book else None, number=intake.number,
            number_text=intake.number_text, certified_at=intake.certified_at,
            refusal_reason=reason,
            refusal_reason_vi=RefusalReason(reason).text_vi if reason else None,
            revoked_at=intake.revoked_at, revocation_reason=intake.revocation_reason,
            failure_reason=intake.failure_reason,
        )  # fmt: skip


class CertifiedOut(BaseModel):
    intake: IntakeOut
    level: str = Field(description="the PAdES level the signatures were made at")
    warnings: list[str]
    qr_text: str = Field(description="what the QR code on the last page says")
    pdf: str = Field(description="where the certifier fetches the certified copy")


class BookQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    year: int | None = Field(
        default=None, ge=2000, le=2999,
        description="the book's year; the current year (Vietnam time) if absent",
    )  # fmt: skip


class BookOut(BaseModel):
    """A body's electronic certification book of one year."""

    year: int
    book: str | None = Field(description="None while no number was taken")
    entries: list[IntakeOut] = Field(
        description="every numbered intake in number order: certified, revoked,"
        " failed (with its reason); refusals take no number and are not here"
    )


INTAKE_PARTS = (
    Part("intake", "json", True, "the intake: requester, document, fee", IntakeIn),
    Part("file", "binary", True, "the scan: one PDF, or page 1 as JPEG or PNG"),
    *(
        Part(f"page{n}", "binary", False, f"page {n} as JPEG or PNG")
        for n in range(2, MAX_PAGE_PARTS + 1)
    ),
)


def scan_upload_mb(settings: Settings) -> int:
    return settings.copies.max_scan_mb


def check_upload_mb(settings: Settings) -> int:
    return settings.verification.max_upload_mb


async def post_copy(call: Call) -> web.Response:
    """Certify a scan as a copy, numbered in the body's book."""
    try:
        intake = IntakeIn.model_validate_json(call.parts["intake"])
    except ValidationError as e:
        raise validation_problem(e) from e
    pages = [f"page{n}" for n in range(2, MAX_PAGE_PARTS + 1)]
    files = (call.parts["file"], *(call.parts[p] for p in pages if p in call.parts))
    facts = _facts(intake, call.settings, page_count=intake.page_count or 0)
    answer = answering(lambda done: json_answer(_certified(done), 201))
    done = await certify_copy(
        call.hub, call.request.app[POOL], call.me, facts, files,
        settings=call.settings.copies, at=call.at,
    )  # fmt: skip
    return answer(done)


def _certified(done: CertifiedCopy) -> CertifiedOut:
    return CertifiedOut(
        intake=IntakeOut.of(done.intake), level=done.level.value,
        warnings=list(done.warnings), qr_text=done.qr_text,
        pdf=f"/api/v1/copies/{done.intake.code}/pdf",
    )  # fmt: skip


async def post_refusal(call: Call) -> web.Response:
    """Record a refused original with its reason (no number)."""
    body: RefusalIn = call.body
    facts = _facts(body, call.settings, page_count=body.page_count or 1)
    answer = answering(lambda refused: json_answer(IntakeOut.of(refused), 201))
    refused = await refuse_copy(
        call.hub, call.me, facts, reason=body.reason, note=body.note,
        at=call.at,
    )  # fmt: skip
    return answer(refused)


async def post_revocation(call: Call) -> web.Response:
    """Revoke a certified copy of the caller's body."""
    body: RevokeIn = call.body
    answer = answering(lambda revoked: json_answer(IntakeOut.of(revoked)))
    revoked = await revoke_copy(
        call.hub, call.me, call.param("code"), reason=body.reason, at=call.at
    )
    return answer(revoked)


async def get_copy_pdf(call: Call) -> web.Response:
    """Return the certified copy's file to a certifier of its body."""
    code = call.param("code")
    async with call.hub.db.read() as reader:
        intake = await store.get_intake(reader, code)
    if intake is None or intake.certified_blob is None:
        raise CopyNotFoundError(f"no certified copy {code}")
    if intake.agency_id != call.me.agency_id:
        raise CopyAgencyError(f"copy {code} was certified by another body")
    pdf = await call.hub.blobs.get(intake.certified_blob)
    return web.Response(
        body=pdf, content_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{code}.pdf"'},
    )  # fmt: skip


async def get_copy(call: Call) -> CopyCheck:
    """Return a copy's register entry and status (public)."""
    return await check_copy(call.hub, call.param("code"), None)


async def check_copy_pdf(call: Call) -> CopyCheck:
    """Check a PDF against a copy (public)."""
    return await check_copy(
        call.hub, call.param("code"), nonempty_pdf(call.parts[RAW_BODY]),
        runner=call.request.app[POOL],
        timeout_s=call.settings.verification.timeout_s,
    )  # fmt: skip


async def get_book(call: Call) -> BookOut:
    """Return the caller's body's certification book of a year."""
    query: BookQuery = call.query
    year = query.year if query.year is not None else books.book_year(call.at)
    if call.me.agency_id is None:
        raise CopyAgencyError("only a certifier of a body reads its book")
    async with call.hub.db.read() as reader:
        book = await store.find_book(reader, agency_id=call.me.agency_id, year=year)
        entries = [] if book is None else await store.list_book(reader, book.id)
    return BookOut(
        year=year, book=book.name if book else None,
        entries=[IntakeOut.of(entry) for entry in entries],
    )  # fmt: skip


def nonempty_pdf(body: bytes) -> bytes:
    """Return a posted file; an empty body has nothing to check."""
    if not body:
        raise PDFUnusableError(
            "the body is empty", hint="send the PDF to check as the request body"
        )
    return body


def _facts(intake: IntakeIn, settings: Settings, *, page_count: int) -> IntakeFacts:
    if intake.requester.strip() == "" or intake.document_name.strip() == "":
        raise InputError("the requester and the document's name must not be blank")
    return IntakeFacts(
        requester=intake.requester.strip(),
        document_name=intake.document_name.strip(),
        page_count=page_count, copies=intake.copies, fee=intake.fee,
        fee_currency=settings.copies.fee_currency,
    )  # fmt: skip
