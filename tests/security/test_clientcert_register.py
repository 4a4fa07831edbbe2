"""``edocx clientcert register``: which certificates it takes, and how.

The certificates are the development PKI's: each agency's seal names the
agency's code in its organizationIdentifier, a personal certificate names
its agency by name only. The command runs against a hub's var directory as
an operator runs it; what it registered is read back from the database.
"""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from edocx.cli import main
from edocx.copies.binding import organisation_identifiers as payload_identifiers
from edocx.pki.devpki import PKILayout
from edocx.store.db import Database
from edocx.store.models import Role
from edocx.store.users import insert_user
from edocx.web.clientcerts import (
    agency_mismatch,
    certificate_digest,
    organisation_identifiers,
)
from tests.web.hubkit import Hub

pytestmark = pytest.mark.asyncio(loop_scope="module")

CODES = {"a": "000.00.00.H41", "b": "000.00.00.G22", "c": "000.00.00.H14"}


@pytest.fixture
def operator(hub: Hub, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDOCX_STORAGE__VAR_DIR", str(hub.settings.storage.var_dir))


async def _register(user: int, path: Path) -> int:
    # The command runs its own event loop, as from a shell.
    return await asyncio.to_thread(
        main, ["clientcert", "register", str(user), str(path)]
    )


async def _system(hub: Hub, agency: str) -> int:
    headers = {"Authorization": "Bearer " + hub.tokens[agency]["system"]}
    response = await hub.client.get("/api/v1/me", headers=headers)
    assert response.status == 200
    return int((await response.json())["id"])


def _registered(hub: Hub) -> dict[str, int]:
    with sqlite3.connect(hub.settings.storage.db_path) as conn:
        rows = conn.execute("SELECT sha256, user_id FROM client_certificates")
        return dict(rows.fetchall())


def _digest(pki: PKILayout, label: str) -> str:
    pem = pki.cert_path(label).read_bytes()
    return certificate_digest(x509.load_pem_x509_certificate(pem))


async def test_a_certificate_must_name_the_systems_agency(
    hub: Hub, dev_pki: PKILayout, operator: None, capsys: pytest.CaptureFixture[str]
) -> None:
    system_a = await _system(hub, "a")

    assert await _register(system_a, dev_pki.cert_path("seal-b")) == 1
    err = capsys.readouterr().err
    assert f"names {CODES['b']}, not the agency {CODES['a']}" in err
    assert await _register(system_a, dev_pki.cert_path("person-a-signer")) == 1
    assert "names no agency's code" in capsys.readouterr().err
    assert _registered(hub) == {}

    assert await _register(system_a, dev_pki.cert_path("seal-a")) == 0
    assert capsys.readouterr().out.strip() == _digest(dev_pki, "seal-a")
    assert _registered(hub) == {_digest(dev_pki, "seal-a"): system_a}


async def test_a_certificate_registered_twice_is_kept_once_or_refused(
    hub: Hub, dev_pki: PKILayout, operator: None, capsys: pytest.CaptureFixture[str]
) -> None:
    system_c, seal_c = await _system(hub, "c"), dev_pki.cert_path("seal-c")
    assert await _register(system_c, seal_c) == 0
    capsys.readouterr()

    # Again for the same system: nothing changes, nothing is logged twice.
    assert await _register(system_c, seal_c) == 0
    assert f"already registered to user {system_c}" in capsys.readouterr().err
    assert await _events("user.clientcert.register", hub) == len(_registered(hub))

    # For a second system of the same agency: refused.
    other = await _second_system(hub, "c")
    capsys.readouterr()
    assert await _register(other, seal_c) == 1
    err = capsys.readouterr().err
    assert f"registered to user {system_c}" in err and "Traceback" not in err

    # Withdrawn, then registered again: refused.
    withdraw = ["clientcert", "revoke", str(seal_c)]
    assert await asyncio.to_thread(main, withdraw) == 0
    assert await _register(system_c, seal_c) == 1
    err = capsys.readouterr().err
    assert "was withdrawn on" in err and "+07:00" in err
    assert _registered(hub)[_digest(dev_pki, "seal-c")] == system_c


async def _events(action: str, hub: Hub) -> int:
    with sqlite3.connect(hub.settings.storage.db_path) as conn:
        sql = "SELECT COUNT(*) FROM audit_events WHERE action = ?"
        return int(conn.execute(sql, (action,)).fetchone()[0])


async def _second_system(hub: Hub, agency: str) -> int:
    with sqlite3.connect(hub.settings.storage.db_path) as conn:
        sql = "SELECT id FROM agencies WHERE organ_id = ?"
        agency_id = int(conn.execute(sql, (CODES[agency],)).fetchone()[0])
    db = Database(hub.settings.storage.db_path)
    await db.open()
    try:
        async with db.write() as tx:
            user = await insert_user(
                tx, agency_id=agency_id, display_name="Hệ thống dự phòng",
                role=Role.SYSTEM, token_sha256="0" * 64, position=None,
                credential_label=None, at=datetime.now(UTC),
            )  # fmt: skip
    finally:
        await db.close()
    return user.id


async def test_pem_with_bag_attributes_and_der_are_read(
    hub: Hub,
    dev_pki: PKILayout,
    operator: None,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # As `openssl pkcs12 -nokeys` writes a PKCS#12 file: text before each
    # block, the issuing CA after the certificate.
    seal, issuing = (dev_pki.cert_path(n).read_text() for n in ("seal-b", "issuing"))
    bags = tmp_path / "seal-b.pem"
    bags.write_text(
        "Bag Attributes\n    localKeyID: 01 02 03\n    friendlyName: seal-b\n"
        f"subject=/C=VN/CN=seal-b\nissuer=/CN=issuing\n{seal}"
        f"Bag Attributes: <No Attributes>\nsubject=/CN=issuing\n{issuing}"
    )
    der = tmp_path / "seal-b.der"
    der.write_bytes(x509.load_pem_x509_certificate(seal.encode()).public_bytes(
        Encoding.DER))  # fmt: skip
    system_b = await _system(hub, "b")

    assert await _register(system_b, bags) == 0
    assert capsys.readouterr().out.strip() == _digest(dev_pki, "seal-b")
    assert await _register(system_b, der) == 0
    out, err = capsys.readouterr()
    assert out.strip() == _digest(dev_pki, "seal-b")
    assert "already registered" in err


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (b"", "the file is empty"),
        (b"\x00\x01not a certificate", "it is neither a PEM nor a DER certificate"),
        ("key", "it holds no PEM block 'BEGIN CERTIFICATE'"),
        ("issuing", "it holds 0 certificates that are not a CA's"),
    ],
    ids=["empty", "garbage", "key only", "CA only"],
)
async def test_a_file_without_a_client_certificate_is_refused(
    hub: Hub,
    dev_pki: PKILayout,
    operator: None,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    content: bytes | str,
    said: str,
) -> None:
    path = tmp_path / "given.pem"
    if content == "key":
        path.write_bytes(dev_pki.key_path("seal-a").read_bytes())
    elif content == "issuing":
        path.write_bytes(dev_pki.cert_path("issuing").read_bytes())
    else:
        assert isinstance(content, bytes)
        path.write_bytes(content)

    system_a = await _system(hub, "a")
    capsys.readouterr()  # only the command's own words from here

    assert await _register(system_a, path) == 1

    err = capsys.readouterr().err
    assert f"no certificate read from {path}: {said}" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("label", ["seal-a", "seal-b", "seal-c", "person-a-signer"])
async def test_identifiers_are_read_as_the_copies_checks_read_them(
    dev_pki: PKILayout, label: str
) -> None:
    pem = dev_pki.cert_path(label).read_bytes()
    cert = x509.load_pem_x509_certificate(pem)
    subject = asn1_x509.Certificate.load(cert.public_bytes(Encoding.DER)).subject

    found = organisation_identifiers(cert)
    assert found == payload_identifiers(subject.native)
    agency = label.split("-")[1]
    assert found == ({CODES[agency]} if label.startswith("seal") else set())


def _certificate(*names: x509.NameAttribute) -> x509.Certificate:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "system"), *names])
    now = datetime.now(UTC)
    return (
        x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now).not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )  # fmt: skip


@pytest.mark.parametrize(
    ("attribute", "value", "names_a"),
    [
        (NameOID.ORGANIZATION_IDENTIFIER, "MNS:000.00.00.H41", True),
        (NameOID.USER_ID, "NTRVN-000.00.00.H41", True),
        (NameOID.SERIAL_NUMBER, "000.00.00.H41", True),
        (NameOID.ORGANIZATION_IDENTIFIER, "000.00.00.H41X", False),
        (NameOID.ORGANIZATION_NAME, "000.00.00.H41", False),
    ],
    ids=[
        "prefixed organizationIdentifier",
        "prefixed UID",
        "serialNumber",
        "longer code",
        "code as the organisation's name",
    ],
)
async def test_the_agency_is_named_by_its_code_in_an_identifier(
    attribute: x509.ObjectIdentifier, value: str, names_a: bool
) -> None:
    cert = _certificate(x509.NameAttribute(attribute, value))

    assert (agency_mismatch(cert, CODES["a"]) is None) is names_a


def _issued(
    subject: x509.Name,
    issuer: tuple[x509.Name, ec.EllipticCurvePrivateKey] | None = None,
    *,
    ca: bool = False,
    starts: timedelta = timedelta(0),
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    """A certificate and its key; self-signed unless ``issuer`` is given."""
    key = ec.generate_private_key(ec.SECP256R1())
    issuer_name, issuer_key = issuer or (subject, key)
    now = datetime.now(UTC) + starts
    cert = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(issuer_name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now).not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .sign(issuer_key, hashes.SHA256())
    )  # fmt: skip
    return cert, key


def _name(common: str, *names: x509.NameAttribute) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common), *names])


SYSTEM_A = _name(
    "system", x509.NameAttribute(NameOID.ORGANIZATION_IDENTIFIER, CODES["a"])
)


@pytest.fixture
def client_ca(
    operator: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[x509.Name, ec.EllipticCurvePrivateKey]:
    """A CA made for the test, configured as http.tls_client_cas."""
    name = _name("Agencies' systems CA")
    cert, key = _issued(name, ca=True)
    ca_file, key_file = tmp_path / "ca.pem", tmp_path / "ca.key"
    ca_file.write_bytes(cert.public_bytes(Encoding.PEM))
    key_file.write_bytes(b"not read by the command")
    monkeypatch.setenv("EDOCX_HTTP__TLS_CERT", str(ca_file))
    monkeypatch.setenv("EDOCX_HTTP__TLS_KEY", str(key_file))
    monkeypatch.setenv("EDOCX_HTTP__TLS_CLIENT_CAS", f'["{ca_file}"]')
    return name, key


async def test_only_a_certificate_a_configured_ca_issued_is_registered(
    hub: Hub,
    client_ca: tuple[x509.Name, ec.EllipticCurvePrivateKey],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    system_a, before = await _system(hub, "a"), _registered(hub)
    # Self-signed, and signed by a key that only takes the CA's name.
    impostor = (client_ca[0], ec.generate_private_key(ec.SECP256R1()))
    for label, issuer in (("self", None), ("impostor", impostor)):
        path = tmp_path / f"{label}.pem"
        path.write_bytes(_issued(SYSTEM_A, issuer)[0].public_bytes(Encoding.PEM))
        assert await _register(system_a, path) == 1
        err = capsys.readouterr().err
        assert "not issued by a CA of http.tls_client_cas" in err, label
    assert _registered(hub) == before

    issued, _ = _issued(SYSTEM_A, client_ca)
    path = tmp_path / "issued.pem"
    path.write_bytes(issued.public_bytes(Encoding.PEM))
    assert await _register(system_a, path) == 0
    assert _registered(hub)[certificate_digest(issued)] == system_a


async def test_a_certificate_not_yet_valid_is_refused(
    hub: Hub, operator: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # No http.tls_client_cas here: the dates are checked all the same.
    cert, _ = _issued(SYSTEM_A, starts=timedelta(days=2))
    path = tmp_path / "later.pem"
    path.write_bytes(cert.public_bytes(Encoding.PEM))
    system_a, before = await _system(hub, "a"), _registered(hub)

    assert await _register(system_a, path) == 1

    err = capsys.readouterr().err
    assert "the certificate is valid from" in err and "+07:00" in err
    assert _registered(hub) == before
