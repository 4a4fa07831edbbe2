"""The packet signature's profile: what is signed holds, anything else does not."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from edocx.config import Settings
from edocx.edxml.cli import run_check
from edocx.edxml.model import SignatureState
from edocx.edxml.rules import check_packet
from edocx.edxml.xmldsig import SigningKey, sign_packet, verify_packet
from tests.edxml.packets import document_packet


def certificate(key: SigningKey) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Hub thử nghiệm")])
    now = datetime.now(UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now).not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )  # fmt: skip


@pytest.fixture(params=["rsa", "ecdsa"])
def key(request: pytest.FixtureRequest) -> SigningKey:
    if request.param == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return ec.generate_private_key(ec.SECP256R1())


def test_signed_packet_verifies_and_reads_clean(key: SigningKey) -> None:
    signed = sign_packet(document_packet(), key, certificate(key))

    check = verify_packet(signed)
    report = check_packet(signed)

    assert check.valid and check.signer == "CN=Hub thử nghiệm"
    assert report.warnings == ()
    assert report.facts is not None
    assert report.facts.signature is SignatureState.VALID


@pytest.mark.parametrize(
    ("pattern", "new", "reason"),
    [
        (rb'SignatureMethod Algorithm="[^"]+"',
         b'SignatureMethod Algorithm="http://www.w3.org/2000/09/xmldsig#rsa-sha1"',
         "SignatureMethod"),
        (rb'URI=""', b'URI="#x"', "reference"),
        (rb'xml-exc-c14n#"/></Transforms>', b'xml-c14n-20010315"/></Transforms>',
         "transforms"),
        (rb"<DigestValue>", b"<DigestValue>AAAA", "signature value"),
    ],
)  # fmt: skip
def test_outside_the_profile_is_invalid(
    key: SigningKey, pattern: bytes, new: bytes, reason: str
) -> None:
    signed = sign_packet(document_packet(), key, certificate(key))
    spoilt, count = re.subn(pattern, new, signed, count=1)
    assert count == 1

    check = verify_packet(spoilt)

    assert not check.valid
    assert check.reason is not None and reason.lower() in check.reason.lower()


def test_two_signatures_are_invalid(key: SigningKey) -> None:
    once = sign_packet(document_packet(), key, certificate(key))

    check = verify_packet(sign_packet(once, key, certificate(key)))

    assert not check.valid and "2 XML-DSig signatures" in (check.reason or "")


def test_command_line_names_the_signer(
    key: SigningKey, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "signed.edxml"
    path.write_bytes(sign_packet(document_packet(), key, certificate(key)))
    args = type("Args", (), {"file": path, "strict": True, "format": "text"})()

    status = run_check(args, Settings())  # type: ignore[arg-type]

    assert status == 0
    assert "packet signature: valid (CN=Hub thử nghiệm)" in capsys.readouterr().out
