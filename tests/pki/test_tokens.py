"""PKCS#11 credentials on a real SoftHSM2 token: opening, PINs, refusals."""

from __future__ import annotations

import asyncio
import pickle
import re
from pathlib import Path

import pytest
from asn1crypto import pem, x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import load_der_public_key
from pkcs11 import TokenFlag
from pkcs11.exceptions import PinIncorrect, SessionHandleInvalid
from pydantic import ValidationError

from edocx.config import Settings, TokenKeySettings, load_settings
from edocx.errors import ConfigurationError, TokenPINRefusedError
from edocx.exchange.compute import SigningSetup
from edocx.pki.credentials import (
    CredentialRef,
    PKCS11Ref,
    load_signer,
    read_pin,
    token_credentials,
)
from edocx.pki.devpki import PKILayout
from edocx.pki.softhsm import create_token
from edocx.pki.tokens import module_lib
from tests.conftest import REPO_ROOT
from tests.pki.devtoken import DevToken


def pin_count_low(module: Path, label: str) -> bool:
    """Whether the token marks a failed login since its last right one.

    SoftHSM2 sets CKF_USER_PIN_COUNT_LOW at each refused login and clears
    it at a right one: cleared before a step, it tells whether the token
    saw a wrong PIN during it.
    """
    token = module_lib(module).get_token(token_label=label)
    return bool(token.flags & TokenFlag.USER_PIN_COUNT_LOW)


def log_in_rightly(module: Path, label: str, pin: str) -> None:
    """Log in with the right PIN and out again, clearing the failed mark."""
    with module_lib(module).get_token(token_label=label).open(user_pin=pin):
        pass
    assert not pin_count_low(module, label)


def _pki_cert(pki: PKILayout, label: str) -> x509.Certificate:
    _, _, der = pem.unarmor(pki.cert_path(label).read_bytes())
    return x509.Certificate.load(der)


@pytest.mark.parametrize("label", ["person-a-signer", "seal-a"])
def test_token_key_signs_with_the_certificate_imported_beside_it(
    dev_token: DevToken, dev_pki: PKILayout, label: str
) -> None:
    signer = load_signer(dev_token.ref(label))

    assert signer.signing_cert.dump() == _pki_cert(dev_pki, label).dump()
    # The CA certificates come from the token too, as from a PKCS#12 file.
    issuers = {c.subject.dump() for c in signer.cert_registry if c.ca}
    assert signer.signing_cert.issuer.dump() in issuers


def test_token_key_is_opened_once_per_process(dev_token: DevToken) -> None:
    first = load_signer(dev_token.ref("seal-a"))
    again = load_signer(dev_token.ref("seal-a"))
    other = load_signer(dev_token.ref("person-a-signer"))

    assert again is first
    # Two keys of one token share its one logged-in session.
    assert other is not first
    assert other.pkcs11_session is first.pkcs11_session


def test_reference_pickles_and_never_shows_its_pin(dev_token: DevToken) -> None:
    ref = dev_token.ref("seal-a")

    assert pickle.loads(pickle.dumps(ref)) == ref
    assert dev_token.pin not in repr(ref)
    assert ref.name == f"{dev_token.label}/seal-a"


def test_wrong_pin_is_refused_without_being_shown(dev_token: DevToken) -> None:
    load_signer(dev_token.ref("seal-a"))  # the token is logged in already
    wrong = "9" * len(dev_token.pin)

    with pytest.raises(ConfigurationError) as caught:
        load_signer(dev_token.ref("person-a-signer", pin=wrong))

    assert "PIN" in caught.value.detail
    assert wrong not in caught.value.detail
    assert caught.value.hint


def test_wrong_pin_at_first_login_is_refused_by_the_token(
    dev_token: DevToken,
) -> None:
    # A token not yet logged in by this process: the token itself refuses.
    create_token(
        dev_token.module, "edocx-pin-test", user_pin="24681357", so_pin="so-pin-1"
    )
    ref = PKCS11Ref(dev_token.module, "edocx-pin-test", "any", "11111111")

    with pytest.raises(ConfigurationError) as caught:
        load_signer(ref)

    assert (
        caught.value.detail == "the PIN of PKCS#11 token 'edocx-pin-test' was refused"
    )
    assert isinstance(caught.value.__cause__, PinIncorrect)


def test_a_refused_pin_is_never_offered_to_the_token_again(
    dev_token: DevToken,
) -> None:
    label, right = "edocx-pin-once", "13572468"
    create_token(dev_token.module, label, user_pin=right, so_pin="so-pin-2")
    wrong = PKCS11Ref(dev_token.module, label, "any", "11111111")

    with pytest.raises(TokenPINRefusedError) as first:
        load_signer(wrong)
    assert pin_count_low(dev_token.module, label)
    log_in_rightly(dev_token.module, label, right)
    for _ in range(3):
        with pytest.raises(TokenPINRefusedError) as again:
            load_signer(wrong)

    # The token saw no login since the right one: the PIN was not offered.
    assert not pin_count_low(dev_token.module, label)
    assert (first.value.code, first.value.status) == ("token-pin-refused", 503)
    assert "edocx-pin-once" in again.value.detail
    assert "not tried again" in again.value.detail
    assert "11111111" not in again.value.detail + str(again.value.hint)
    # Another PIN is another attempt, which the token does see.
    with pytest.raises(TokenPINRefusedError):
        load_signer(PKCS11Ref(dev_token.module, label, "any", "22222222"))
    assert pin_count_low(dev_token.module, label)


def test_unknown_token_key_and_module_are_named(
    dev_token: DevToken, tmp_path: Path
) -> None:
    absent_token = PKCS11Ref(dev_token.module, "no-such-token", "seal-a", "1234")
    absent_key = dev_token.ref("no-such-key")
    absent_module = PKCS11Ref(tmp_path / "libnone.so", "t", "k", "1234")

    with pytest.raises(ConfigurationError, match="no-such-token"):
        load_signer(absent_token)
    with pytest.raises(ConfigurationError, match="no-such-key"):
        load_signer(absent_key)
    with pytest.raises(ConfigurationError, match=r"libnone\.so"):
        load_signer(absent_module)


def test_configured_token_labels_resolve_to_the_token(
    dev_token: DevToken,
    test_settings: Settings,
    passphrase: bytes,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("EDOCX_TOKEN_PIN", raising=False)
    pin_file = test_settings.storage.var_dir / "secrets" / "token-pin"
    pin_file.parent.mkdir(exist_ok=True)
    pin_file.write_text(dev_token.pin + "\n")
    settings = test_settings.model_copy(deep=True)
    settings.keys.tokens = {
        "seal-a": TokenKeySettings(
            module=dev_token.module,
            token=dev_token.label,
            pin_file=Path("secrets/token-pin"),
        )
    }

    setup = SigningSetup.from_settings(settings, passphrase)
    seal = setup.credential("seal-a", whose="agency A")
    person = setup.credential("person-b-signer", whose="signer B")

    assert seal == dev_token.ref("seal-a")
    assert isinstance(person, CredentialRef)
    assert dev_token.pin not in repr(setup)


def test_pin_from_the_environment_wins_over_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pin_file = tmp_path / "pin"
    pin_file.write_text("from-file\n")

    assert read_pin("EDOCX_TOKEN_PIN", pin_file, whose="k") == "from-file"
    monkeypatch.setenv("EDOCX_TOKEN_PIN", "from-env")
    assert read_pin("EDOCX_TOKEN_PIN", pin_file, whose="k") == "from-env"


def test_missing_pin_stops_the_configuration(
    test_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("EDOCX_TOKEN_PIN", raising=False)
    settings = test_settings.model_copy(deep=True)
    settings.keys.tokens = {
        "seal-a": TokenKeySettings(
            module=Path("/usr/lib/softhsm/libsofthsm2.so"),
            token="t",
            pin_file=tmp_path / "absent",
        )
    }

    with pytest.raises(ConfigurationError, match="no PIN for the token key seal-a"):
        token_credentials(settings)


def test_lost_session_is_given_up_and_the_next_signature_logs_in(
    dev_token: DevToken,
) -> None:
    signer = load_signer(dev_token.ref("seal-a"))
    # Closing the session behind the signer's back logs the token out, as an
    # HSM restart would.
    signer.pkcs11_session.close()

    with pytest.raises(SessionHandleInvalid):
        asyncio.run(signer.async_sign_raw(b"data", "sha256"))
    renewed = load_signer(dev_token.ref("seal-a"))
    signature = asyncio.run(renewed.async_sign_raw(b"data", "sha256"))

    assert renewed is not signer
    public = load_der_public_key(renewed.signing_cert.public_key.dump())
    assert isinstance(public, rsa.RSAPublicKey)
    public.verify(signature, b"data", padding.PKCS1v15(), hashes.SHA256())


def test_the_example_in_the_default_config_loads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The commented [keys.tokens.seal-a] example, uncommented, is valid.
    text = (REPO_ROOT / "config" / "edocx.toml").read_text(encoding="utf-8")
    example = re.sub(r"^# ((\[keys\.tokens|module|token|key_label|pin_file).*)$",
                     r"\1", text, flags=re.MULTILINE)  # fmt: skip
    config = tmp_path / "edocx.toml"
    config.write_text(example, encoding="utf-8")
    monkeypatch.setenv("EDOCX_CONFIG", str(config))
    monkeypatch.setenv("EDOCX_TOKEN_PIN", "12345678")

    settings = load_settings()
    (label, entry), *others = settings.keys.tokens.items()
    ref = token_credentials(settings)[label]

    assert not others
    assert (label, entry.token, entry.key_label) == ("seal-a", "edocx-dev", "seal-a")
    assert ref == PKCS11Ref(entry.module, "edocx-dev", "seal-a", "12345678")


def test_a_pin_variable_may_not_pose_as_a_setting() -> None:
    entry = {"module": "/lib.so", "token": "t"}

    assert TokenKeySettings(**entry, pin_env="HUE_SEAL_PIN").pin_env == "HUE_SEAL_PIN"
    with pytest.raises(ValidationError, match="must not start with EDOCX_"):
        TokenKeySettings(**entry, pin_env="EDOCX_SEAL_PIN")
