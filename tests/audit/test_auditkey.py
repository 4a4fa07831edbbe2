"""The audit key and the packet key are found the same way, under their label."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import BestAvailableEncryption
from cryptography.hazmat.primitives.serialization.pkcs12 import (
    serialize_key_and_certificates,
)

from edocx.audit import auditkey
from edocx.edxml import hubkey
from edocx.edxml.errors import PacketKeyUnavailableError
from edocx.pki.devpki import PKILayout


def test_the_dev_pki_gives_the_audit_key_with_its_issuer(
    dev_pki: PKILayout, passphrase: bytes
) -> None:
    found = auditkey.audit_key(dev_pki.dir, passphrase)

    leaf, *issuers = found.chain
    assert "audit" in leaf.subject.rfc4514_string().lower()
    assert issuers and leaf.issuer == issuers[0].subject
    assert found.key.public_key() == leaf.public_key()


def test_a_pkcs12_file_is_taken_before_the_dev_pki(
    dev_pki: PKILayout, passphrase: bytes, tmp_path: Path
) -> None:
    dev = auditkey.audit_key(dev_pki.dir, passphrase)
    blob = serialize_key_and_certificates(
        b"audit-log", dev.key, dev.chain[0], list(dev.chain[1:]),
        BestAvailableEncryption(b"another passphrase"),
    )  # fmt: skip
    layout = PKILayout(tmp_path)
    layout.p12_path(auditkey.LABEL).parent.mkdir(parents=True)
    layout.p12_path(auditkey.LABEL).write_bytes(blob)

    found = auditkey.audit_key(tmp_path, b"another passphrase")

    assert found.chain == dev.chain
    assert found.key.public_key() == dev.chain[0].public_key()


def test_without_a_pki_each_key_says_which_is_missing(tmp_path: Path) -> None:
    empty = PKILayout(tmp_path)

    with pytest.raises(auditkey.AuditKeyUnavailableError) as audit:
        auditkey.audit_key(tmp_path, b"x")
    with pytest.raises(PacketKeyUnavailableError) as packet:
        hubkey.packet_key(tmp_path, b"x")

    assert "audit log's tree heads" in audit.value.detail
    assert "edXML packets" in packet.value.detail
    assert str(empty.p12_path(auditkey.LABEL)) in (audit.value.hint or "")
