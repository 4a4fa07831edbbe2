"""Where the hub may post: HTTPS endpoints on public addresses only.

An endpoint is refused when its host resolves to an address the hub must
never reach on an agency's behalf (server-side request forgery): private,
loopback, link-local (169.254.169.254, the cloud metadata address, is one),
unique-local (fd00:ec2::254 is another), shared CGNAT space (100.100.100.200
is a third), multicast, unspecified or reserved, including such an IPv4
address inside an IPv6 one (mapped, NAT64, 6to4). Every address the name
resolves to is checked, not only the first. The configuration may allow
ranges (``delivery.push_allowed_networks``), which tests use for loopback.

The check runs at registration and again before each delivery (the name may
now resolve elsewhere: DNS rebinding); the delivery then connects to the
addresses just checked (see :mod:`edocx.delivery.transport`).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from edocx.delivery.errors import PushEndpointRefusedError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_MAX_URL = 2048

# Ranges refused besides what ``is_global`` leaves out; Python's tables
# differ between versions, so the ones that matter most are named here.
_REFUSED = tuple(
    ipaddress.ip_network(net)
    for net in (
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8",
        "169.254.0.0/16", "172.16.0.0/12", "192.0.0.0/24", "192.168.0.0/16",
        "198.18.0.0/15", "224.0.0.0/4", "240.0.0.0/4", "255.255.255.255/32",
        "::/128", "::1/128", "fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8",
        "64:ff9b:1::/48", "100::/64", "2001:db8::/32",
    )
)  # fmt: skip

# IPv6 prefixes that carry an IPv4 address: NAT64 (RFC 6052), 6to4.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_SIX_TO_FOUR = ipaddress.ip_network("2002::/16")


@dataclass(frozen=True)
class Target:
    """An endpoint's URL taken apart."""

    url: str
    host: str
    port: int


@dataclass(frozen=True)
class Resolved:
    """A host's addresses, every one of them checked."""

    host: str
    port: int
    addresses: tuple[tuple[socket.AddressFamily, str], ...]


def parse_endpoint(url: str) -> Target:
    """Return the parts of an HTTPS endpoint; refuse any other form."""
    if len(url) > _MAX_URL or not url.isprintable():
        raise PushEndpointRefusedError("the endpoint is not a usable URL")
    parts = urlsplit(url)
    if parts.scheme != "https":
        raise PushEndpointRefusedError(
            "the endpoint must be an https:// URL", hint="serve the endpoint over TLS"
        )
    if parts.username is not None or parts.password is not None or parts.fragment:
        raise PushEndpointRefusedError(
            "the endpoint URL may not hold credentials or a fragment",
            hint="messages are signed with the shared secret instead",
        )
    try:
        host, port = parts.hostname, parts.port or 443
    except ValueError as e:
        raise PushEndpointRefusedError(f"the endpoint's port is invalid: {e}") from e
    if not host:
        raise PushEndpointRefusedError("the endpoint URL names no host")
    return Target(url, host.rstrip("."), port)


def refusal(address: IPAddress, allowed: Sequence[IPNetwork]) -> str | None:
    """Say why ``address`` is refused; None when the hub may post to it."""
    if any(address in net for net in allowed if net.version == address.version):
        return None
    embedded = _embedded_ipv4(address)
    if embedded is not None:
        reason = refusal(embedded, allowed)
        return None if reason is None else f"{address} carries {embedded}: {reason}"
    for net in _REFUSED:
        if net.version == address.version and address in net:
            return f"{address} is in {net}, which is not public"
    if not address.is_global or address.is_multicast:
        return f"{address} is not public"
    return None


def _embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address.sixtofour


async def resolve_checked(target: Target, allowed: Sequence[IPNetwork]) -> Resolved:
    """Resolve the endpoint's host and check every address; refuse if any fails.

    An IP literal is checked as it is, without asking any resolver.
    """
    literal = _literal(target.host)
    if literal is not None:
        found = [literal]
    else:
        found = await _lookup(target.host, target.port)
    for address in found:
        reason = refusal(address, allowed)
        if reason is not None:
            raise PushEndpointRefusedError(
                f"the endpoint's host {target.host} resolves to a refused address:"
                f" {reason}",
                hint="use an endpoint on a public address (delivery."
                "push_allowed_networks lists ranges allowed besides)",
            )
    families = tuple(
        (socket.AF_INET6 if a.version == 6 else socket.AF_INET, str(a)) for a in found
    )
    return Resolved(target.host, target.port, families)


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return None


async def _lookup(host: str, port: int) -> list[IPAddress]:
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
        )
    except OSError as e:
        raise PushEndpointRefusedError(
            f"the endpoint's host {host} does not resolve: {e.strerror or e}"
        ) from e
    found: list[IPAddress] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in found:
            found.append(address)
    if not found:
        raise PushEndpointRefusedError(f"the endpoint's host {host} has no address")
    return found
