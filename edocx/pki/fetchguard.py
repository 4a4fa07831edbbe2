"""Where the hub may fetch OCSP responses, CRLs and certificates from.

The addresses of a revocation fetch come from certificates (AIA and CRL
distribution points), and a certificate may come with a document: whoever
made the file chooses them. The hub must not be made to reach its own
network that way (server-side request forgery), so a fetch is refused,
before any connection, when its host is or resolves to a private, loopback,
link-local (the cloud metadata addresses among them), shared, multicast or
reserved address; the ranges are those push endpoints are checked against
(:func:`edocx.delivery.addresses.refusal`).

Two allowances: ranges the configuration names, and the origins (scheme,
host, port) of the services the operator configured itself, such as the
TSA: the development PKI answers OCSP and CRL requests on the same origin,
on loopback in demo mode and in the tests. Every address a name resolves
to is checked, at the moment of connecting (no window for DNS rebinding);
an IP literal, which no resolver sees, is checked before the request.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import ssl
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import NoReturn
from urllib.parse import urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.client_middlewares import ClientHandlerType, ClientMiddlewareType
from asn1crypto import x509
from yarl import URL

from edocx.delivery.addresses import IPNetwork, refusal

logger = logging.getLogger(__name__)

# TODO(#8): the verifier's own fetching (edocx.verification.trust, used by
# the check of the hub's output after signing) still goes through pyHanko's
# default fetchers; it reaches only addresses of certificates on a path to
# a trusted anchor, but should pass through this guard as well.

_DEFAULT_PORTS = {"http": 80, "https": 443}


class FetchAddressRefusedError(aiohttp.ClientConnectionError):
    """A fetch named an address the hub does not reach; nothing was sent.

    A client error, so that pyHanko's fetchers take it as a fetch that
    failed: the revocation status stays unknown, never assumed good.
    """


@dataclass(frozen=True)
class FetchPolicy:
    """The ranges and the origins a fetch may reach besides public ones."""

    allowed_networks: tuple[IPNetwork, ...] = ()
    allowed_origins: frozenset[tuple[str, int]] = field(default_factory=frozenset)

    @classmethod
    def trusting(
        cls,
        urls: Iterable[str],
        certificates: Iterable[x509.Certificate] = (),
        networks: Sequence[IPNetwork] = (),
    ) -> FetchPolicy:
        """A policy that also allows the origins of the configured ``urls``
        (the TSAs) and of the services the configured ``certificates`` (the
        trust anchors and intermediates) name for their own revocation."""
        named = [address for cert in certificates for address in _named_by(cert)]
        origins = {_origin(url) for url in (*urls, *named)}
        found = frozenset(origin for origin in origins if origin is not None)
        return cls(tuple(networks), found)

    def reason(self, host: str, port: int, address: str) -> str | None:
        """Say why ``address`` (of ``host``) is refused; None if allowed."""
        if (host.lower().rstrip("."), port) in self.allowed_origins:
            return None
        try:
            ip = ipaddress.ip_address(address.split("%", 1)[0])
        except ValueError:
            return f"{address} is not an IP address"
        return refusal(ip, self.allowed_networks)


def _named_by(cert: x509.Certificate) -> list[str]:
    return [
        *(point.url for point in cert.crl_distribution_points if point.url),
        *cert.ocsp_urls,
    ]


def _origin(url: str) -> tuple[str, int] | None:
    parts = urlsplit(url)
    try:
        port = parts.port or _DEFAULT_PORTS.get(parts.scheme)
    except ValueError:
        return None
    if not parts.hostname or port is None:
        return None
    return parts.hostname.lower().rstrip("."), port


def check_url(url: URL, policy: FetchPolicy) -> None:
    """Refuse a URL whose scheme is not HTTP(S) or whose IP literal is refused.

    A host name is checked when it is resolved (:class:`GuardedResolver`).
    """
    host = url.host
    if url.scheme not in _DEFAULT_PORTS or not host:
        _refuse(str(url), "only http:// and https:// addresses are fetched")
    port = url.port or _DEFAULT_PORTS[url.scheme]
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return  # a name: the resolver checks what it resolves to
    reason = policy.reason(host, port, host)
    if reason is not None:
        _refuse(str(url), reason)


def _refuse(url: str, reason: str) -> NoReturn:
    shown = url.split("?", 1)[0][:200]
    logger.warning("refused to fetch %s: %s", shown, reason)
    raise FetchAddressRefusedError(f"refused to fetch {shown}: {reason}")


class GuardedResolver(AbstractResolver):
    """A resolver that answers only when every address of a name is allowed."""

    def __init__(self, policy: FetchPolicy) -> None:
        self._policy = policy
        self._inner = aiohttp.ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        found = await self._inner.resolve(host, port, family)
        for result in found:
            reason = self._policy.reason(host, port, result["host"])
            if reason is not None:
                _refuse(f"//{host}:{port}", f"{host} resolves to {reason}")
        return found

    async def close(self) -> None:
        await self._inner.close()


def guard_middleware(policy: FetchPolicy) -> ClientMiddlewareType:
    """Return a client middleware that checks each request's URL first."""

    async def guard(
        request: aiohttp.ClientRequest, handler: ClientHandlerType
    ) -> aiohttp.ClientResponse:
        check_url(request.url, policy)
        return await handler(request)

    return guard


def guarded_session(
    policy: FetchPolicy, *, tls: ssl.SSLContext | bool = True,
    response_class: type[aiohttp.ClientResponse] = aiohttp.ClientResponse,
) -> aiohttp.ClientSession:  # fmt: skip
    """A session whose every request and name resolution obeys ``policy``."""
    connector = aiohttp.TCPConnector(ssl=tls, resolver=GuardedResolver(policy))
    return aiohttp.ClientSession(
        connector=connector,
        response_class=response_class,
        middlewares=(guard_middleware(policy),),
    )
