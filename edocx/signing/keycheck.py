"""Refuse a signing key before any work on the PDF.

pyHanko validates the signer's certificate only while it signs, after the
document has been opened, stamped and timestamped, and its failures need
digging to say why. This check runs first, at the job's signing time, and
refuses with one error per reason, cheapest check first:

1. the certificate's validity period must contain the signing time;
2. its key usage must allow signing (digital signature or non-repudiation);
3. a seal's certificate must name an organisation in its subject;
4. its path to a trust anchor must hold no revoked, expired or not yet valid
   certificate, checked with the development PKI's OCSP and CRL services the
   certificates point to, as the signature itself does.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from asn1crypto import x509
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator.errors import (
    ExpiredError,
    NotYetValidError,
    PathError,
    RevokedError,
    ValidationError,
)

from edocx.errors import (
    CertificateExpiredError,
    CertificateNotYetValidError,
    CertificateRevokedError,
    ConfigurationError,
    KeyUsageMissingError,
    SealSubjectNotOrganisationError,
    SigningError,
)
from edocx.pki.credentials import load_signer
from edocx.pki.trust import load_certs
from edocx.signing.jobs import SealJob, SignJob
from edocx.signing.tsaclient import revocation_fetchers
from edocx.vntime import iso_vietnam

logger = logging.getLogger(__name__)

SIGNING_USAGES = frozenset({"digital_signature", "non_repudiation"})
NEW_CERTIFICATE_HINT = "the key can no longer sign; ask the CA for a new certificate"


def check_signing_key(job: SignJob) -> None:
    """Raise unless the job's key may sign in its role at ``job.at``.

    A ``SealJob`` signs for an agency; every other job for a person. Each
    refusal is a ``SigningError`` with its own code (HTTP 409).
    """
    cert = _signing_cert(job)
    try:
        check_certificate(cert, at=job.at, seal=isinstance(job, SealJob))
        _check_path(cert, job)
    except SigningError as refusal:
        logger.warning(
            "signing key refused for document %s of %s: %s",
            job.document_id,
            job.agency_code,
            refusal.code,
        )
        raise


def check_certificate(cert: x509.Certificate, *, at: datetime, seal: bool) -> None:
    """Check what the certificate says of itself: dates, key usage, subject."""
    _check_validity(cert, at)
    _check_key_usage(cert)
    if seal:
        _check_organisation(cert)


def _signing_cert(job: SignJob) -> x509.Certificate:
    cert: x509.Certificate | None = load_signer(job.credential).signing_cert
    if cert is None:
        raise ConfigurationError(
            f"credential {job.credential.name} holds no certificate"
        )
    return cert


def _check_validity(cert: x509.Certificate, at: datetime) -> None:
    if at < cert.not_valid_before:
        raise CertificateNotYetValidError(
            f"the signing certificate {_name(cert)} is valid only from"
            f" {iso_vietnam(cert.not_valid_before)}",
            hint="sign later, or use a certificate that is valid now",
        )
    if at > cert.not_valid_after:
        raise CertificateExpiredError(
            f"the signing certificate {_name(cert)} expired on"
            f" {iso_vietnam(cert.not_valid_after)}",
            hint=NEW_CERTIFICATE_HINT,
        )


def _check_key_usage(cert: x509.Certificate) -> None:
    # Official signatures must state their purpose: a certificate without
    # the extension is refused too, although RFC 5280 would allow any use.
    usage = cert.key_usage_value
    allowed = set() if usage is None else set(usage.native)
    if not allowed & SIGNING_USAGES:
        shown = ", ".join(sorted(allowed)) or "no key usage"
        raise KeyUsageMissingError(
            f"the signing certificate {_name(cert)} allows {shown}, neither"
            " digital signature nor non-repudiation",
            hint="use a certificate issued for signing",
        )


def _check_organisation(cert: x509.Certificate) -> None:
    if not cert.subject.native.get("organization_name"):
        raise SealSubjectNotOrganisationError(
            f"the seal certificate {_name(cert)} names no organisation (O)",
            hint="a seal needs the agency's certificate, not a person's",
        )


def _check_path(cert: x509.Certificate, job: SignJob) -> None:
    """Validate the path at the signing time, fetching OCSP and CRLs.

    Only a revoked, expired or not yet valid certificate on the path refuses
    here; any other doubt (no path, no revocation data) is left to the
    validation pyHanko runs while signing, which reports it as before.
    """
    # TODO(#4): pyHanko fetches the same OCSP response and CRL again while
    # signing; one validation context for both would save a round trip.
    key = _path_key(cert, job)
    if _recently_checked(key, job.at):
        return
    context = ValidationContext(
        trust_roots=load_certs(job.trust_root_paths),
        other_certs=load_certs(job.extra_cert_paths),
        allow_fetching=True,
        fetcher_backend=revocation_fetchers(
            job.tsa_urls, (*job.trust_root_paths, *job.extra_cert_paths)
        ),
        moment=job.at,
    )
    try:
        asyncio.run(_validate_path(cert, context))
    except RevokedError as e:
        raise CertificateRevokedError(
            _revoked_detail(e), hint=NEW_CERTIFICATE_HINT
        ) from e
    except ExpiredError as e:
        raise CertificateExpiredError(str(e), hint=NEW_CERTIFICATE_HINT) from e
    except NotYetValidError as e:
        raise CertificateNotYetValidError(str(e)) from e
    except (PathError, ValidationError) as e:
        logger.info(
            "signer's path of document %s of %s not settled before signing: %s",
            job.document_id,
            job.agency_code,
            type(e).__name__,
        )
        return
    _remember(key, job.at)


async def _validate_path(cert: x509.Certificate, context: ValidationContext) -> None:
    validator = CertificateValidator(cert, validation_context=context)
    # The context's HTTP session belongs to this event loop: close it here.
    async with contextlib.aclosing(context):
        await validator.async_validate_path()


# A signing server signs with the same few keys all day: a path found
# unrevoked is taken as such for PATH_CHECK_TTL_S in this process instead of
# fetching OCSP and CRLs again for every document (about 40 ms each time).
# Only a passed check is kept; a refusal is checked again every time.
PATH_CHECK_TTL_S = 60.0
_PathKey = tuple[bytes, tuple[Path, ...], tuple[Path, ...]]
_passed: dict[_PathKey, float] = {}
_passed_lock = threading.Lock()


def _path_key(cert: x509.Certificate, job: SignJob) -> _PathKey:
    return (cert.sha256, job.trust_root_paths, job.extra_cert_paths)


def _recently_checked(key: _PathKey, at: datetime) -> bool:
    # Only for a signature made now: a path checked now says nothing of
    # another moment.
    if abs((at - datetime.now(UTC)).total_seconds()) > PATH_CHECK_TTL_S:
        return False
    with _passed_lock:
        until = _passed.get(key)
    return until is not None and time.monotonic() < until


def _remember(key: _PathKey, at: datetime) -> None:
    if abs((at - datetime.now(UTC)).total_seconds()) > PATH_CHECK_TTL_S:
        return
    with _passed_lock:
        _passed[key] = time.monotonic() + PATH_CHECK_TTL_S


def forget_checked_paths() -> None:
    """Check every path online again from now on (tests, a revocation)."""
    with _passed_lock:
        _passed.clear()


def _revoked_detail(error: RevokedError) -> str:
    """Say which certificate was revoked, when (Vietnam time) and why.

    pyHanko's own message gives the time in UTC without saying so; a legal
    time is shown in Vietnam time, ISO 8601 with its offset.
    """
    which = "the signing certificate"
    if not error.is_ee_cert:
        which = "a CA certificate above the signing certificate"
    when = error.revocation_dt
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    reason = error.reason.human_friendly
    return f"{which} was revoked at {iso_vietnam(when)}, due to {reason}"


def _name(cert: x509.Certificate) -> str:
    return repr(cert.subject.human_friendly)
