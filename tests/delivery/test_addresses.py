"""Endpoints on refused addresses: refused at registration and at delivery.

Every refusal here happens before any connection and, for an IP literal,
before any resolver is asked: an audit hook (PEP 578) watches the process's
``socket.connect`` and ``socket.getaddrinfo`` events and the tests assert
that none names the refused host. Only loopback is ever contacted.
"""

from __future__ import annotations

import ipaddress
import socket
import sys
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import pytest_asyncio

from edocx.delivery import transport
from edocx.delivery.addresses import parse_endpoint, resolve_checked
from edocx.delivery.errors import PushEndpointRefusedError
from tests.web.hubkit import B, Hub, problem

from .conftest import LOOPBACK, ok
from .receiver import PushCA, Receiver

pytestmark = pytest.mark.asyncio(loop_scope="module")

REFUSED_HOSTS = (
    "10.0.0.1", "172.16.0.1", "192.168.1.10",  # private
    "169.254.169.254",  # link-local: the cloud metadata address
    "[fd00:ec2::254]",  # unique-local: the IPv6 metadata address
    "100.100.100.200",  # CGNAT (shared address space): another metadata address
    "[fe80::1]", "224.0.0.1", "[ff02::1]",  # link-local, multicast
    "0.0.0.0", "240.0.0.1", "192.0.2.1",  # unspecified, reserved, documentation
    "[::ffff:169.254.169.254]", "[64:ff9b::a9fe:a9fe]",  # IPv4 inside IPv6
)  # fmt: skip


class SocketWatch:
    """Records the hosts of socket connects and lookups while armed."""

    def __init__(self) -> None:
        self.armed = False
        self.seen: list[str] = []

    def __call__(self, event: str, args: tuple[Any, ...]) -> None:
        if not self.armed:
            return
        if event == "socket.connect" and isinstance(args[1], tuple):
            self.seen.append(str(args[1][0]))
        elif event == "socket.getaddrinfo":
            self.seen.append(str(args[0]))

    def saw(self, host: str) -> bool:
        bare = host.strip("[]")
        return any(bare in seen or seen in bare for seen in self.seen if seen)


_WATCH = SocketWatch()
sys.addaudithook(_WATCH)


@pytest.fixture
def watch() -> Iterator[SocketWatch]:
    _WATCH.seen.clear()
    _WATCH.armed = True
    yield _WATCH
    _WATCH.armed = False


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def receiver(test_ca: PushCA) -> AsyncIterator[Receiver]:
    found = Receiver(test_ca, secret="s" * 32)
    await found.start()
    yield found
    await found.stop()


@pytest.mark.parametrize("host", REFUSED_HOSTS)
async def test_registration_refuses_address(
    hub: Hub, host: str, watch: SocketWatch
) -> None:
    url = f"https://{host}/edocx"
    response = await hub.post(
        ("b", "system"), f"/agencies/{B}/push-endpoint", json={"url": url}
    )
    body = await problem(response, 422, "push-endpoint-refused")
    assert "not public" in body["detail"] or "carries" in body["detail"]
    assert not watch.saw(host), watch.seen


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:9/x", "https://user:pw@127.0.0.1/x", "https://127.0.0.1/x#f",
     "ftp://127.0.0.1/", "https:///nohost", "https://127.0.0.1:99999/"],
)  # fmt: skip
async def test_registration_refuses_form(
    hub: Hub, url: str, watch: SocketWatch
) -> None:
    response = await hub.post(
        ("b", "system"), f"/agencies/{B}/push-endpoint", json={"url": url}
    )
    await problem(response, 422, "push-endpoint-refused")
    # Refused by its form: nothing looked up, no connection but the test
    # client's own to the hub.
    assert all(seen == "127.0.0.1" for seen in watch.seen), watch.seen


async def test_loopback_is_refused_unless_allowed(watch: SocketWatch) -> None:
    for host in ("127.0.0.1", "[::1]", "localhost"):
        target = parse_endpoint(f"https://{host}:8443/x")
        with pytest.raises(PushEndpointRefusedError):
            await resolve_checked(target, [])
        resolved = await resolve_checked(target, _loopback())
        assert resolved.addresses
        assert all(ipaddress.ip_address(a).is_loopback for _, a in resolved.addresses)
    assert not any(seen not in ("localhost", "127.0.0.1", "::1") for seen in watch.seen)


async def test_each_delivery_checks_again(
    receiver: Receiver, test_ca: PushCA, watch: SocketWatch
) -> None:
    # What was allowed at registration may not be at delivery (DNS rebinding,
    # a changed configuration): the post is refused before connecting.
    tls = transport.tls_context(test_ca.ca_path)
    refused = await transport.post(
        receiver.url, b"{}", {}, allowed=[], tls=tls, timeout_s=5
    )
    assert not refused.ok and refused.outcome.startswith("refused: ")
    assert receiver.requests == [] and watch.seen == []

    # By name, the connection goes to the address just checked; TLS checks
    # the name against the receiver's certificate.
    by_name = receiver.url.replace("127.0.0.1", "localhost")
    answer = await transport.post(
        by_name, b"{}", {}, allowed=_loopback(), tls=tls, timeout_s=5
    )
    assert len(receiver.requests) == 1
    assert answer.outcome == "401: bad signature"
    # The watch sees connections: the refusals above are not vacuous.
    assert "127.0.0.1" in watch.seen


async def test_tls_is_verified(receiver: Receiver, watch: SocketWatch) -> None:
    # The system's CAs do not know the test CA: the handshake fails, so no
    # request reaches the receiver.
    before = len(receiver.requests)
    answer = await transport.post(
        receiver.url, b"{}", {}, allowed=_loopback(),
        tls=transport.tls_context(None), timeout_s=5,
    )  # fmt: skip
    assert not answer.ok and "Certificate" in answer.outcome
    assert len(receiver.requests) == before


def _loopback() -> list[Any]:
    return [ipaddress.ip_network(net) for net in LOOPBACK]


async def test_endpoint_routes_check_roles(hub: Hub) -> None:
    path = f"/agencies/{B}/push-endpoint"
    # A clerk may not, another agency's system may not, the hub's admin may.
    response = await hub.post(("b", "clerk"), path, json={"url": "https://x"})
    await problem(response, 403, "role-not-allowed")
    response = await hub.post(("a", "system"), path, json={"url": "https://x"})
    await problem(response, 403, "action-not-allowed")
    response = await hub.post(("hub", "admin"), path, json={"url": "http://x"})
    await problem(response, 422, "push-endpoint-refused")
    short = {"url": "https://127.0.0.1/x", "secret": "too short"}
    await problem(await hub.post(("b", "system"), path, json=short), 422,
                  "push-endpoint-refused")  # fmt: skip
    missing = await hub.post(("hub", "admin"), "/agencies/000.00.00.Z99/push-endpoint",
                             json={"url": "https://127.0.0.1/x"})  # fmt: skip
    await problem(missing, 404, "agency-not-found")
    assert (await ok(await hub.get(("b", "system"), "/agencies")))["items"]


async def test_openapi_declares_the_path_parameters(hub: Hub) -> None:
    spec = await ok(await hub.client.get("/api/v1/openapi.json"))
    for path, name in (
        ("/api/v1/agencies/{organ_id}/push-endpoint", "organ_id"),
        ("/api/v1/push/dead-letters/{message_id}/resend", "message_id"),
        ("/api/v1/pull/{document_id}/ack", "document_id"),
    ):
        for operation in spec["paths"][path].values():
            declared = [p["name"] for p in operation["parameters"] if p["in"] == "path"]
            assert declared == [name], (path, declared)


async def test_the_connection_uses_the_checked_addresses_only() -> None:
    checked = await resolve_checked(
        parse_endpoint("https://localhost:8443/x"), _loopback()
    )
    resolver = transport.PinnedResolver(checked)
    answers = await resolver.resolve("localhost", 8443, socket.AF_UNSPEC)
    assert {a["host"] for a in answers} == {a for _, a in checked.addresses}
    assert all(a["hostname"] == "localhost" and a["port"] == 8443 for a in answers)
    # Any other name is not looked up at all.
    with pytest.raises(OSError):
        await resolver.resolve("elsewhere.invalid", 80, socket.AF_UNSPEC)
