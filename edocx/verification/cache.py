"""Process-level caches that make repeated signers cheap to verify.

Agencies sign thousands of documents with the same few certificates, so a
worker process meets the same certificates, paths and revocation data again
and again. Three things are kept between documents, none of them a
conclusion about a document:

* prepared name values: the RFC 4518 string preparation asn1crypto runs on
  every attribute of every name it compares (RFC 5280 §7.1), keyed by the
  attribute's text. It is a pure function of that text.
* certification paths (RFC 5280 §6), keyed by the signer's certificate and
  the trust anchors. A cached path is only a first candidate: it is used
  only when the validation time falls within every certificate's validity
  and every intermediate certificate is known in the current document, and
  pyhanko-certvalidator still validates it in full (signatures, usage,
  revocation). If that fails, paths are built as if nothing were cached.
* good revocation answers (OCSP, RFC 6960; CRL, RFC 5280 §6.3), keyed by the
  certificate, its path, the DER digests of every response or list on hand,
  the anchors, the revocation policy and the timing flags. A cached answer
  is reused only at a validation time inside the window in which all of
  that revocation data is current (thisUpdate to nextUpdate) and every
  certificate of the path is valid. Failures (revoked, stale, missing) are
  never cached, so they are always worked out afresh, and neither is an
  answer about a certificate that any of the data lists as revoked (a list
  may date a revocation after its own thisUpdate).

Nothing is cached when fetching is allowed: what a responder says changes.
:func:`verification_caches` installs the caches for the duration of one
verification; :func:`clear_caches` empties them.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Awaitable, Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import pyhanko_certvalidator
from asn1crypto import crl, ocsp, x509
from pyhanko.sign.validation import generic_cms
from pyhanko_certvalidator import validate as pkix
from pyhanko_certvalidator.context import ValidationContext
from pyhanko_certvalidator.errors import ValidationError
from pyhanko_certvalidator.path import ValidationPath

from edocx.verification.fastlex import fast_names
from edocx.verification.hexstring import fast_hex_strings

logger = logging.getLogger(__name__)

# Bounds keep a long-lived worker's memory flat; when full, a cache starts
# over (cheap, and simpler to reason about than eviction order).
MAX_NAMES = 20_000
MAX_PATHS = 5_000
MAX_ANSWERS = 20_000

K = TypeVar("K")
V = TypeVar("V")


class BoundedCache(dict[K, V]):
    """A dict that empties itself rather than grow beyond ``limit``."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit
        self.hits = 0

    def put(self, key: K, value: V) -> None:
        if len(self) >= self.limit:
            self.clear()
        self[key] = value


def der_digest(value: Any) -> bytes:
    """SHA-256 of an asn1crypto value's DER encoding."""
    return hashlib.sha256(value.dump()).digest()


# -- Prepared name values -------------------------------------------------

_names: BoundedCache[str, str] = BoundedCache(MAX_NAMES)
_stock_prep: Callable[[Any, str], str] = x509.NameTypeAndValue._ldap_string_prep


def _cached_prep(self: Any, string: str) -> str:
    prepped = _names.get(string)
    if prepped is None:
        # Errors (prohibited characters) are raised each time, never kept.
        prepped = _stock_prep(self, string)
        _names.put(string, prepped)
    return prepped


# -- Certification paths --------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """What every cached entry is tied to: anchors and revocation policy."""

    anchors: frozenset[bytes]
    policy: str


def scope_of(context: ValidationContext) -> Scope:
    manager = context.path_builder.trust_manager
    iter_certs = getattr(manager, "iter_certs", None)
    anchors = frozenset(der_digest(c) for c in iter_certs()) if iter_certs else None
    if anchors is None:
        # An unknown kind of trust manager: nothing can be keyed safely.
        raise LookupError("the trust anchors cannot be listed")
    return Scope(anchors, repr(context.revinfo_policy))


def _within_validity(certs: Iterable[x509.Certificate], at: datetime) -> bool:
    return all(c.not_valid_before <= at <= c.not_valid_after for c in certs)


def _path_certs(path: ValidationPath) -> list[x509.Certificate]:
    return list(path.iter_certs(include_root=True))


_paths: BoundedCache[tuple[Scope, bytes], ValidationPath] = BoundedCache(MAX_PATHS)


def cached_path(
    cert: x509.Certificate, context: ValidationContext
) -> ValidationPath | None:
    """A path found before for ``cert`` under the same anchors, if usable now."""
    path = _paths.get((scope_of(context), der_digest(cert)))
    if path is None:
        return None
    certs = _path_certs(path)
    if not _within_validity(certs, context.moment):
        return None
    # The intermediates must be known here too: a path from another
    # document must not stand in for certificates this one lacks.
    registry = context.certificate_registry
    known = {der_digest(c) for c in registry}
    intermediates = list(path.iter_certs(include_root=False))[:-1]
    if not all(der_digest(c) in known for c in intermediates):
        return None
    return path


def remember_path(
    cert: x509.Certificate, context: ValidationContext, path: ValidationPath
) -> None:
    _paths.put((scope_of(context), der_digest(cert)), path)


_stock_find_valid_path: Callable[..., Awaitable[ValidationPath]] = (
    pyhanko_certvalidator.find_valid_path
)


async def _find_valid_path(
    certificate: x509.Certificate,
    paths: Any,
    validation_context: ValidationContext,
    pkix_validation_params: Any = None,
) -> ValidationPath:
    if validation_context.fetching_allowed:
        return await _stock_find_valid_path(
            certificate, paths, validation_context, pkix_validation_params
        )
    candidate = cached_path(certificate, validation_context)
    if candidate is not None:
        try:
            await pkix.async_validate_path(
                validation_context, candidate, pkix_validation_params
            )
        except ValidationError:
            pass
        else:
            _paths.hits += 1
            await paths.cancel()
            return candidate
    path: ValidationPath
    path = await _stock_find_valid_path(
        certificate, paths, validation_context, pkix_validation_params
    )
    remember_path(certificate, validation_context, path)
    return path


# -- Revocation answers ---------------------------------------------------


@dataclass(frozen=True)
class Window:
    """The validation times at which a cached good answer still holds."""

    start: datetime
    end: datetime

    def holds(self, *moments: datetime) -> bool:
        return all(self.start <= m <= self.end for m in moments)


def currency_window(
    certs: Iterable[x509.Certificate],
    ocsps: Iterable[ocsp.OCSPResponse],
    crls: Iterable[crl.CertificateList],
) -> Window | None:
    """Where every certificate is valid and all the revocation data current.

    None when some response or list has no nextUpdate: its currency has no
    end, so nothing based on it is kept.
    """
    starts: list[datetime] = []
    ends: list[datetime] = []
    for cert in certs:
        starts.append(cert.not_valid_before)
        ends.append(cert.not_valid_after)
    for response in ocsps:
        for single in _single_responses(response):
            if single["next_update"].native is None:
                return None
            starts.append(single["this_update"].native)
            ends.append(single["next_update"].native)
    for certificate_list in crls:
        tbs = certificate_list["tbs_cert_list"]
        if tbs["next_update"].native is None:
            return None
        starts.append(tbs["this_update"].native)
        ends.append(tbs["next_update"].native)
    if not starts:
        return None
    return Window(max(starts), min(ends))


_revoked_serials: BoundedCache[bytes, frozenset[int]] = BoundedCache(MAX_ANSWERS)


def revoked_serials(item: ocsp.OCSPResponse | crl.CertificateList) -> frozenset[int]:
    """The serial numbers a response or list does not call good, kept by digest.

    A list may date a revocation after its own thisUpdate; a good answer
    given before that date must not be reused after it, so an answer about
    a certificate listed anywhere is never kept.
    """
    key = der_digest(item)
    serials = _revoked_serials.get(key)
    if serials is None:
        if isinstance(item, crl.CertificateList):
            entries = item["tbs_cert_list"]["revoked_certificates"] or ()
            serials = frozenset(e["user_certificate"].native for e in entries)
        else:
            serials = frozenset(
                single["cert_id"]["serial_number"].native
                for single in _single_responses(item)
                if single["cert_status"].name != "good"
            )
        _revoked_serials.put(key, serials)
    return serials


def _single_responses(response: ocsp.OCSPResponse) -> Iterator[Any]:
    basic = response["response_bytes"]["response"].parsed
    yield from basic["tbs_response_data"]["responses"]


@dataclass(frozen=True)
class AnswerKey:
    kind: str
    scope: Scope
    cert: bytes
    path: tuple[bytes, ...]
    evidence: frozenset[bytes]
    certs: frozenset[bytes]
    timing: tuple[object, ...]


_answers: BoundedCache[AnswerKey, Window] = BoundedCache(MAX_ANSWERS)

Check = Callable[..., Awaitable[Any]]


def _answer_key(
    kind: str, cert: Any, path: ValidationPath, context: ValidationContext
) -> AnswerKey:
    timing = context.timing_params
    # The check reads only its own kind of evidence, and may build the
    # responder's or the CRL issuer's path from the certificates on hand.
    evidence = context.ocsps if kind == "ocsp" else context.crls
    return AnswerKey(
        kind=kind,
        scope=scope_of(context),
        cert=der_digest(cert),
        path=tuple(der_digest(c) for c in _path_certs(path)),
        evidence=frozenset(der_digest(o) for o in evidence),
        certs=frozenset(der_digest(c) for c in context.certificate_registry),
        timing=(
            timing.point_in_time_validation,
            timing.best_signature_time == timing.validation_time,
            timing.time_tolerance,
        ),
    )


def _cached_check(kind: str, stock: Check) -> Check:
    """Wrap a revocation check so that a good answer is kept in its window."""

    async def check(
        cert: Any, path: ValidationPath, validation_context: ValidationContext,
        *args: Any, **kwargs: Any,
    ) -> Any:  # fmt: skip
        context = validation_context
        if context.fetching_allowed or not isinstance(cert, x509.Certificate):
            return await stock(cert, path, context, *args, **kwargs)
        key = _answer_key(kind, cert, path, context)
        moments = (context.moment, context.best_signature_time)
        window = _answers.get(key)
        if window is not None and window.holds(*moments):
            _answers.hits += 1
            return None

        result = await stock(cert, path, context, *args, **kwargs)
        evidence = context.ocsps if kind == "ocsp" else context.crls
        if result is None and not any(
            cert.serial_number in revoked_serials(item) for item in evidence
        ):
            ocsps, crls = (evidence, ()) if kind == "ocsp" else ((), evidence)
            window = currency_window(_path_certs(path), ocsps, crls)
            if window is not None and window.holds(*moments):
                _answers.put(key, window)
        return result

    return check


_stock_ocsp: Check = getattr(pkix, "verify_ocsp_response")  # noqa: B009
_stock_crl: Check = getattr(pkix, "verify_crl")  # noqa: B009
_cached_ocsp = _cached_check("ocsp", _stock_ocsp)
_cached_crl = _cached_check("crl", _stock_crl)

# -- Installation ---------------------------------------------------------

_lock = threading.Lock()
_depth = 0


def _install(on: bool) -> None:
    """Point the libraries at the cached functions, or back at their own."""
    find = _find_valid_path if on else _stock_find_valid_path
    replacements: list[tuple[object, str, object]] = [
        (
            x509.NameTypeAndValue,
            "_ldap_string_prep",
            _cached_prep if on else _stock_prep,
        ),
        (pyhanko_certvalidator, "find_valid_path", find),
        (generic_cms, "find_valid_path", find),
        (pkix, "verify_ocsp_response", _cached_ocsp if on else _stock_ocsp),
        (pkix, "verify_crl", _cached_crl if on else _stock_crl),
    ]
    for owner, name, value in replacements:
        setattr(owner, name, value)


@contextmanager
def verification_caches() -> Iterator[None]:
    """Use the caches and the fast hex and name readers inside the block.

    Outside it, the libraries behave exactly as shipped, which is what the
    bench compares against. A counter keeps nested and concurrent blocks
    from switching them off early.
    """
    global _depth
    with _lock:
        _depth += 1
        if _depth == 1:
            _install(True)
    try:
        with fast_hex_strings(), fast_names():
            yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                _install(False)


def clear_caches() -> None:
    """Forget everything cached (tests; a change of trust configuration)."""
    for cache in (_names, _paths, _answers, _revoked_serials):
        cache.clear()
        cache.hits = 0


def cache_hits() -> dict[str, int]:
    """How often each cache answered, since the last :func:`clear_caches`."""
    return {"paths": _paths.hits, "revocation": _answers.hits}
