"""Certify a scan in a worker: statement, QR code, then two signatures.

1. The QR payload (``qr.CopyClaim``) is signed with the body's seal key as
   a COSE_Sign1 message (``cose``);
2. the statement and the QR code go onto the last page (``statement``), the
   file's second revision;
3. the certifier signs personally, at the foot of the last page;
4. the body's seal signature follows, its image over the certifier's, and
   covers the whole file.

Both signatures are PAdES at B-LT or better (the validation data in the
file), so that a copy stays checkable offline. Every input and output is
picklable: the hub runs ``certify_pdf`` in its worker pool.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from edocx.copies import cose, qr
from edocx.copies.statement import StatementFacts, add_statement
from edocx.pki.credentials import load_signer
from edocx.signing.jobs import PersonalSignJob, SealJob
from edocx.signing.keycheck import check_signing_key
from edocx.signing.levels import Level, SignOutcome
from edocx.signing.pades import free_field_name, sign_pades
from edocx.signing.stamps import Appearance
from edocx.vntime import iso_vietnam

logger = logging.getLogger(__name__)

CERTIFIER_FIELD = "edocx_certifier"
SEAL_FIELD = "edocx_copy_seal"
CERTIFIER_SLOT = 0
SEAL_SLOT = 1


@dataclass(frozen=True)
class CertifyJob:
    """Everything a worker needs to certify one scan."""

    claim: qr.CopyClaim
    statement: StatementFacts
    verify_base_url: str
    certifier: PersonalSignJob
    seal: SealJob


@dataclass(frozen=True)
class CertifiedFile:
    """The certified copy, the level its signatures were made at, its QR."""

    pdf: bytes
    level: Level
    requested: Level
    qr_text: str
    warnings: tuple[str, ...] = ()

    def __repr__(self) -> str:
        # Never print document bytes in logs or tracebacks.
        return f"CertifiedFile(<{len(self.pdf)} bytes>, level={self.level.value})"

    @property
    def outcome(self) -> SignOutcome:
        return SignOutcome(self.pdf, self.level, self.requested, self.warnings)


def certify_pdf(scan: bytes, job: CertifyJob) -> CertifiedFile:
    """Return the certified copy of ``scan`` (see the module's steps)."""
    # The cheap refusals first: keys that may not sign in their roles.
    check_signing_key(job.certifier)
    check_signing_key(job.seal)

    # 1. and 2. The signed payload, the statement and the QR code.
    message = cose.sign_payload(job.claim.payload(), load_signer(job.seal.credential))
    text = qr.qr_text(job.verify_base_url, job.claim.code, message)
    stated = add_statement(scan, job.statement, text)

    # 3. The certifier's signature.
    personal_field = free_field_name(stated, CERTIFIER_FIELD)
    personal = sign_pades(
        stated, job.certifier, field_name=personal_field,
        appearance=Appearance(
            text=_certifier_text(job.certifier), slot=CERTIFIER_SLOT,
            image=job.certifier.signature_image,
        ),
        signer_name=job.certifier.signer_name,
    )  # fmt: skip

    # 4. The body's seal, over the certifier's signature image.
    sealed = sign_pades(
        personal.pdf, job.seal, field_name=free_field_name(personal.pdf, SEAL_FIELD),
        appearance=Appearance(
            text=_seal_text(job.seal), slot=SEAL_SLOT, image=job.seal.seal_image,
            over=personal_field,
        ),
        signer_name=job.seal.agency_name,
    )  # fmt: skip
    logger.info(
        "copy %s of %s certified as %s at level %s",
        job.claim.code, job.seal.agency_code, job.statement.number_text, sealed.level,
    )  # fmt: skip
    level = min(personal.level, sealed.level, key=_rank)
    return CertifiedFile(
        sealed.pdf, level, sealed.requested, text, personal.warnings + sealed.warnings
    )


def _rank(level: Level) -> int:
    return list(Level).index(level)


def _certifier_text(job: PersonalSignJob) -> str:
    return "\n".join(
        (
            f"Người chứng thực: {job.signer_name}",
            f"Chức vụ: {job.position}",
            f"Cơ quan: {job.agency_name}",
            f"Thời gian ký: {iso_vietnam(job.at)}",
        )
    )


def _seal_text(job: SealJob) -> str:
    return "\n".join(
        (
            f"Ký bởi: {job.agency_name}",
            f"Chứng thực số: {job.notation}",
            f"Thời gian ký: {iso_vietnam(job.at)}",
        )
    )
