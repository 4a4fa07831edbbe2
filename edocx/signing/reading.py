"""Open an uploaded PDF and decide how far the pipeline may trust its structure.

A draft is read in pyHanko's strict mode first. A file that only reads in
lenient mode is still accepted, but flagged so that it is rewritten in full
before anything is signed: every signature the hub makes must sit on a file
that strict readers (and so every verifier) accept. Encrypted drafts are
opened with the password the uploader gave; their permissions decide whether
the operation asked for may go on (ISO 32000-2, 7.6.4.2, table 22).
"""

from __future__ import annotations

import io
import logging
import zlib
from dataclasses import dataclass
from enum import Enum

from pyhanko.pdf_utils.crypt import AuthStatus, StandardSecurityHandler
from pyhanko.pdf_utils.crypt.permissions import StandardPermissions
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader

from edocx.errors import (
    PDFPasswordRequiredError,
    PDFPermissionError,
    PDFUnusableError,
)

logger = logging.getLogger(__name__)

# A damaged file can make the parser fail in many ways besides PdfError;
# every one of them means the same thing to the uploader.
PARSER_FAILURES: tuple[type[Exception], ...] = (
    PdfError,
    ValueError,
    KeyError,
    IndexError,
    TypeError,
    AttributeError,
    AssertionError,
    OverflowError,
    RecursionError,
    zlib.error,
)

MODIFY = (StandardPermissions.ALLOW_MODIFICATION_GENERIC, "modify the document (bit 4)")
ANNOTATE = (
    StandardPermissions.ALLOW_ANNOTS_FORM_FILLING,
    "add annotations and form fields (bit 6)",
)
FILL = (StandardPermissions.ALLOW_FORM_FILLING, "fill in form fields (bit 9)")


class Operation(Enum):
    """What is done to an encrypted file opened with its user password."""

    # Preparing a draft adds two text fields, and signing a new signature
    # field: creating fields needs bit 6 together with bit 4.
    ADD_FIELDS = "add fields"
    # Signing into an existing empty signature field is filling it: bit 9
    # allows that even when bit 6 is clear, and bit 6 allows it too.
    FILL_FIELDS = "fill fields"


PURPOSES = {
    Operation.ADD_FIELDS: "numbering and signing in a new field",
    Operation.FILL_FIELDS: "signing into an existing field",
}
REQUIRED_PERMISSIONS = {
    Operation.ADD_FIELDS: (MODIFY, ANNOTATE),
    Operation.FILL_FIELDS: (FILL,),
}


@dataclass(frozen=True)
class OpenedPDF:
    """A parsed draft and what the pipeline learnt while opening it."""

    reader: PdfFileReader
    strict: bool
    encrypted: bool
    # What the user password grants; None when nothing is restricted.
    permissions: StandardPermissions | None = None


def open_pdf(
    pdf: bytes,
    password: str | None,
    *,
    strict: bool = True,
    operation: Operation | None = Operation.ADD_FIELDS,
) -> OpenedPDF:
    """Parse ``pdf``, strictly if possible, and authenticate if encrypted.

    Steps: 1. parse (strict unless told not to, then lenient); 2. authenticate;
    3. check the permissions ``operation`` needs (``None``: the caller checks
    with ``check_permissions``); 4. touch the page tree so that a broken one
    fails here.
    """
    # 1. Parse.
    reader, strict = _parse(pdf, try_strict=strict)

    # 2. and 3. Authenticate and check permissions.
    permissions = None
    if _is_encrypted(reader):
        permissions = _authenticate(reader, password)
        if operation is not None:
            check_permissions(permissions, operation)

    # 4. The page tree is what every later step walks first.
    try:
        pages = page_count(reader)
        reader.find_page_for_modification(pages - 1)
    except PARSER_FAILURES as e:
        raise PDFUnusableError(
            "the PDF's page tree cannot be read",
            hint="export the document to PDF again and upload the new file",
        ) from e
    if pages < 1:
        raise PDFUnusableError("the PDF has no pages")
    encrypted = _is_encrypted(reader)
    return OpenedPDF(
        reader, strict=strict, encrypted=encrypted, permissions=permissions
    )


def read_strict(pdf: bytes) -> PdfFileReader:
    """Parse a file the pipeline produced; it must read in strict mode."""
    return PdfFileReader(io.BytesIO(pdf), strict=True)


def page_count(reader: PdfFileReader) -> int:
    """Return the number of pages in the document's page tree."""
    return int(reader.root["/Pages"]["/Count"])


def _parse(pdf: bytes, *, try_strict: bool) -> tuple[PdfFileReader, bool]:
    if try_strict:
        try:
            return PdfFileReader(io.BytesIO(pdf), strict=True), True
        except PARSER_FAILURES as strict_error:
            logger.info("strict parse failed (%s); trying lenient mode", strict_error)

    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    except PARSER_FAILURES as e:
        raise PDFUnusableError(
            f"not a usable PDF: {brief_reason(e)}",
            hint="the file looks truncated or damaged; export it to PDF again",
        ) from e
    return reader, False


def _is_encrypted(reader: PdfFileReader) -> bool:
    # The trailer's /Encrypt is only read here, and a forged one (a direct
    # dictionary, a wrong type) fails in pyHanko's reader.
    try:
        return bool(reader.encrypted)
    except PARSER_FAILURES as e:
        raise PDFUnusableError(
            f"the PDF's encryption dictionary is invalid: {brief_reason(e)}",
            hint="export the document to PDF again and upload the new file",
        ) from e


def _authenticate(
    reader: PdfFileReader, password: str | None
) -> StandardPermissions | None:
    if not isinstance(reader.security_handler, StandardSecurityHandler):
        raise PDFUnusableError(
            "the PDF is encrypted for certificate holders, not with a password",
            hint="upload an unencrypted copy of the draft",
        )

    # NOTE: a file whose user password is empty opens in every reader
    # without a prompt, so "no password" means the empty password here.
    result = reader.decrypt(password if password is not None else "")
    if result.status == AuthStatus.FAILED:
        if password is None:
            raise PDFPasswordRequiredError(
                "the PDF is encrypted and needs its password",
                hint="send the document's password with the upload",
            )
        raise PDFPasswordRequiredError(
            "the password does not open this PDF",
            hint="check the document's password and upload again",
        )

    if result.status != AuthStatus.USER:
        return None
    granted = result.permission_flags
    if not isinstance(granted, StandardPermissions):
        raise PDFPermissionError("the PDF's permissions cannot be read")
    return granted


def check_permissions(
    granted: StandardPermissions | None, operation: Operation
) -> None:
    """Refuse ``operation`` unless the user password's ``granted`` allow it."""
    if granted is None:
        return
    # Bit 6 allows filling form fields too (table 22).
    if operation is Operation.FILL_FIELDS and ANNOTATE[0] in granted:
        return
    needed = REQUIRED_PERMISSIONS[operation]
    missing = [name for flag, name in needed if flag not in granted]
    if missing:
        raise PDFPermissionError(
            "the PDF's permissions do not allow to "
            + " or to ".join(missing)
            + f", which {PURPOSES[operation]} needs",
            hint="upload it with its owner password, or an unprotected copy",
        )


def brief_reason(error: BaseException) -> str:
    """Return a parser error's message, short, for a person to read."""
    # pyHanko's messages name the structural defect without quoting content.
    text = str(error).strip() or type(error).__name__
    return text[:200]
