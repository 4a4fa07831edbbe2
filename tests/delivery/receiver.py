"""A receiving system for push tests: TLS on loopback, HMAC checked.

Its certificate comes from a CA made here with cryptography, valid for
localhost, 127.0.0.1 and ::1; the hub trusts that CA through
``delivery.push_ca_bundle``. The receiver does what an agency's system
should: it checks the signature and the timestamp, keeps each message id
once, and answers 2xx only for what it kept.
"""

from __future__ import annotations

import ipaddress
import ssl
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from edocx.delivery import signature
from edocx.web.server import free_loopback_port


@dataclass(frozen=True)
class PushCA:
    ca_path: Path
    cert_path: Path
    key_path: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert_path, self.key_path)
        return context


def _name(text: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])


_CA_USAGE = x509.KeyUsage(
    digital_signature=True, content_commitment=False, key_encipherment=False,
    data_encipherment=False, key_agreement=False, key_cert_sign=True,
    crl_sign=True, encipher_only=False, decipher_only=False,
)  # fmt: skip


def make_push_ca(folder: Path) -> PushCA:
    """Write a CA and a server certificate for the loopback names."""
    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("edocx push test CA"))
        .issuer_name(_name("edocx push test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_CA_USAGE, critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    names = [
        x509.DNSName("localhost"),
        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
        x509.IPAddress(ipaddress.ip_address("::1")),
    ]
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("localhost"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    test_ca = PushCA(folder / "ca.pem", folder / "server.pem", folder / "server.key")
    test_ca.ca_path.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    test_ca.cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    test_ca.key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return test_ca


@dataclass
class Received:
    message_id: str
    kind: str
    content_type: str
    body: bytes
    at: float


@dataclass
class Receiver:
    """The receiving side; set ``secret`` once the hub answered it."""

    test_ca: PushCA
    fail_first: int = 0  # answer 503 to this many requests
    lose_answers: int = 0  # keep the message but answer 500, this many times
    secret: str = ""
    port: int = field(default_factory=free_loopback_port)
    requests: list[tuple[float, str]] = field(default_factory=list)
    kept: dict[str, Received] = field(default_factory=dict)
    duplicates: int = 0
    bad_signatures: int = 0
    _runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}/edocx/inbox"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/edocx/inbox", self._handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(
            self._runner, "127.0.0.1", self.port,
            ssl_context=self.test_ca.server_context(),
        )  # fmt: skip
        await site.start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        message_id = request.headers.get(signature.MESSAGE_ID, "")
        self.requests.append((time.monotonic(), message_id))
        if self.fail_first > 0:
            self.fail_first -= 1
            return web.Response(status=503, text="busy")
        if not signature.verify(
            self.secret, timestamp=request.headers.get(signature.TIMESTAMP, ""),
            signature=request.headers.get(signature.SIGNATURE, ""), body=body,
            now=int(time.time()),
        ):  # fmt: skip
            self.bad_signatures += 1
            return web.Response(status=401, text="bad signature")
        if message_id in self.kept:
            self.duplicates += 1
        else:
            self.kept[message_id] = Received(
                message_id, request.headers.get(signature.KIND, ""),
                request.content_type, body, time.monotonic(),
            )  # fmt: skip
        if self.lose_answers > 0:
            self.lose_answers -= 1
            return web.Response(status=500, text="stored, answer lost")
        return web.Response(status=204)
