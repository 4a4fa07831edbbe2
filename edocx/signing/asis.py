"""Sign a PDF as it is: the seal, or a plain signature, for ``edocx sign``.

The personal signature goes through the hub's draft preparation, which may
rewrite the file; the other roles extend the file they are given in one
incremental update, so it must read strictly. A plain signature extends an
encrypted file too, in an update encrypted as the file is (ISO 32000-2,
7.5.6), when the file's permissions allow what it does: filling a named
empty signature field, or adding a new field (``reading.Operation``).
"""

from __future__ import annotations

import logging
from functools import partial

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader

from edocx.errors import InputError
from edocx.signing import fields
from edocx.signing.issue import PLAIN_FIELD, number_and_seal_outcome
from edocx.signing.jobs import PlainSignJob, SealJob, SignJob
from edocx.signing.keycheck import check_signing_key
from edocx.signing.levels import SignOutcome
from edocx.signing.pades import sign_pades
from edocx.signing.reading import OpenedPDF, Operation, check_permissions, open_pdf
from edocx.signing.stamps import Appearance

logger = logging.getLogger(__name__)


def sign_as_is(
    pdf: bytes,
    job: SealJob | PlainSignJob,
    appearance: Appearance | None = None,
    password: str | None = None,
) -> SignOutcome:
    """Seal ``pdf``, or sign it plainly (visible with ``appearance``)."""
    opened = open_pdf(pdf, password, operation=None)
    if not opened.strict:
        raise InputError(
            "the PDF does not follow the PDF standard strictly and must be "
            "rewritten before it is signed",
            hint="sign it with --role personal, which rewrites it as the hub does",
        )
    if isinstance(job, SealJob):
        return _seal(pdf, opened, job)
    return _sign_plain(pdf, opened, job, appearance, password)


def _seal(pdf: bytes, opened: OpenedPDF, job: SealJob) -> SignOutcome:
    if opened.encrypted:
        # TODO(#4): seal an encrypted file in place, as a plain signature is.
        raise InputError(
            "the PDF is encrypted; the seal is applied to the file the personal "
            "signature made, which is never encrypted",
            hint="sign the draft with --role personal first, which decrypts it",
        )
    return number_and_seal_outcome(pdf, job)


def _sign_plain(
    pdf: bytes, opened: OpenedPDF, job: PlainSignJob, appearance: Appearance | None,
    password: str | None,
) -> SignOutcome:  # fmt: skip
    """Sign as ``sign_plain_outcome`` does, visible with ``appearance``.

    An encrypted file is signed in an incremental update encrypted as the
    file is, when its permissions allow filling the named empty signature
    field, or adding a new one.
    """
    check_signing_key(job)
    field, exists = _plain_field(opened.reader, job)
    operation = Operation.FILL_FIELDS if exists else Operation.ADD_FIELDS
    check_permissions(opened.permissions, operation)
    if opened.encrypted and not job.level.long_term and _signed(opened.reader):
        # TODO(#4): the check after signing adds the new signature's data to
        # a copy, which an encrypted file does not allow yet; it then fetches
        # while verifying, which an earlier signature could steer.
        raise InputError(
            "an encrypted PDF that already carries a signature is signed at "
            "B-LT or B-LTA only",
            hint="sign it with --level B-LT",
        )
    update = partial(_keep_encryption, password=password) if opened.encrypted else None
    signed = sign_pades(
        pdf, job, field_name=field, appearance=appearance, update=update
    )
    logger.info(
        "document %s of %s signed at level %s in field %s",
        job.document_id, job.agency_code, signed.level, field,
    )  # fmt: skip
    return signed


def _keep_encryption(writer: IncrementalPdfFileWriter, *, password: str | None) -> None:
    # The update is encrypted as the file is (ISO 32000-2, 7.5.6).
    writer.encrypt(password or "")


def _plain_field(reader: PdfFileReader, job: SignJob) -> tuple[str, bool]:
    """Return the field to sign and whether it exists (read decrypted)."""
    if job.field_name is None:
        taken, name, n = fields.existing_field_names(reader), PLAIN_FIELD, 1
        while name in taken:
            n, name = n + 1, f"{PLAIN_FIELD}_{n + 1}"
        return name, False
    found = fields.find_field(reader, job.field_name)
    if found is not None and (found.get("/FT") != "/Sig" or "/V" in found):
        raise InputError(
            f"the field {job.field_name!r} is not an empty signature field",
            hint="name an empty signature field, or a new name",
        )
    return job.field_name, found is not None


def _signed(reader: PdfFileReader) -> bool:
    return bool(reader.embedded_signatures)
