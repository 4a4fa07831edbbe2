"""PAdES baseline signatures (ETSI EN 319 142-1) at the level each job asks.

Each signature is an approval signature (never a certification: a later
visible signature could not be added after one). From B-T up it carries a
signature timestamp from the first configured RFC 3161 TSA that answers
(see ``tsa``); from B-LT up the revocation information of the signer's and
the TSA's certificates is embedded in the document security store, so
recipients can verify offline; B-LTA adds a document timestamp after it
(see ``levels`` and ``augment``). pyHanko does the work; this module holds
the settings and turns pyHanko's failures into edocx errors.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.writer import BasePdfFileWriter
from pyhanko.sign import fields as sig_fields
from pyhanko.sign import signers
from pyhanko.sign.signers.pdf_signer import (
    DSSContentSettings,
    PdfSigningSession,
    SigDSSPlacementPreference,
)
from pyhanko.sign.timestamps import TimestampRequestError
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.errors import PathError, RevokedError, ValidationError

from edocx.errors import (
    CertificateRevokedError,
    EdocxError,
    SigningError,
    TimestampError,
)
from edocx.pki.credentials import load_signer
from edocx.pki.trust import load_certs
from edocx.signing import fields, stamps
from edocx.signing.augment import add_document_timestamp
from edocx.signing.fastsigner import held_key, reserved_bytes
from edocx.signing.jobs import SignJob
from edocx.signing.levels import Level, SignOutcome
from edocx.signing.reading import read_strict
from edocx.signing.stamps import Appearance
from edocx.signing.tsa import FallbackTimestamper
from edocx.signing.tsaclient import kept_timestamper, revocation_fetchers
from edocx.vntime import vietnam_time

logger = logging.getLogger(__name__)

DIGEST = "sha256"

# The document security store goes into the signed revision itself, so that
# each signature covers the whole file as it leaves the hub (the seal, last,
# covers everything). VRI dictionaries are optional in PAdES and would need
# the signature value first, hence a later revision.
DSS_IN_SIGNED_REVISION = DSSContentSettings(
    placement=SigDSSPlacementPreference.TOGETHER_WITH_SIGNATURE,
    include_vri=False,
)

Update = Callable[[IncrementalPdfFileWriter], None]


@dataclass(frozen=True)
class _Placement:
    """Where a signature goes and what its revision carries besides it."""

    field_name: str
    appearance: Appearance | None
    update: Update | None
    signer_name: str | None


class _TimedPdfSigner(signers.PdfSigner):
    """A PdfSigner that signs at a given time instead of reading the clock."""

    def __init__(self, *args: object, at: datetime, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._at = at

    def init_signing_session(
        self, pdf_out: BasePdfFileWriter, existing_fields_only: bool = False
    ) -> PdfSigningSession:
        session = super().init_signing_session(pdf_out, existing_fields_only)
        # The signing-time attribute and the appearance must show one time.
        session.system_time = self._at
        return session


def sign_pades(
    pdf: bytes,
    job: SignJob,
    *,
    field_name: str,
    appearance: Appearance | None,
    update: Update | None = None,
    signer_name: str | None = None,
) -> SignOutcome:
    """Append an approval signature at ``job.level`` to ``pdf``.

    ``update`` runs on the incremental writer before signing, so its changes
    land in the signed revision; ``signer_name`` goes into the signature
    dictionary's /Name. Raises ``TimestampError`` when no TSA answers and
    ``SigningError`` for any other failure. When no TSA answers and
    ``job.allow_downgrade_to_bb``, the signature is made without a timestamp
    (B-B) instead: the outcome says so and the log has a warning.
    """
    if job.level.timestamped and not job.tsa_urls:
        raise SigningError(
            f"level {job.level} needs a timestamp authority",
            hint="list the TSAs in signing.tsa_urls, or sign at level B-B",
        )

    place = _Placement(field_name, appearance, update, signer_name)
    try:
        signed = _sign_at_level(pdf, job, place)
    except TimestampError as e:
        if not job.allow_downgrade_to_bb:
            raise
        logger.warning(
            "document %s of %s signed at level B-B without a timestamp: %s",
            job.document_id,
            job.agency_code,
            e.detail,
        )
        # Without a timestamp the signature is B-B, whatever validation data
        # it carries; that data still lets a recipient check it offline.
        kept = Level.B_LT if job.level.long_term else Level.B_B
        bare = replace(job, tsa_urls=(), level=kept)
        warning = f"signed at level B-B instead of {job.level}: {e.detail}"
        return SignOutcome(
            _sign_at_level(pdf, bare, place),
            level=Level.B_B,
            requested=job.level,
            warnings=(warning,),
        )
    return SignOutcome(signed, level=job.level, requested=job.level)


def _sign_at_level(pdf: bytes, job: SignJob, place: _Placement) -> bytes:
    # One validation context per document: the B-LTA document timestamp
    # finds its TSA's path and revocation data where the signature left them.
    context = _validation_context(job)
    signed = _sign_translated(pdf, job, place, context=context)
    if not job.level.archival or context is None:
        return signed

    # B-LTA: a document timestamp after the signature and its DSS.
    return add_document_timestamp(signed, job.tsa_urls, context)


def _sign_translated(
    pdf: bytes,
    job: SignJob,
    place: _Placement,
    *,
    context: ValidationContext | None,
) -> bytes:
    try:
        return _sign(pdf, job, place, context=context)
    except EdocxError:
        raise
    except Exception as e:
        raise _translate(e, job) from e


def free_field_name(pdf: bytes, base: str) -> str:
    """Return ``base``, or ``base_2``, ``base_3``... if a field has the name."""
    taken = fields.existing_field_names(read_strict(pdf))
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}_{n}"
    return name


def _sign(
    pdf: bytes,
    job: SignJob,
    place: _Placement,
    *,
    context: ValidationContext | None,
) -> bytes:
    # 1. Open the previous revision; it must read strictly.
    writer = IncrementalPdfFileWriter.from_reader(read_strict(pdf))
    if place.update is not None:
        place.update(writer)

    # 2. Settings: key, trust, timestamping, appearance.
    at = vietnam_time(job.at)
    meta = signers.PdfSignatureMetadata(
        field_name=place.field_name,
        name=place.signer_name,
        md_algorithm=DIGEST,
        subfilter=sig_fields.SigSeedSubFilter.PADES,
        embed_validation_info=job.level.long_term,
        validation_context=context,
        dss_settings=DSS_IN_SIGNED_REVISION,
    )
    # The key stays parsed in this process, and the container's size is
    # reckoned instead of measured by a first, thrown-away signature.
    cms_signer = held_key(load_signer(job.credential))
    timestamper = _timestamper(job)
    signer = _TimedPdfSigner(
        meta,
        cms_signer,
        timestamper=timestamper,
        stamp_style=stamps.stamp_style(writer, place.appearance),
        new_field_spec=stamps.field_spec(writer, place.field_name, place.appearance),
        at=at,
    )

    # 3. Sign; the DSS is written in the same revision.
    out = signer.sign_pdf(
        writer,
        output=io.BytesIO(),
        bytes_reserved=reserved_bytes(cms_signer, timestamper),
    )
    return bytes(out.getvalue())


def _timestamper(job: SignJob) -> FallbackTimestamper | None:
    # No TSA below B-T, nor after a downgrade (see sign_pades).
    if not job.level.timestamped or not job.tsa_urls:
        return None
    # One per process and list of TSAs, over kept-alive connections.
    return kept_timestamper(job.tsa_urls)


def _validation_context(job: SignJob) -> ValidationContext | None:
    # Below B-LT nothing is embedded: the key check has validated the key.
    if not job.level.long_term:
        return None
    return ValidationContext(
        trust_roots=load_certs(job.trust_root_paths),
        other_certs=load_certs(job.extra_cert_paths),
        allow_fetching=True,
        fetcher_backend=revocation_fetchers(
            job.tsa_urls, (*job.trust_root_paths, *job.extra_cert_paths)
        ),
    )


def _translate(error: Exception, job: SignJob) -> SigningError:
    """Turn a pyHanko failure into an edocx error, keeping secrets out."""
    chain = _causes(error)
    if any(isinstance(e, TimestampRequestError) for e in chain):
        logger.warning(
            "TSA unavailable for document %s of %s: %s",
            job.document_id,
            job.agency_code,
            error,
        )
        return TimestampError(
            "the timestamp authority did not answer",
            hint="retry later; the TSA at the configured address is unreachable",
        )

    # The deepest certificate-validation error says why (revoked, expired,
    # no path to a trusted root); pyHanko's own wrapper only says "failed".
    reason = next(
        (e for e in reversed(chain) if isinstance(e, (ValidationError, PathError))),
        error,
    )
    logger.error(
        "signing failed for document %s of %s: %s: %s",
        job.document_id,
        job.agency_code,
        type(reason).__name__,
        reason,
    )
    if isinstance(reason, RevokedError) and _in_signer_path(reason, job):
        return CertificateRevokedError(
            f"the signing certificate is revoked: {_short(reason)}",
            hint="the certificate can no longer sign; ask the CA for a new one",
        )
    return SigningError(
        f"signing failed: {type(reason).__name__}: {_short(reason)}",
        hint="check the signer's certificate, its revocation status and the TSA",
    )


def _in_signer_path(error: RevokedError, job: SignJob) -> bool:
    """Tell whether the revoked certificate is on the signer's own path.

    A revoked certificate of the TSA is the hub's fault, not the signer's.
    """
    try:
        leaf = error.original_path.leaf
        signer_cert = load_signer(job.credential).signing_cert
    except Exception:
        return False
    if leaf is None or signer_cert is None:
        return False
    return bool(leaf.dump() == signer_cert.dump())


def _causes(error: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def _short(error: BaseException) -> str:
    # pyHanko's messages describe certificates and structure, never keys.
    return (str(error).strip() or "no detail")[:300]
