"""Prepare an uploaded draft for signing.

Rules, in order:

1. A file no parser can read is refused (``PDFUnusableError``).
2. An encrypted file needs its password (``PDFPasswordRequiredError``); with
   the user password, its permissions must allow modifying the document and
   adding form fields (``PDFPermissionError``). A draft is not yet an official
   document and every recipient and verifier must be able to read what the
   hub issues, so an encrypted draft is decrypted and rewritten in full,
   without encryption; the uploader is told so in the warnings.
3. A file that reads only in pyHanko's lenient mode, that mixes classic and
   stream cross-references, or that refers to objects it does not contain,
   is rewritten in full from a lenient reading, so that every later revision
   reads in strict mode and passes difference analysis (see ``normalise``).
4. A draft that already carries a signature is never rewritten: that would
   break the signature; when rule 2 or 3 would need a rewrite, the draft is
   refused instead. It is not changed at all: a verifier classes new text
   fields after a signature as a modification the signer did not allow, so
   such a draft gets no number and date fields, and its seal signature shows
   the number and date at the head of page 1 instead (see ``issue``). A
   certification signature forbids new visible signature fields, so such
   drafts are refused. An empty signature field, even one holding a reserved
   placeholder, is not a signature; a signature whose container cannot be
   decoded makes the draft invalid (``VerificationError``, see
   ``existing``).
5. A file with more than ``checks.MAX_REVISIONS`` revisions is refused, and
   so is a document the hub has already issued (``PDFAlreadyIssuedError``):
   re-issuing it would change the number its signatures cover; it is
   forwarded, not issued again.
6. Otherwise, in one incremental update, annotations embedded directly in
   pages become indirect objects (see ``normalise``) and the number and date
   fields are added to page 1. The result is read back strictly and its
   form-field tree checked, so that nothing unsignable is accepted.
"""

from __future__ import annotations

import io
import logging

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.writer import copy_into_new_writer

from edocx.errors import EdocxError, PDFPermissionError, PDFUnusableError
from edocx.signing import checks, fields
from edocx.signing.existing import carried_signatures, decode_signatures
from edocx.signing.jobs import PreparedDraft
from edocx.signing.normalise import count_unreadable_references, index_annotations
from edocx.signing.reading import (
    PARSER_FAILURES,
    OpenedPDF,
    open_pdf,
    page_count,
    read_strict,
)

logger = logging.getLogger(__name__)

DECRYPTED_WARNING = (
    "The draft was encrypted; the hub decrypted it and rewrote it without "
    "encryption so that every recipient and verifier can read the issued "
    "document."
)
REPAIRED_WARNING = (
    "The draft's internal structure did not follow the PDF standard strictly; "
    "the hub rewrote the file in full before signing. Its content is unchanged."
)
SIGNED_WARNING = (
    "The draft already carries {count} signature(s); the hub keeps them, only "
    "appends to the file, and shows the number and date in the agency's seal "
    "at the head of page 1."
)
UNANALYSABLE = "the draft could not be analysed"
REEXPORT_HINT = "export the document to PDF again and upload the new file"


def prepare_draft(pdf: bytes, password: str | None) -> PreparedDraft:
    """Check, repair or decrypt a draft and add the number and date fields.

    Raises ``PDFUnusableError``, ``PDFPasswordRequiredError``,
    ``PDFPermissionError`` or ``VerificationError`` for drafts the hub cannot
    take (module docstring); never anything else.
    """
    try:
        return _prepare(pdf, password)
    except (EdocxError, MemoryError):
        raise
    except Exception as e:
        # Last line of defence: an uploaded file must get a refusal the
        # uploader can act on, not a crash of the worker (HTTP 500).
        logger.exception("draft analysis failed unexpectedly")
        raise PDFUnusableError(UNANALYSABLE, hint=REEXPORT_HINT) from e


def _prepare(pdf: bytes, password: str | None) -> PreparedDraft:
    # 1. Open, and decide whether the file must be rewritten (rules 1-3).
    opened = open_pdf(pdf, password)
    checks.check_revision_count(opened.reader)
    needs_rewrite = _needs_rewrite(opened)
    lenient = _lenient_reader(opened, pdf, password) if needs_rewrite else None

    # 2. The signatures it carries, read by a reader that takes the whole
    # file; each must decode (rule 4).
    reader = lenient if lenient is not None else opened.reader
    checks.refuse_issued(reader)
    entries = carried_signatures(reader)
    signatures = len(entries)
    warnings: list[str] = []

    # 3. Keep a signed draft as it is; extend (or rewrite) an unsigned one.
    if signatures:
        carried = decode_signatures(reader, entries)
        _check_signed_draft(opened, needs_rewrite, carried.certified)
        warnings.append(SIGNED_WARNING.format(count=signatures))
        result, pages = pdf, page_count(opened.reader)
    else:
        base = pdf
        if lenient is not None:
            warnings.append(DECRYPTED_WARNING if opened.encrypted else REPAIRED_WARNING)
            base = _rewrite(lenient)
        result, pages = _with_issue_fields(base)

    # 4. What the signing steps will read must read strictly.
    checks.check_prepared(result)
    rewritten = needs_rewrite and not signatures
    logger.info(
        "draft prepared: %d page(s), rewritten=%s, existing signatures=%d",
        pages,
        rewritten,
        signatures,
    )
    return PreparedDraft(
        pdf=result,
        page_count=pages,
        rewritten=rewritten,
        existing_signatures=signatures,
        warnings=tuple(warnings),
    )


def _needs_rewrite(opened: OpenedPDF) -> bool:
    if opened.encrypted or not opened.strict:
        return True
    if opened.reader.xrefs.hybrid_xrefs_present:
        return True
    return count_unreadable_references(opened.reader) > 0


def _lenient_reader(
    opened: OpenedPDF, pdf: bytes, password: str | None
) -> PdfFileReader:
    # A lenient reading turns references to missing objects into nulls and
    # takes objects a strict reader refuses.
    if not opened.strict:
        return opened.reader
    return open_pdf(pdf, password, strict=False).reader


def _check_signed_draft(
    opened: OpenedPDF, needs_rewrite: bool, certified: bool
) -> None:
    if needs_rewrite:
        reason = (
            "is encrypted"
            if opened.encrypted
            else "does not follow the PDF standard strictly"
        )
        raise PDFUnusableError(
            f"the draft {reason} and already carries a signature; rewriting "
            "it would break that signature",
            hint="upload the draft before it was signed, unencrypted",
        )
    if certified:
        raise PDFPermissionError(
            "the draft carries a certification signature, which forbids "
            "the visible signatures the hub adds",
            hint="upload the draft before it was certified",
        )


def _rewrite(reader: PdfFileReader) -> bytes:
    """Write every object of the draft into a new, unencrypted file."""
    try:
        writer = copy_into_new_writer(reader)
        out = io.BytesIO()
        writer.write(out)
    except PARSER_FAILURES as e:
        raise PDFUnusableError(
            "the draft is too damaged to be rewritten", hint=REEXPORT_HINT
        ) from e
    return out.getvalue()


def _with_issue_fields(base: bytes) -> tuple[bytes, int]:
    """Add the issue fields; the input must read in strict mode."""
    try:
        reader = read_strict(base)
        writer = IncrementalPdfFileWriter.from_reader(reader)
        index_annotations(writer)
        fields.add_issue_fields(writer)
        out = io.BytesIO()
        writer.write(out)
    except PARSER_FAILURES as e:
        raise PDFUnusableError(
            "the draft's structure cannot be extended with the number fields",
            hint=REEXPORT_HINT,
        ) from e
    return out.getvalue(), page_count(reader)
