"""Signature timestamps from several RFC 3161 TSAs, tried in order.

The configuration lists the TSAs (``signing.tsa_urls``). Each request goes to
the first one, then to the next when it does not answer usefully (refused,
timed out, an HTTP error, a body that is no timestamp response), each with
its own timeout. Once a TSA has answered, later requests of the same
signature go to it first: pyHanko asks once for a token to size the
signature and once for the real one, and both should come from the same TSA
so that the size estimate and the TSA's certificates in the DSS fit.

When none answers, ``TimestampError`` names every TSA and why it failed.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from urllib.parse import urlsplit, urlunsplit

from aiohttp import ClientResponseError
from asn1crypto import cms
from pyhanko.sign.timestamps import HTTPTimeStamper, TimeStamper

from edocx.errors import TimestampError

logger = logging.getLogger(__name__)

TSA_TIMEOUT_S = 10.0


class FallbackTimestamper(TimeStamper):  # type: ignore[misc]
    """A pyHanko timestamper that asks each TSA in turn until one answers."""

    def __init__(
        self, urls: Sequence[str], *, timeout_s: float = TSA_TIMEOUT_S
    ) -> None:
        if not urls:
            raise ValueError("at least one TSA address is needed")
        super().__init__()
        self._stampers = [HTTPTimeStamper(url, timeout=timeout_s) for url in urls]
        self._urls = tuple(urls)
        self._first = 0

    async def async_timestamp(
        self, message_digest: bytes, md_algorithm: str
    ) -> cms.ContentInfo:
        failures: list[str] = []
        last: Exception | None = None
        for index in self._order():
            try:
                token = await self._stampers[index].async_timestamp(
                    message_digest, md_algorithm
                )
            except Exception as e:  # each TSA may fail in its own way
                failures.append(f"{shown_url(self._urls[index])}: {_reason(e)}")
                last = e
                continue

            # Stay with a TSA that answered for the rest of this signature.
            self._first = index
            return token

        raise TimestampError(
            "no timestamp authority answered: " + "; ".join(failures),
            hint="check that the TSAs in signing.tsa_urls are reachable",
        ) from last

    def _order(self) -> list[int]:
        rest = [i for i in range(len(self._stampers)) if i != self._first]
        return [self._first, *rest]


def shown_url(url: str) -> str:
    """Return ``url`` without any user name or password it carries."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit(parts._replace(netloc=netloc))


def _reason(error: BaseException) -> str:
    """Say in a few words why a TSA failed, from the deepest known cause."""
    causes = _chain(error)
    if any(isinstance(e, ConnectionRefusedError) for e in causes):
        return "connection refused"
    if any(isinstance(e, TimeoutError) for e in causes):
        return "no answer within the timeout"
    status = next((e for e in causes if isinstance(e, ClientResponseError)), None)
    if status is not None:
        return f"HTTP status {status.status} {status.message}".strip()
    deepest = causes[-1]
    said = " ".join(str(deepest).split())[:200] or type(deepest).__name__
    if isinstance(deepest, ValueError):
        # asn1crypto could not parse the body.
        return f"the answer is not a timestamp response ({said})"
    return said


def _chain(error: BaseException) -> list[BaseException]:
    # Explicit causes only: the implicit context of an error raised inside
    # pyHanko's own ``except`` blocks is unrelated (a cache miss).
    chain = [error]
    while True:
        cause = chain[-1].__cause__
        if cause is None or cause in chain:
            return chain
        chain.append(cause)
