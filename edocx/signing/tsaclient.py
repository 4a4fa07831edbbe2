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
timed out, an HTTP status, or an answer that is no timestamp response.
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

from edocx.signing.tsa import TSA_TIMEOUT_S, FallbackTimestamper

logger = logging.getLogger(__name__)

REPLY_TYPE = "application/timestamp-reply"
# A kept-alive connection the TSA closed meanwhile fails at once with one of
# these; the request is then sent again on a new connection, once.
_STALE = (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError)

_kept: dict[tuple[tuple[str, ...], float], KeptFallbackTimestamper] = {}
_kept_lock = threading.Lock()


class TSAStatusError(Exception):
    """The TSA answered with an HTTP error status."""


class NotATimestampReplyError(ValueError):
    """The TSA answered with something other than a timestamp response."""


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
        except (OSError, http.client.HTTPException) as e:
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
                data = response.read()
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


class _SharedTLSSession(LazySession):  # type: ignore[misc]
    """pyHanko's lazy fetching session, with the process's one TLS context.

    The library's own builds a TLS context from certifi's CA bundle for
    every session, that is for every signature that fetches OCSP responses
    and CRLs: about 18 ms, though the addresses are plain ``http://``.
    """

    def get_session(self) -> aiohttp.ClientSession:
        if self._session is None:
            connector = aiohttp.TCPConnector(ssl=_tls_context())
            self._session = aiohttp.ClientSession(connector=connector)
        return self._session


@functools.cache
def _tls_context() -> ssl.SSLContext:
    return ssl.create_default_context(cafile=certifi.where())


def revocation_fetchers() -> OwnedFetcherBackend:
    """Fetchers of OCSP responses, CRLs and certificates for one validation
    context, which closes them when done, as it does its default ones; they
    differ only in the TLS context, made once per process."""
    # The backend takes a lazy session, as its own default is one.
    backend = AIOHttpFetcherBackend(session=_SharedTLSSession())  # type: ignore[arg-type]
    return OwnedFetcherBackend(backend)


def _basic_auth(user: str | None, password: str | None) -> str | None:
    # As aiohttp does for an address with credentials in it.
    if user is None:
        return None
    pair = f"{unquote(user)}:{unquote(password or '')}".encode()
    return "Basic " + base64.b64encode(pair).decode("ascii")
