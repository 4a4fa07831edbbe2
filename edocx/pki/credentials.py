"""Signing credentials the hub holds for agencies and their signers.

A credential is either a PKCS#12 file protected by the key passphrase
(``CredentialRef``) or a key in a PKCS#11 token, an HSM or a smart card,
opened with the token's user PIN (``PKCS11Ref``, see ``tokens``). Both
references are small picklable values that cross into the signing workers;
each worker process opens a credential once and keeps it: parsing PKCS#12
and checking an RSA key costs tens of milliseconds, and a token login is a
round trip to the device.

Which labels live in tokens is configured under ``[keys.tokens.<label>]``;
the PIN comes from the environment or a file, never from the configuration
itself, and no reference shows its secret in ``repr``.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import overload

from pyhanko.sign.pkcs11 import PKCS11Signer
from pyhanko.sign.signers import Signer, SimpleSigner

from edocx.config import Settings, TokenKeySettings
from edocx.errors import ConfigurationError
from edocx.pki import tokens

logger = logging.getLogger(__name__)

_cache: dict[tuple[Path, int, bytes], SimpleSigner] = {}
_lock = threading.Lock()


@dataclass(frozen=True)
class CredentialRef:
    """Where a PKCS#12 credential lives and how to open it; picklable."""

    p12_path: Path
    passphrase: bytes = field(repr=False)

    @property
    def name(self) -> str:
        """Return a name for messages and logs (no secret in it)."""
        return self.p12_path.name


@dataclass(frozen=True)
class PKCS11Ref:
    """A key in a PKCS#11 token and how to log in to it; picklable.

    ``module`` is the token's PKCS#11 library, ``token`` the token's label
    and ``key_label`` the label of the private key; its certificate carries
    the same label on the token.
    """

    module: Path
    token: str
    key_label: str
    pin: str = field(repr=False)

    @property
    def name(self) -> str:
        """Return a name for messages and logs (no secret in it)."""
        return f"{self.token}/{self.key_label}"


KeyRef = CredentialRef | PKCS11Ref


@overload
def load_signer(ref: CredentialRef) -> SimpleSigner: ...
@overload
def load_signer(ref: PKCS11Ref) -> PKCS11Signer: ...
@overload
def load_signer(ref: KeyRef) -> Signer: ...
def load_signer(ref: KeyRef) -> Signer:
    """Return the signer for ``ref``, opening it at most once per process."""
    if isinstance(ref, PKCS11Ref):
        return tokens.open_signer(ref.module, ref.token, ref.key_label, ref.pin)
    return _load_p12_cached(ref)


def open_token_keys(refs: Sequence[PKCS11Ref]) -> int:
    """Log in to the token of each of ``refs`` and open its key; return how many.

    Run when the hub starts (in its first worker), so a refused PIN, a
    missing token or a missing key stops the start, the PIN offered once,
    instead of failing every document.
    """
    for ref in refs:
        load_signer(ref)
    return len(refs)


def token_credentials(settings: Settings) -> dict[str, PKCS11Ref]:
    """Return the configured token keys by label, with their PINs read now.

    Read at start-up, so a missing PIN stops the service before the first
    document rather than failing each signature.
    """
    return {
        label: _token_ref(label, entry, settings)
        for label, entry in settings.keys.tokens.items()
    }


def read_pin(env_var: str | None, pin_file: Path | None, *, whose: str) -> str:
    """Return a token PIN from ``env_var`` if set, else from ``pin_file``."""
    from_env = os.environ.get(env_var) if env_var else None
    if from_env:
        return from_env
    if pin_file is not None and pin_file.is_file():
        return pin_file.read_text(encoding="utf-8").strip()
    raise ConfigurationError(
        f"no PIN for the token key {whose}",
        hint=f"set {env_var or 'the PIN variable'} or write the PIN file"
        f" {pin_file or '(none configured)'}",
    )


def _token_ref(label: str, entry: TokenKeySettings, settings: Settings) -> PKCS11Ref:
    pin_file = entry.pin_file
    if pin_file is not None and not pin_file.is_absolute():
        pin_file = settings.storage.var_dir / pin_file
    pin = read_pin(entry.pin_env, pin_file, whose=label)
    return PKCS11Ref(entry.module, entry.token, entry.key_label or label, pin)


def _load_p12_cached(ref: CredentialRef) -> SimpleSigner:
    try:
        mtime = ref.p12_path.stat().st_mtime_ns
    except OSError as e:
        raise ConfigurationError(f"credential not found: {ref.p12_path}") from e

    # The passphrase is part of the key: a wrong one must fail even after
    # the right one opened the same file in this process.
    proof = hashlib.sha256(ref.passphrase).digest()
    key = (ref.p12_path, mtime, proof)
    with _lock:
        signer = _cache.get(key)
        if signer is None:
            signer = _load_p12(ref)
            _cache[key] = signer
    return signer


def _load_p12(ref: CredentialRef) -> SimpleSigner:
    signer: SimpleSigner | None = SimpleSigner.load_pkcs12(
        str(ref.p12_path), passphrase=ref.passphrase
    )
    if signer is None:
        # pyHanko logs the reason and returns None on a wrong passphrase.
        raise ConfigurationError(
            f"cannot open credential {ref.p12_path.name}",
            hint="check EDOCX_KEY_PASSPHRASE or keys.passphrase_file",
        )
    logger.info("loaded credential %s", ref.p12_path.name)
    return signer
