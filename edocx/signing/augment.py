"""Raise a signed PDF to PAdES B-LT or B-LTA without touching its signatures.

ETSI EN 319 142-1 §6.3 lets validation data and document timestamps be
added after signing, each in a new incremental revision, so every existing
signature keeps the bytes it signed:

1. B-LT: the certificates and the revocation data (OCSP, CRL) of every
   signature's path and of its signature timestamp's TSA go into the
   document security store (DSS), in one revision;
2. B-LTA: then a document timestamp over the whole file, in the revision of
   the DSS data of its own TSA, so the timestamp covers that data too.

A signature without a signature timestamp (B-B) gets its validation data
but cannot become B-LT: only a new signature could carry the timestamp. The
outcome lists such signatures as warnings, and its level is the one every
signature reached. Only signatures whose paths reach the trust anchors
offline have their revocation data fetched (see ``anchored``). A file whose
signatures no longer hold (a later suspicious change, a broken digest) is
refused before anything is added (see ``untouched``).
"""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers
from pyhanko.sign.general import extract_certificate_info
from pyhanko.sign.signers.pdf_signer import TimestampDSSContentSettings
from pyhanko.sign.timestamps import TimeStamper
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko.sign.validation.generic_cms import extract_tst_data_iter
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator.path import ValidationPath

from edocx.errors import EdocxError, SigningError
from edocx.pki.trust import load_certs
from edocx.signing.anchored import offline_registry, reached_level, split_by_anchor
from edocx.signing.levels import Level, SignOutcome
from edocx.signing.reading import read_strict
from edocx.signing.tsaclient import kept_timestamper, revocation_fetchers
from edocx.signing.untouched import refuse_altered

logger = logging.getLogger(__name__)

DIGEST = "sha256"

# The DSS data of the document timestamp's TSA goes into the timestamp's own
# revision, before it, so the timestamp protects it (no VRI: it would need
# the timestamp's value first).
LTA_DSS = TimestampDSSContentSettings(update_before_ts=True, include_vri=False)


@dataclass(frozen=True)
class AugmentSetup:
    """What augmenting needs: the anchors, helper certificates and the TSAs.

    ``tsa_urls`` may be empty for B-LT, which asks no TSA.
    """

    trust_root_paths: tuple[Path, ...]
    extra_cert_paths: tuple[Path, ...] = ()
    tsa_urls: tuple[str, ...] = ()


def augment_pdf(pdf: bytes, level: Level, setup: AugmentSetup) -> SignOutcome:
    """Return ``pdf`` raised to ``level`` (B-LT or B-LTA) in new revisions.

    Raises ``SigningError`` when the file has no signature, when one of its
    signatures no longer holds, when a signature's certificate path cannot
    be validated (its revocation data cannot then be collected), and
    ``TimestampError`` when no TSA answers.
    """
    if not level.long_term:
        raise ValueError(f"augment raises a file to B-LT or B-LTA, not {level}")
    signatures = _signatures(pdf)
    untimestamped = _untimestamped(signatures)

    # 0. Nothing vouches for a file whose signatures a later change broke.
    refuse_altered(pdf, setup.trust_root_paths)

    # 1. Only signatures whose paths reach the anchors offline have their
    # revocation data fetched (see ``anchored``).
    anchored = split_by_anchor(
        signatures,
        load_certs(setup.trust_root_paths),
        load_certs(setup.extra_cert_paths),
    )
    if not anchored.reaching:
        raise SigningError(
            "no signature of the PDF chains to the trust anchors",
            hint="name the root of its signer with --trust",
        )
    warnings = (*untimestamped, *anchored.warnings)

    # 2. The validation data of those signatures and their timestamps, and
    # of the document timestamp's TSA when B-LTA: each certificate once.
    context = validation_context(setup)
    stamper = _document_stamper(level, setup)
    paths = _collect(anchored.reaching, context, stamper)
    out = add_validation_data(pdf, paths, context)

    # 3. The document timestamp, when B-LTA.
    if level.archival:
        out = add_document_timestamp(out, setup.tsa_urls, context)
    reached = reached_level(level, untimestamped, anchored)
    return SignOutcome(out, level=reached, requested=level, warnings=warnings)


def validation_context(setup: AugmentSetup) -> ValidationContext:
    """Return a context that fetches revocation data for ``setup``'s anchors.

    Its fetchers share the process's TLS context (see ``tsaclient``). It
    fetches no certificate: paths are built from what is at hand.
    """
    return ValidationContext(
        trust_roots=load_certs(setup.trust_root_paths),
        certificate_registry=offline_registry(load_certs(setup.extra_cert_paths)),
        allow_fetching=True,
        fetcher_backend=revocation_fetchers(
            setup.tsa_urls, (*setup.trust_root_paths, *setup.extra_cert_paths)
        ),
    )


def add_validation_data(
    pdf: bytes, paths: Sequence[ValidationPath], context: ValidationContext
) -> bytes:
    """Append one revision whose DSS holds ``paths`` and their revocation data."""
    writer = IncrementalPdfFileWriter.from_reader(read_strict(pdf))
    DocumentSecurityStore.supply_dss_in_writer(
        writer, None, paths=list(paths), validation_context=context
    )
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def add_document_timestamp(
    pdf: bytes, tsa_urls: Sequence[str], context: ValidationContext
) -> bytes:
    """Append a document timestamp from the first of ``tsa_urls`` that answers.

    The TSA's certificates, paths and revocation data come from ``context``:
    given the context a signature of the same document was made in, its
    TSA's path is not validated again nor its revocation data fetched again.
    The process's timestamper for ``tsa_urls`` sends the request, over a
    kept-alive connection, and sizes the token from the one it keeps.
    """
    if not tsa_urls:
        raise SigningError(
            "a document timestamp needs a timestamp authority",
            hint="name one with --tsa or in signing.tsa_urls",
        )
    writer = IncrementalPdfFileWriter.from_reader(read_strict(pdf))
    stamper = signers.PdfTimeStamper(kept_timestamper(tsa_urls))
    try:
        out = stamper.timestamp_pdf(
            writer, DIGEST, validation_context=context, dss_settings=LTA_DSS
        )
    except EdocxError:
        raise
    except Exception as e:
        raise _failure("the document timestamp failed", e) from e
    return bytes(out.getvalue())


def _signatures(pdf: bytes) -> list[EmbeddedPdfSignature]:
    found = list(read_strict(pdf).embedded_signatures)
    if not found:
        raise SigningError(
            "the PDF carries no signature to augment",
            hint="sign it first (edocx sign), at the level wanted",
        )
    return found


def _untimestamped(signatures: Sequence[EmbeddedPdfSignature]) -> list[str]:
    return [
        f"signature {s.field_name} has no signature timestamp and stays below B-LT"
        for s in signatures
        if s.sig_object_type == "/Sig"
        and next(extract_tst_data_iter(s.signer_info, signed=False), None) is None
    ]


def _document_stamper(level: Level, setup: AugmentSetup) -> TimeStamper | None:
    # Without a TSA, add_document_timestamp says what is missing.
    if not level.archival or not setup.tsa_urls:
        return None
    return kept_timestamper(setup.tsa_urls)


def _collect(
    signatures: Sequence[EmbeddedPdfSignature],
    context: ValidationContext,
    stamper: TimeStamper | None = None,
) -> list[ValidationPath]:
    return asyncio.run(_collect_all(signatures, context, stamper))


async def _collect_all(
    signatures: Sequence[EmbeddedPdfSignature],
    context: ValidationContext,
    stamper: TimeStamper | None,
) -> list[ValidationPath]:
    paths: list[ValidationPath] = []
    validated: set[bytes] = set()
    try:
        # The document timestamp's TSA first, through the timestamper that
        # will make it: it keeps the paths for this context (see tsaclient).
        if stamper is not None:
            paths += await _tsa_paths(stamper, context, validated)
        for signature in signatures:
            try:
                paths += await _collect_one(signature, context, validated)
            except Exception as e:
                what = f"the certificates of signature {signature.field_name}"
                raise _failure(f"{what} cannot be validated", e) from e
    finally:
        # The fetchers' HTTP sessions belong to this event loop.
        await context.aclose()
    return paths


async def _tsa_paths(
    stamper: TimeStamper, context: ValidationContext, validated: set[bytes]
) -> list[ValidationPath]:
    try:
        paths = [path async for path in stamper.validation_paths(context)]
    except EdocxError:
        raise
    except Exception as e:
        raise _failure("the certificates of the TSA cannot be validated", e) from e
    validated.update(path.leaf.dump() for path in paths if path.leaf is not None)
    return paths


async def _collect_one(
    signature: EmbeddedPdfSignature, context: ValidationContext, validated: set[bytes]
) -> list[ValidationPath]:
    """Validate the certificates of ``signature`` and of its timestamps.

    Validating a certificate in ``context`` fetches its revocation data into
    it. The signatures of one document often share a TSA, or a signer, whose
    path an earlier one has validated in the same context already: each
    certificate is validated once (``validated`` holds those done).
    """
    signed = [signature.signed_data]
    for in_signed_attributes in (False, True):
        signed += extract_tst_data_iter(
            signature.signer_info, signed=in_signed_attributes
        )

    paths: list[ValidationPath] = []
    for signed_data in signed:
        certs = extract_certificate_info(signed_data)
        der = certs.signer_cert.dump()
        if der in validated:
            continue
        validator = CertificateValidator(
            certs.signer_cert,
            intermediate_certs=certs.other_certs,
            validation_context=context,
        )
        paths.append(await validator.async_validate_usage(key_usage=set()))
        validated.add(der)
    return paths


def _failure(what: str, error: Exception) -> SigningError:
    reason = " ".join(str(error).split())[:300] or type(error).__name__
    logger.error("augmenting failed: %s: %s", what, reason)
    return SigningError(
        f"{what}: {type(error).__name__}: {reason}",
        hint="check the trust anchors (--trust), the OCSP/CRL services and the TSA",
    )


def add_own_validation_data(pdf: bytes, last: int, setup: AugmentSetup) -> bytes:
    """Return ``pdf`` with the validation data of its ``last`` signatures.

    For the hub's check of its own signatures made below B-LT: only those
    signatures' certificates are followed (the hub's keys and TSAs), never
    the addresses in a signature the file carried before.
    """
    signatures = sorted(_signatures(pdf), key=_end)
    own = [s for s in signatures if s.sig_object_type == "/Sig"][-last:]
    context = validation_context(setup)
    return add_validation_data(pdf, _collect(own, context), context)


def _end(signature: EmbeddedPdfSignature) -> int:
    byte_range = signature.sig_object["/ByteRange"]
    return int(byte_range[2]) + int(byte_range[3])
