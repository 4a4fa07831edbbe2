"""The signatures of an official document, in the order of Decree 30/2020.

1. ``sign_personal``: the competent person signs the prepared draft.
2. ``number_and_seal``: the clerk issues it. The number and notation and the
   place and date are written into the fields made when the draft was
   prepared, and the agency's seal signature, applied in the same revision,
   covers the whole file. The personal signature still validates: its
   difference analysis sees form filling, a new signature field and the
   document security store, nothing else. A draft that arrived signed has no
   such fields (see ``drafts``); its seal then shows the number and date
   itself, with the seal image when one is configured, at the head of
   page 1.

``seal_attachment`` applies the agency's signature to an attachment sent in
a separate file, at the top right of its first page.

The personal signature locks every form field but the number, the date and
the seal (FieldMDP; not yet on drafts with form fields of their own, see
``_open_fields``), so a verifier sees the clerk's acts as form filling and
a change to another field, or to a page, as one the signer did not allow.

``sign_plain`` makes one invisible signature on any PDF: the bench's point
of comparison.

Each signature is made at the job's PAdES level; the ``*_outcome`` forms
return the level made with the file (see ``levels.SignOutcome``).

Each first refuses a key that may not sign in its role (``keycheck``), before
the PDF is read.
"""

from __future__ import annotations

import logging
from functools import partial

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from edocx.errors import InputError
from edocx.signing import fields, texts
from edocx.signing.jobs import PersonalSignJob, PlainSignJob, SealJob, SignJob
from edocx.signing.keycheck import check_signing_key
from edocx.signing.levels import SignOutcome
from edocx.signing.pades import free_field_name, sign_pades
from edocx.signing.reading import read_strict
from edocx.signing.stamps import Appearance

logger = logging.getLogger(__name__)

PERSONAL_FIELD = "edocx_personal"
SEAL_FIELD = "edocx_seal"
PLAIN_FIELD = "edocx_signature"
ATTACHMENT_FIELD = "edocx_attachment_seal"

# Slots at the foot of the last page, counted from the right margin.
PERSONAL_SLOT = 0
SEAL_SLOT = 1


def sign_personal(pdf: bytes, job: PersonalSignJob) -> bytes:
    """Return ``pdf`` with the competent person's signature (the file only)."""
    return sign_personal_outcome(pdf, job).pdf


def sign_personal_outcome(pdf: bytes, job: PersonalSignJob) -> SignOutcome:
    """Add the competent person's visible signature to a prepared draft."""
    check_signing_key(job)
    text = texts.personal_stamp_text(
        job.signer_name, job.position, job.agency_name, job.at, job.competence
    )
    appearance = Appearance(
        text=text,
        slot=PERSONAL_SLOT,
        image=job.signature_image,
        open_fields=_open_fields(pdf, job),
    )
    signed = sign_pades(
        pdf,
        job,
        field_name=target_field(pdf, job, PERSONAL_FIELD),
        appearance=appearance,
        signer_name=job.signer_name,
    )
    logger.info(
        "document %s of %s signed by its competent person at level %s",
        job.document_id,
        job.agency_code,
        signed.level,
    )
    return signed


def number_and_seal(pdf: bytes, job: SealJob) -> bytes:
    """Return ``pdf`` numbered and sealed (the file only)."""
    return number_and_seal_outcome(pdf, job).pdf


def number_and_seal_outcome(pdf: bytes, job: SealJob) -> SignOutcome:
    """Write the number and date on page 1 and apply the agency's seal."""
    check_signing_key(job)
    text = texts.seal_stamp_text(job.agency_name, job.at)
    if fields.has_issue_fields(read_strict(pdf)):
        appearance = Appearance(
            text=text, slot=SEAL_SLOT, image=job.seal_image, over=PERSONAL_FIELD
        )
        update = partial(_write_number, job=job)
    else:
        number = texts.number_line(job.code)
        place_date = texts.place_date_line(job.place, job.issued_on)
        appearance = Appearance(
            text=f"{number}\n{place_date}\n{text}",
            at_head=True,
            image=job.seal_image,
        )
        update = None

    sealed = sign_pades(
        pdf,
        job,
        field_name=target_field(pdf, job, SEAL_FIELD),
        appearance=appearance,
        update=update,
        signer_name=job.agency_name,
    )
    logger.info(
        "document %s of %s issued as %s and sealed at level %s",
        job.document_id,
        job.agency_code,
        job.code,
        sealed.level,
    )
    return sealed


def sign_plain(pdf: bytes, job: PlainSignJob) -> bytes:
    """Return ``pdf`` with one invisible signature (the file only)."""
    return sign_plain_outcome(pdf, job).pdf


def sign_plain_outcome(pdf: bytes, job: PlainSignJob) -> SignOutcome:
    """Add one invisible signature and nothing else."""
    check_signing_key(job)
    signed = sign_pades(
        pdf, job, field_name=target_field(pdf, job, PLAIN_FIELD), appearance=None
    )
    logger.info(
        "document %s of %s signed at level %s",
        job.document_id,
        job.agency_code,
        signed.level,
    )
    return signed


def _write_number(writer: IncrementalPdfFileWriter, *, job: SealJob) -> None:
    fields.fill_issue_field(writer, fields.NUMBER_FIELD, texts.number_line(job.code))
    fields.fill_issue_field(
        writer, fields.DATE_FIELD, texts.place_date_line(job.place, job.issued_on)
    )


def seal_attachment(pdf: bytes, job: SealJob) -> SignOutcome:
    """Apply the agency's signature to an attachment in a separate file.

    It goes at the top right of page 1, without an image, and shows the
    main document's number and notation and the signing time (Decree
    30/2020, Appendix I). ``job`` is the main document's seal job.
    """
    check_signing_key(job)
    text = texts.attachment_stamp_text(job.code, job.agency_name, job.at)
    sealed = sign_pades(
        pdf,
        job,
        field_name=target_field(pdf, job, ATTACHMENT_FIELD),
        appearance=Appearance(text=text, top_right=True),
        signer_name=job.agency_name,
    )
    logger.info(
        "attachment of document %s of %s sealed as part of %s",
        job.document_id,
        job.agency_code,
        job.code,
    )
    return sealed


def _open_fields(pdf: bytes, job: SignJob) -> tuple[str, ...] | None:
    """Return the fields the personal signature leaves open, or None.

    The number, the date and the seal stay open to the clerk; every other
    field is locked (FieldMDP /Exclude).
    """
    drawn = fields.drawn_form_fields(read_strict(pdf))
    if drawn:
        # TODO(#4): lock forms too. pyHanko 0.38's difference analysis
        # reports the appearance of every visible locked field as updated
        # whenever any field is filled, so numbering would fail the
        # personal signature; such drafts are signed without a lock (the
        # hub's verifier still flags filling them without a later signature).
        logger.info(
            "document %s of %s has %d drawn form field(s); signed without a lock",
            job.document_id,
            job.agency_code,
            len(drawn),
        )
        return None
    return (fields.NUMBER_FIELD, fields.DATE_FIELD, free_field_name(pdf, SEAL_FIELD))


def target_field(pdf: bytes, job: SignJob, base: str) -> str:
    """Return the field to sign: the job's named one, or a free new name.

    A named field must be an empty signature field if it exists; a name no
    field has makes a new field.
    """
    if job.field_name is None:
        return free_field_name(pdf, base)
    found = fields.find_field(read_strict(pdf), job.field_name)
    if found is not None and (found.get("/FT") != "/Sig" or "/V" in found):
        raise InputError(
            f"the field {job.field_name!r} is not an empty signature field",
            hint="name an empty signature field, or a new name",
        )
    return job.field_name
