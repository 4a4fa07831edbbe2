"""A SoftHSM2 token holding development keys, made the way a developer does.

The token is created by ``python -m edocx.pki.softhsm`` (what
``scripts/softhsm-token`` runs) in a child process, from the test PKI's
PKCS#12 files; the tests then sign through PKCS#11 in this process and in
worker processes, all reading the token folder named by ``SOFTHSM2_CONF``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from edocx.pki.credentials import PKCS11Ref
from edocx.pki.devpki import PKILayout

TOKEN_LABEL = "edocx-test"
# Keys imported into the token: a person's and an agency's seal.
TOKEN_KEYS = ("person-a-signer", "seal-a")


@dataclass(frozen=True)
class DevToken:
    """Where the test token is and how to open its keys."""

    module: Path
    folder: Path
    label: str
    pin: str

    @property
    def conf_path(self) -> Path:
        return self.folder / "softhsm2.conf"

    @property
    def pin_file(self) -> Path:
        return self.folder / "user-pin"

    def ref(self, key_label: str, *, pin: str | None = None) -> PKCS11Ref:
        return PKCS11Ref(self.module, self.label, key_label, pin or self.pin)


def make_dev_token(
    module: Path, folder: Path, pki: PKILayout, passphrase: bytes
) -> DevToken:
    """Create the token with ``TOKEN_KEYS`` in a child process."""
    pin_file = folder / "user-pin"  # DevToken.pin_file
    keys = [f"--key={label}={pki.p12_path(label)}" for label in TOKEN_KEYS]
    env = dict(os.environ, EDOCX_KEY_PASSPHRASE=passphrase.decode())
    env.pop("EDOCX_TOKEN_PIN", None)
    command = [sys.executable, "-m", "edocx.pki.softhsm", str(folder)]
    command += ["--token", TOKEN_LABEL, "--module", str(module)]
    command += ["--pin-file", str(pin_file), *keys]
    done = subprocess.run(
        command,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert f"export SOFTHSM2_CONF={(folder / 'softhsm2.conf').resolve()}" in done.stdout
    pin = pin_file.read_text(encoding="utf-8").strip()
    return DevToken(module, folder, TOKEN_LABEL, pin)
