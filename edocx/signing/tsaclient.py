"""Timestamp requests over kept-alive connections, one client per process.

pyHanko's ``HTTPTimeStamper`` opens an aiohttp session for every request,
and a session builds a TLS context (the system's CA bundle read and parsed)
even for a plain ``http://`` TSA: about 18 ms before the first byte is sent,
several times a TSA's own work. A signing server sends every signature's
timestamp request to the same few TSAs, so :class:`KeepAliveTimeStamper`
keeps one HTTP connection per TSA and thread and reuses it, and
:func:`kept_timestamper` keeps one :class:`FallbackTimestamper` per list of
TSAs and process (with the TSA's certificates pyHanko learns from its first
token), which validates the TSA's certificates once per validation context:
a B-LTA signature needs their path for the signature timestamp and again for
the document timestamp. Failures read as they do through aiohttp: refused,
timed out, an HTTP status, an answer that is no timestamp response, or one
larger than any timestamp response (:data:`TSA_ANSWER_LIMIT`): a TSA that
declares gigabytes or streams without end is left as soon as the limit is
passed. The revocation fetchers bound what they read in the same way.
"""

from __future__ import annotations

import base64
import functools
import http.client
import logging
import ssl
import threading
import weakref
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from urllib.parse import unquote, urlsplit

import aiohttp
import certifi
from asn1crypto import tsp
from pyhanko.sign.timestamps import HTTPTimeStamper, TimestampRequestError
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.fetchers.aiohttp_fetchers import AIOHttpFetcherBackend
from pyhanko_certvalidator.fetchers.aiohttp_fetchers.util import LazySession
from pyhanko_certvalidator.fetchers.api import OwnedFetcherBackend
from pyhanko_certvalidator.path import ValidationPath

from edocx.pki.fetchguard import FetchPolicy, guarded_session
from edocx.pki.trust import load_certs
from edocx.signing.tsa import TSA_TIMEOUT_S, FallbackTimestamper, shown_url

logger = logging.getLogger(__name__)

REPLY_TYPE = "application/timestamp-reply"
# A kept-alive connection the TSA closed meanwhile fails at once with one of
# these; the request is then sent again on a new connection, once.
_STALE = (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError)

# A timestamp response is a few KB (a token and the TSA's chain), an OCSP
# response as much; a CRL grows with the revocations it lists.
TSA_ANSWER_LIMIT = 1 << 20
OCSP_ANSWER_LIMIT = 1 << 20
CRL_ANSWER_LIMIT = 32 << 20
_CHUNK = 64 << 10

_kept: dict[tuple[tuple[str, ...], float], KeptFallbackTimestamper] = {}
_kept_lock = threading.Lock()


class TSAStatusError(Exception):
    """The TSA answered with an HTTP error status."""


class NotATimestampReplyError(ValueError):
    """The TSA answered with something other than a timestamp response."""


class AnswerTooLargeError(Exception):
    """The server declared or sent more than an answer of its kind can be."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"answer larger than {_size(limit)}")
        self.limit = limit


class KeepAliveTimeStamper(HTTPTimeStamper):  # type: ignore[misc]
    """An RFC 3161 client that keeps its HTTP connection between requests."""

    def __init__(self, url: str, *, timeout_s: float = TSA_TIMEOUT_S) -> None:
        super().__init__(url, timeout=timeout_s)
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) TSA address: {parts.scheme}://...")
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port
        self._target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self._basic = _basic_auth(parts.username, parts.password)
        self._local = threading.local()

    async def async_request_tsa_response(
        self, req: tsp.TimeStampReq
    ) -> tsp.TimeStampResp:
        try:
            status, reason, content_type, body = self._post(req.dump())
        except (OSError, http.client.HTTPException, AnswerTooLargeError) as e:
            raise TimestampRequestError(
                "Error while contacting timestamp service"
            ) from e

        if status >= 400:
            raise TimestampRequestError(
                "Error while contacting timestamp service"
            ) from TSAStatusError(f"HTTP status {status} {reason}".strip())
        if content_type != REPLY_TYPE:
            raise TimestampRequestError(
                "Timestamp server response is malformed"
            ) from NotATimestampReplyError(f"content type {content_type}")
        return tsp.TimeStampResp.load(body)

    def _post(self, body: bytes) -> tuple[int, str, str, bytes]:
        headers = self.request_headers()
        if self._basic is not None:
            headers["Authorization"] = self._basic
        for attempt in (1, 2):
            conn, reused = self._connection()
            try:
                conn.request("POST", self._target, body=body, headers=headers)
                response = conn.getresponse()
                data = _bounded_read(response, TSA_ANSWER_LIMIT)
            except _STALE:
                self._drop()
                if reused and attempt == 1:
                    continue
                raise
            except BaseException:
                self._drop()
                raise
            if response.will_close:
                self._drop()
            content_type = response.getheader("Content-Type", "")
            return response.status, response.reason, content_type, data
        raise AssertionError("unreachable")  # pragma: no cover

    def close(self) -> None:
        """Close this thread's connection (the next request opens another)."""
        self._drop()

    def _connection(self) -> tuple[http.client.HTTPConnection, bool]:
        kept: _Kept | None = getattr(self._local, "kept", None)
        if kept is not None:
            return kept.conn, True
        kind = (
            http.client.HTTPSConnection if self._https else http.client.HTTPConnection
        )
        conn = kind(self._host, self._port, timeout=self.timeout)
        self._local.kept = _Kept(conn)
        return conn, False

    def _drop(self) -> None:
        kept: _Kept | None = getattr(self._local, "kept", None)
        self._local.kept = None
        if kept is not None:
            kept.conn.close()


def _bounded_read(response: http.client.HTTPResponse, limit: int) -> bytes:
    """Read the body, refusing one declared or found larger than ``limit``."""
    if response.length is not None and response.length > limit:
        raise AnswerTooLargeError(limit)

    # Chunked or unannounced: one byte past the limit is enough to know.
    data = response.read(limit + 1)
    if len(data) > limit:
        raise AnswerTooLargeError(limit)
    return data


def _size(limit: int) -> str:
    return f"{limit >> 20} MiB" if limit >= 1 << 20 else f"{limit} bytes"


class _Kept:
    """A thread's connection, closed when the thread ends and drops it."""

    def __init__(self, conn: http.client.HTTPConnection) -> None:
        self.conn = conn

    def __del__(self) -> None:
        self.conn.close()


class KeptFallbackTimestamper(FallbackTimestamper):
    """:class:`FallbackTimestamper` over kept-alive connections."""

    def __init__(
        self, urls: Sequence[str], *, timeout_s: float = TSA_TIMEOUT_S
    ) -> None:
        super().__init__(urls, timeout_s=timeout_s)
        self._stampers = [KeepAliveTimeStamper(u, timeout_s=timeout_s) for u in urls]
        self._paths: weakref.WeakKeyDictionary[ValidationContext, list[ValidationPath]]
        self._paths = weakref.WeakKeyDictionary()
        self._paths_lock = threading.Lock()

    def close(self) -> None:
        """Close this thread's connections to the TSAs."""
        for stamper in self._stampers:
            if isinstance(stamper, KeepAliveTimeStamper):
                stamper.close()

    async def validation_paths(
        self, validation_context: ValidationContext
    ) -> AsyncIterator[ValidationPath]:
        """The TSA's validated paths, validated once per validation context.

        pyHanko asks for them before the signature (for the signature
        timestamp's DSS data) and again before a document timestamp in the
        same context: the second time, the paths of the first are the answer
        (same certificates, same context, same revocation data). A failure
        is not kept.
        """
        with self._paths_lock:
            known = self._paths.get(validation_context)
        if known is None:
            parent = super().validation_paths(validation_context)
            known = [path async for path in parent]
            with self._paths_lock:
                self._paths[validation_context] = known
        for path in known:
            yield path


def kept_timestamper(
    urls: Sequence[str], *, timeout_s: float = TSA_TIMEOUT_S
) -> KeptFallbackTimestamper:
    """The process's timestamper for ``urls``, made on first use."""
    key = (tuple(urls), timeout_s)
    with _kept_lock:
        stamper = _kept.get(key)
        if stamper is None:
            stamper = KeptFallbackTimestamper(key[0], timeout_s=timeout_s)
            _kept[key] = stamper
    return stamper


class _BoundedResponse(aiohttp.ClientResponse):
    """An answer that pyHanko's fetchers read whole, up to a limit of its kind.

    The fetchers call ``read()`` and turn an ``aiohttp.ClientError`` into
    their fetch error, as for any failed download: an OCSP or CRL server
    that declares or streams too much is then one that did not answer.
    """

    async def read(self) -> bytes:
        if self._body is None:
            try:
                self._body = await self._read_within(_answer_limit(self))
            except BaseException:
                self.close()
                raise
        return await super().read()

    async def _read_within(self, limit: int) -> bytes:
        if self.content_length is not None and self.content_length > limit:
            raise _too_large(self, limit)
        body = bytearray()
        async for chunk in self.content.iter_chunked(_CHUNK):
            body += chunk
            if len(body) > limit:
                raise _too_large(self, limit)
        return bytes(body)


def _answer_limit(response: aiohttp.ClientResponse) -> int:
    # pyHanko's OCSP fetcher asks for an OCSP response; CRLs and the
    # certificates of an AIA address are read up to the CRL's limit.
    accept = response.request_info.headers.get("Accept", "")
    return OCSP_ANSWER_LIMIT if "ocsp-response" in accept else CRL_ANSWER_LIMIT


def _too_large(response: aiohttp.ClientResponse, limit: int) -> Exception:
    url = shown_url(str(response.url))
    return aiohttp.ClientPayloadError(f"{url}: answer larger than {_size(limit)}")


class _SharedTLSSession(LazySession):  # type: ignore[misc]
    """pyHanko's lazy fetching session, with the process's one TLS context
    and answers read up to a limit (:class:`_BoundedResponse`).

    The library's own builds a TLS context from certifi's CA bundle for
    every session, that is for every signature that fetches OCSP responses
    and CRLs: about 18 ms, though the addresses are plain ``http://``.
    """

    def __init__(self, policy: FetchPolicy) -> None:
        super().__init__()
        self._policy = policy

    def get_session(self) -> aiohttp.ClientSession:
        if self._session is None:
            # Addresses come from certificates, which may come with a
            # document: refused ones are never contacted (edocx.pki.fetchguard).
            self._session = guarded_session(
                self._policy, tls=_tls_context(), response_class=_BoundedResponse
            )
        return self._session


@functools.cache
def _tls_context() -> ssl.SSLContext:
    return ssl.create_default_context(cafile=certifi.where())


def revocation_fetchers(
    tsa_urls: Sequence[str] = (), cert_paths: Sequence[Path] = ()
) -> OwnedFetcherBackend:
    """Fetchers of OCSP responses, CRLs and certificates for one validation
    context, which closes them when done, as it does its default ones; they
    differ in the TLS context, made once per process, and in the addresses
    they reach: public ones, and the origins of the configured TSAs and of
    the services the configured certificates (``cert_paths``: anchors and
    intermediates) name (:class:`edocx.pki.fetchguard.FetchPolicy`)."""
    policy = FetchPolicy.trusting(tsa_urls, load_certs(cert_paths))
    # The backend takes a lazy session, as its own default is one.
    backend = AIOHttpFetcherBackend(session=_SharedTLSSession(policy))  # type: ignore[arg-type]
    return OwnedFetcherBackend(backend)


def _basic_auth(user: str | None, password: str | None) -> str | None:
    # As aiohttp does for an address with credentials in it.
    if user is None:
        return None
    pair = f"{unquote(user)}:{unquote(password or '')}".encode()
    return "Basic " + base64.b64encode(pair).decode("ascii")
