"""Addresses taken from certificates are refused without being contacted.

A certificate may come with a document, and names the addresses its
revocation data is fetched from (CRL distribution points, AIA OCSP and
caIssuers). The fetchers the hub signs and augments with refuse private,
loopback, link-local and metadata addresses before any connection, except
the origins of the services the operator configured (the TSA and what the
trust anchors name). Loopback is the one range a test can watch: a listener
there counts connections, and sees none for a refused fetch, and one when
the same address is allowed (so the count would catch a contact).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import AuthorityInformationAccessOID, NameOID
from yarl import URL

from edocx.config import Settings
from edocx.pki.devpki import PKILayout, tsa_url
from edocx.pki.fetchguard import (
    FetchAddressRefusedError,
    FetchPolicy,
    GuardedResolver,
    check_url,
)
from edocx.signing.tsaclient import revocation_fetchers
from edocx.web.server import free_loopback_port

REFUSED_LITERALS = [
    "http://169.254.169.254/latest/meta-data/",  # cloud metadata
    "http://[fd00:ec2::254]/",  # cloud metadata over IPv6
    "http://100.100.100.200/",  # CGNAT metadata
    "http://10.1.2.3/crl",
    "http://192.168.1.1:8080/ocsp",
    "http://172.16.0.1/",
    "http://127.0.0.1:9/",
    "http://[::1]:9/",
    "http://[::ffff:169.254.169.254]/",
    "http://0.0.0.0/",
    "http://[fe80::1]/",
]


@pytest.mark.parametrize("address", REFUSED_LITERALS)
def test_private_literals_are_refused_before_any_request(address: str) -> None:
    with pytest.raises(FetchAddressRefusedError, match="refused to fetch"):
        check_url(URL(address), FetchPolicy())


@pytest.mark.parametrize("address", ["file:///etc/passwd", "ftp://192.0.2.7/x.crl"])
def test_other_schemes_are_refused(address: str) -> None:
    with pytest.raises(FetchAddressRefusedError, match="only http"):
        check_url(URL(address), FetchPolicy())


def test_configured_origins_are_allowed_and_nothing_else() -> None:
    policy = FetchPolicy.trusting(["http://127.0.0.1:8080/pki/tsa"])
    check_url(URL("http://127.0.0.1:8080/pki/ocsp"), policy)
    for other in ("http://127.0.0.1:8081/", "http://127.0.0.2:8080/"):
        with pytest.raises(FetchAddressRefusedError):
            check_url(URL(other), policy)


async def test_a_name_resolving_to_loopback_is_refused() -> None:
    # localhost resolves from the hosts file, on this machine.
    resolver = GuardedResolver(FetchPolicy())
    try:
        with pytest.raises(FetchAddressRefusedError, match="localhost resolves"):
            await resolver.resolve("localhost", 80)
    finally:
        await resolver.close()


class Listener:
    """A TCP listener on loopback that counts the connections it gets."""

    def __init__(self) -> None:
        self.port = free_loopback_port()
        self.connections = 0
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._answer, "127.0.0.1", self.port)

    async def _answer(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.connections += 1
        writer.write(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()
        writer.close()

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest_asyncio.fixture
async def listener() -> AsyncIterator[Listener]:
    found = Listener()
    await found.start()
    yield found
    await found.stop()


def _certificates(base: str) -> tuple[asn1_x509.Certificate, asn1_x509.Certificate]:
    """A CA and a leaf whose CRL, OCSP and caIssuers addresses are at ``base``."""
    now = datetime.now(UTC)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Address test CA")])
    leaf_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Address test")])
    ca = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(1)
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    access = x509.AuthorityInformationAccess([
        x509.AccessDescription(AuthorityInformationAccessOID.OCSP,
                               x509.UniformResourceIdentifier(base + "/ocsp")),
        x509.AccessDescription(AuthorityInformationAccessOID.CA_ISSUERS,
                               x509.UniformResourceIdentifier(base + "/ca.crt")),
    ])  # fmt: skip
    points = x509.CRLDistributionPoints([
        x509.DistributionPoint([x509.UniformResourceIdentifier(base + "/ca.crl")],
                               None, None, None),
    ])  # fmt: skip
    leaf = (
        x509.CertificateBuilder().subject_name(leaf_name).issuer_name(name)
        .public_key(key.public_key()).serial_number(2)
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(access, False).add_extension(points, False)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    der = serialization.Encoding.DER
    return (
        asn1_x509.Certificate.load(ca.public_bytes(der)),
        asn1_x509.Certificate.load(leaf.public_bytes(der)),
    )


async def _fetch_all(
    base: str, tsa_urls: Sequence[str], cert_paths: Sequence[Path] = ()
) -> list[BaseException]:
    """Fetch the leaf's CRL, OCSP answer and issuer; return the failures."""
    from pyhanko_certvalidator.authority import AuthorityWithCert

    ca, leaf = _certificates(base)
    owned = revocation_fetchers(tsa_urls, cert_paths)
    fetchers = owned.backend.get_fetchers()
    failures: list[BaseException] = []
    calls = (
        lambda: fetchers.crl_fetcher.fetch(leaf),
        lambda: fetchers.ocsp_fetcher.fetch(leaf, AuthorityWithCert(ca)),
        lambda: _issuers(fetchers.cert_fetcher, leaf),
    )
    try:
        for call in calls:
            try:
                await call()
            except Exception as e:
                failures.append(e)
    finally:
        await owned.backend.close()
    return failures


async def _issuers(fetcher: Any, leaf: asn1_x509.Certificate) -> None:
    async for _ in fetcher.fetch_cert_issuers(leaf):
        pass


def _refused(error: BaseException) -> bool:
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, FetchAddressRefusedError) or "refused to fetch" in str(
            seen
        ):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _assert_all_refused(
    base: str, failures: list[BaseException], caplog: pytest.LogCaptureFixture
) -> None:
    # The issuer fetch logs and skips a failure instead of raising it.
    assert len(failures) == 2 and all(_refused(e) for e in failures), failures
    refused = [r.getMessage() for r in caplog.records
               if r.name == "edocx.pki.fetchguard"]  # fmt: skip
    for path in ("/ca.crl", "/ocsp", "/ca.crt"):
        assert [m for m in refused if f"refused to fetch {base}{path}" in m], refused


async def test_addresses_from_a_certificate_are_not_contacted(
    listener: Listener, test_settings: Settings, dev_pki: PKILayout,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    failures = await _fetch_all(
        listener.url, [tsa_url(test_settings)], [dev_pki.root_cert_path]
    )
    _assert_all_refused(listener.url, failures, caplog)
    assert listener.connections == 0


async def test_the_listener_sees_a_fetch_that_is_allowed(listener: Listener) -> None:
    # The same fetches with the listener's origin configured: they reach it.
    await _fetch_all(listener.url, [listener.url + "/tsa"])
    assert listener.connections >= 1


async def test_the_metadata_address_in_a_certificate_is_refused(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Refused before any connection: the check runs ahead of the request.
    base = "http://169.254.169.254/latest/meta-data"
    _assert_all_refused(base, await _fetch_all(base, []), caplog)
