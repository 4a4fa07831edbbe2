"""Signing credentials the hub holds for agencies and their signers.

Credentials are PKCS#12 files protected by the key passphrase. Each worker
process loads a credential once and keeps it: parsing PKCS#12 and checking
an RSA key costs tens of milliseconds.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path

from pyhanko.sign.signers import SimpleSigner

from edocx.errors import ConfigurationError

logger = logging.getLogger(__name__)

_cache: dict[tuple[Path, int], SimpleSigner] = {}
_lock = threading.Lock()


@dataclass(frozen=True)
class CredentialRef:
    """Where a credential lives and how to open it; picklable for workers."""

    p12_path: Path
    passphrase: bytes = field(repr=False)


def load_signer(ref: CredentialRef) -> SimpleSigner:
    """Return the signer for ``ref``, loading it at most once per process."""
    try:
        mtime = ref.p12_path.stat().st_mtime_ns
    except OSError as e:
        raise ConfigurationError(f"credential not found: {ref.p12_path}") from e

    key = (ref.p12_path, mtime)
    with _lock:
        signer = _cache.get(key)
        if signer is None:
            signer = _load(ref)
            _cache[key] = signer
    return signer


def _load(ref: CredentialRef) -> SimpleSigner:
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
