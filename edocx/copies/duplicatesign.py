"""Make and seal an e-duplicate, in a worker process.

1. The issuing body's key must be fit to seal (``keycheck``), before any
   work.
2. The QR code's text is made: the checking address of the duplicate and
   a compact payload signed with the same seal key (``duplicateqr``).
3. The page is laid out from the template (``duplicatepdf``).
4. The body's seal signature is applied at the foot of the page, at B-LT
   or better: the duplicate carries its own validation data, so it can be
   checked offline (Decree 45/2020, Art. 10(2): the issuing body's digital
   signature alone makes it a duplicate).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import partial

from edocx.copies import duplicateqr
from edocx.copies.duplicatepdf import DuplicatePage, load_template, render_duplicate
from edocx.signing import texts
from edocx.signing.jobs import SealJob
from edocx.signing.keycheck import check_signing_key
from edocx.signing.levels import SignOutcome
from edocx.signing.pades import sign_pades
from edocx.signing.stamps import Appearance

logger = logging.getLogger(__name__)

SEAL_FIELD = "edocx_duplicate_seal"


@dataclass(frozen=True, kw_only=True)
class DuplicateJob(SealJob):
    """A duplicate to lay out and seal; ``document_id`` is its code.

    A seal job: the key check refuses a certificate that names no
    organisation. ``agency_name``, ``place``, ``number`` and ``issued_on``
    are the issuing body's and the duplicate's; ``notation`` is the
    suffix of the duplicate book's numbers (``ĐT``).
    """

    kind: str
    record_json: str
    record_sha256: str
    number_text: str
    book: str
    requester: str
    base_url: str

    @property
    def check_url(self) -> str:
        return self.base_url + self.document_id


def make_duplicate(job: DuplicateJob) -> SignOutcome:
    """Return the sealed e-duplicate of ``job``."""
    # 1. A key that may not seal stops everything.
    check_signing_key(job)

    # 2. The QR code, signed with the seal key.
    template = load_template(job.kind)
    text = duplicateqr.qr_text(job, template.document_name)
    png = duplicateqr.qr_image(text)

    # 3. The page.
    page = DuplicatePage(
        body_name=job.agency_name, place=job.place, number_text=job.number_text,
        book=job.book, issued_on=job.issued_on, requester=job.requester,
        check_url=job.check_url, qr_png=png,
    )  # fmt: skip
    pdf = render_duplicate(template, job.record_json, page)

    # 4. The seal.
    sealed = sign_pades(
        pdf,
        job,
        field_name=SEAL_FIELD,
        appearance=Appearance(text=texts.seal_stamp_text(job.agency_name, job.at)),
        # The QR's text goes into the seal's revision: the seal covers it.
        update=partial(duplicateqr.keep_text, text=text),
        signer_name=job.agency_name,
    )
    logger.info(
        "duplicate %s of %s made as %s and sealed at level %s",
        job.document_id, job.agency_code, job.number_text, sealed.level,
    )  # fmt: skip
    return sealed
