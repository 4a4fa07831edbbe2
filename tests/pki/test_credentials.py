"""PKCS#12 credentials, opened once per process and only with their passphrase."""

from __future__ import annotations

import pytest

from edocx.errors import ConfigurationError
from edocx.pki.credentials import CredentialRef, load_signer
from edocx.pki.devpki import PKILayout


def test_a_wrong_passphrase_fails_after_the_right_one_opened_the_file(
    dev_pki: PKILayout, passphrase: bytes
) -> None:
    path = dev_pki.p12_path("seal-a")
    opened = load_signer(CredentialRef(path, passphrase))

    assert opened.signing_cert is not None
    with pytest.raises(ConfigurationError, match="cannot open credential"):
        load_signer(CredentialRef(path, passphrase + b"x"))


def test_the_right_passphrase_reuses_the_opened_credential(
    dev_pki: PKILayout, passphrase: bytes
) -> None:
    path = dev_pki.p12_path("seal-a")

    first = load_signer(CredentialRef(path, passphrase))
    again = load_signer(CredentialRef(path, passphrase))

    assert again is first
