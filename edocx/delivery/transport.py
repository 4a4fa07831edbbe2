"""One POST of a push message to an agency's endpoint.

The host is resolved and every address checked just before the post
(:func:`edocx.delivery.addresses.resolve_checked`), and the connection goes
to those very addresses: the client's resolver is pinned to them, so a name
that changes between the check and the connection changes nothing. TLS is
verified against the configured CA bundle, with the endpoint's host name.
Redirects are not followed (a 3xx is a failed attempt) and the answer's
body is never read past a few kilobytes.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult

from edocx.delivery.addresses import (
    IPNetwork,
    Resolved,
    parse_endpoint,
    resolve_checked,
)
from edocx.delivery.errors import PushEndpointRefusedError
from edocx.store.db import assert_no_write_transaction

# Enough to log why an endpoint refused; the rest is not read.
_ANSWER_LIMIT = 4096


@dataclass(frozen=True)
class PostResult:
    ok: bool
    outcome: str  # "200", "503: busy", "refused: ...", "error: ..."


class PinnedResolver(AbstractResolver):
    """A resolver that answers with addresses checked beforehand, only."""

    def __init__(self, resolved: Resolved) -> None:
        self._resolved = resolved

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        if host.rstrip(".") != self._resolved.host:
            raise OSError(f"{host} was not checked")
        return [
            ResolveResult(
                hostname=host,
                host=address,
                port=port,
                family=fam,
                proto=socket.IPPROTO_TCP,
                flags=socket.AI_NUMERICHOST,
            )
            for fam, address in self._resolved.addresses
            if family in (socket.AF_UNSPEC, fam)
        ]

    async def close(self) -> None:
        return None


def tls_context(ca_bundle: Path | None) -> ssl.SSLContext:
    """Return the client TLS context: the bundle's CAs, else the system's."""
    context = ssl.create_default_context(
        cafile=None if ca_bundle is None else str(ca_bundle)
    )
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


async def post(
    url: str, body: bytes, headers: dict[str, str], *,
    allowed: Sequence[IPNetwork], tls: ssl.SSLContext, timeout_s: float,
) -> PostResult:  # fmt: skip
    """Post ``body`` to ``url`` after checking where it goes; never raise."""
    assert_no_write_transaction("a push to an endpoint")
    try:
        resolved = await resolve_checked(parse_endpoint(url), allowed)
    except PushEndpointRefusedError as e:
        return PostResult(False, f"refused: {e.detail}")

    connector = aiohttp.TCPConnector(
        resolver=PinnedResolver(resolved), use_dns_cache=False, force_close=True,
        ssl=tls, limit=1,
    )  # fmt: skip
    timeout = aiohttp.ClientTimeout(total=timeout_s)
    try:
        async with aiohttp.ClientSession(
            connector=connector, timeout=timeout, auto_decompress=False
        ) as http:
            return await _send(http, url, body, headers)
    except (aiohttp.ClientError, TimeoutError, OSError) as e:
        return PostResult(False, f"error: {type(e).__name__}: {e}"[:300])


async def _send(
    http: aiohttp.ClientSession, url: str, body: bytes, headers: dict[str, str]
) -> PostResult:
    async with http.post(
        url, data=body, headers=headers, allow_redirects=False
    ) as answer:
        if 200 <= answer.status < 300:
            return PostResult(True, str(answer.status))
        text = await answer.content.read(_ANSWER_LIMIT)
        said = text.decode("utf-8", "replace").strip().replace("\n", " ")[:200]
        return PostResult(
            False, f"{answer.status}: {said}" if said else str(answer.status)
        )
