"""HTTPS with TLS client certificates of agencies' systems, on loopback.

The hub serves HTTPS with a certificate of a CA made for the test (as a
receiving system's in tests/delivery); the client certificates are the
development PKI's: agency A's seal certificate registered for A's system,
agency B's seal certificate (valid, never registered), and the revoked
signer's certificate, listed on the issuing CA's CRL that the test fetches
from the PKI's own service on loopback.
"""

from __future__ import annotations

import asyncio
import json
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web
from cryptography import x509

from edocx.cli import main
from edocx.config import HTTPSettings, Settings
from edocx.pki.devpki import PKILayout
from edocx.store.db import Database
from edocx.store.users import register_client_certificate
from edocx.web.app import create_app
from edocx.web.clientcerts import certificate_digest, server_ssl_context
from edocx.web.server import free_loopback_port
from tests.delivery.receiver import PushCA, make_push_ca
from tests.web.hubkit import hub_settings, seed_demo

pytestmark = pytest.mark.asyncio(loop_scope="module")

REGISTERED, UNREGISTERED, REVOKED = "seal-a", "seal-b", "person-a-revoked"


@dataclass
class TLSHub:
    url: str
    settings: Settings
    server_ca: PushCA
    pki: PKILayout
    passphrase: bytes
    tokens: dict[str, dict[str, str]]

    def client(self, label: str | None) -> ssl.SSLContext:
        """A client context trusting the hub, with the PKI's certificate
        ``label`` and its key (or a foreign one for "foreign")."""
        context = ssl.create_default_context(cafile=self.server_ca.ca_path)
        if label == "foreign":
            context.load_cert_chain(self.server_ca.cert_path, self.server_ca.key_path)
        elif label is not None:
            context.load_cert_chain(
                self.pki.cert_path(label), self.pki.key_path(label),
                password=self.passphrase,
            )  # fmt: skip
        return context

    async def me(
        self, label: str | None, headers: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        connector = aiohttp.TCPConnector(ssl=self.client(label))
        async with (
            aiohttp.ClientSession(connector=connector) as session,
            session.get(self.url + "api/v1/me", headers=headers or {}) as response,
        ):
            return response.status, await response.json(content_type=None)


def _crl_address(pki: PKILayout, label: str) -> str:
    cert = x509.load_pem_x509_certificate(pki.cert_path(label).read_bytes())
    points = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints)
    name = points.value[0].full_name
    assert name is not None
    address = str(name[0].value)
    # The development PKI runs on loopback for the tests; nothing else is
    # fetched here.
    assert address.startswith("http://127.0.0.1:"), address
    return address


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def tls_hub(
    module_settings: Settings,
    dev_pki: PKILayout,
    passphrase: bytes,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[TLSHub]:
    folder = tmp_path_factory.mktemp("tls")
    server_ca = make_push_ca(folder)
    crl = folder / "issuing.crl"
    async with (
        aiohttp.ClientSession() as session,
        session.get(_crl_address(dev_pki, REVOKED)) as answer,
    ):
        assert answer.status == 200
        crl.write_bytes(await answer.read())

    port = free_loopback_port()
    http = HTTPSettings(
        host="127.0.0.1", port=port, tls_cert=server_ca.cert_path,
        tls_key=server_ca.key_path,
        tls_client_cas=[dev_pki.root_cert_path, *dev_pki.chain_cert_paths],
        tls_client_crls=[crl],
    )  # fmt: skip
    settings = hub_settings(module_settings, folder / "var").model_copy(
        update={"http": http}
    )
    tokens = await seed_demo(settings)
    runner = web.AppRunner(create_app(settings))
    await runner.setup()
    site = web.TCPSite(
        runner, "127.0.0.1", port, ssl_context=server_ssl_context(settings.http)
    )
    await site.start()
    try:
        yield TLSHub(
            f"https://127.0.0.1:{port}/", settings, server_ca, dev_pki, passphrase,
            tokens,
        )  # fmt: skip
    finally:
        await runner.cleanup()


async def _cli(hub: TLSHub, *argv: str) -> int:
    # As the operator runs it, against the hub's var directory.
    def run() -> int:
        return main(list(argv))

    return await asyncio.to_thread(run)


@pytest.fixture
def operator_env(tls_hub: TLSHub, monkeypatch: pytest.MonkeyPatch) -> None:
    # The command reads the hub's own settings: its var directory, and the
    # CAs that register checks a certificate's issuer against.
    http = tls_hub.settings.http
    monkeypatch.setenv("EDOCX_STORAGE__VAR_DIR", str(tls_hub.settings.storage.var_dir))
    monkeypatch.setenv("EDOCX_HTTP__TLS_CERT", str(http.tls_cert))
    monkeypatch.setenv("EDOCX_HTTP__TLS_KEY", str(http.tls_key))
    cas = json.dumps([str(path) for path in http.tls_client_cas])
    monkeypatch.setenv("EDOCX_HTTP__TLS_CLIENT_CAS", cas)


async def _system_id(hub: TLSHub, agency: str) -> int:
    token = hub.tokens[agency]["system"]
    status, body = await hub.me(None, {"Authorization": "Bearer " + token})
    assert status == 200, body
    return int(body["id"])


async def test_a_registered_certificate_logs_in_as_its_system(
    tls_hub: TLSHub, operator_env: None
) -> None:
    system = await _system_id(tls_hub, "a")
    assert (await tls_hub.me(REGISTERED))[0] == 401  # not yet registered

    cert = str(tls_hub.pki.cert_path(REGISTERED))
    assert await _cli(tls_hub, "clientcert", "register", str(system), cert) == 0
    status, body = await tls_hub.me(REGISTERED)
    assert (status, body["id"], body["role"]) == (200, system, "system")


async def test_a_valid_but_unregistered_certificate_gets_401(tls_hub: TLSHub) -> None:
    status, body = await tls_hub.me(UNREGISTERED)
    assert (status, body["type"].rsplit("/", 1)[1]) == (401, "unauthenticated")


async def test_only_systems_may_register_a_certificate(
    tls_hub: TLSHub, operator_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    token = tls_hub.tokens["b"]["signer"]
    _, me = await tls_hub.me(None, {"Authorization": "Bearer " + token})
    cert = str(tls_hub.pki.cert_path(UNREGISTERED))
    assert await _cli(tls_hub, "clientcert", "register", str(me["id"]), cert) == 1
    assert f"user {me['id']} is a signer, not an agency's system" in (
        capsys.readouterr().err
    )
    auditor = tls_hub.tokens["hub"]["auditor"]
    _, me = await tls_hub.me(None, {"Authorization": "Bearer " + auditor})
    assert await _cli(tls_hub, "clientcert", "register", str(me["id"]), cert) == 1
    assert "is an auditor, not" in capsys.readouterr().err
    assert (await tls_hub.me(UNREGISTERED))[0] == 401


@pytest.mark.parametrize("label", [REVOKED, "foreign"])
async def test_revoked_and_unknown_certificates_end_the_handshake(
    tls_hub: TLSHub, operator_env: None, label: str
) -> None:
    if label == REVOKED:
        # Registered as well, the CRL refuses it all the same. The command
        # would refuse a personal certificate (it names no agency's code),
        # so it is entered as an operator's database would hold it.
        await _register_directly(tls_hub, await _system_id(tls_hub, "a"), REVOKED)
    with pytest.raises(aiohttp.ClientError):
        await tls_hub.me(label)


async def _register_directly(hub: TLSHub, user: int, label: str) -> None:
    cert = x509.load_pem_x509_certificate(hub.pki.cert_path(label).read_bytes())
    db = Database(hub.settings.storage.db_path)
    await db.open()
    try:
        async with db.write() as tx:
            await register_client_certificate(
                tx, user, sha256=certificate_digest(cert),
                subject=cert.subject.rfc4514_string(),
                not_after=cert.not_valid_after_utc, at=datetime.now(UTC),
            )  # fmt: skip
    finally:
        await db.close()


async def test_a_withdrawn_certificate_gets_401_and_tokens_still_work(
    tls_hub: TLSHub, operator_env: None
) -> None:
    cert = str(tls_hub.pki.cert_path(REGISTERED))
    system = await _system_id(tls_hub, "a")
    if (await tls_hub.me(REGISTERED))[0] != 200:
        assert await _cli(tls_hub, "clientcert", "register", str(system), cert) == 0
    assert (await tls_hub.me(REGISTERED))[0] == 200

    assert await _cli(tls_hub, "clientcert", "revoke", cert) == 0
    assert (await tls_hub.me(REGISTERED))[0] == 401
    token = {"Authorization": "Bearer " + tls_hub.tokens["a"]["clerk"]}
    status, body = await tls_hub.me(REGISTERED, token)
    assert (status, body["role"]) == (200, "clerk")


async def test_plain_http_settings_serve_no_tls(tmp_path: Path) -> None:
    assert server_ssl_context(HTTPSettings()) is None
    with pytest.raises(ValueError, match="go together"):
        HTTPSettings(tls_cert=tmp_path / "cert.pem")


async def test_token_revoke_locks_a_system_out_of_both_ways_in(
    tls_hub: TLSHub, operator_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    system, cert = await _system_id(tls_hub, "b"), UNREGISTERED
    path = str(tls_hub.pki.cert_path(cert))
    assert await _cli(tls_hub, "clientcert", "register", str(system), path) == 0
    digest = capsys.readouterr().out.strip()
    assert (await tls_hub.me(cert))[0] == 200

    assert await _cli(tls_hub, "token", "revoke", str(system)) == 0

    err = capsys.readouterr().err
    assert "token revoked" in err
    assert f"client certificate {digest} withdrawn" in err
    assert (await tls_hub.me(cert))[0] == 401
    token = {"Authorization": "Bearer " + tls_hub.tokens["b"]["system"]}
    assert (await tls_hub.me(None, token))[0] == 401
    # Again: nothing left to withdraw, and it says so.
    assert await _cli(tls_hub, "token", "revoke", str(system)) == 0
    err = capsys.readouterr().err
    assert "token already revoked" in err and "withdrawn" not in err
