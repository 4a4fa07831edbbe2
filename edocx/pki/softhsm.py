"""SoftHSM2 tokens for development and tests: create one, import keys.

SoftHSM2 is a PKCS#11 token in files. This module writes a SoftHSM2
configuration for a token folder, initialises a token in it and imports a
PKCS#12 credential (the key, its certificate and the CA certificates) so the
hub signs with it through PKCS#11 exactly as with a hardware token.

SoftHSM2 reads the configuration named by ``SOFTHSM2_CONF`` when its library
is first loaded into a process: set the variable before calling anything
here. The PINs go to the library through PKCS#11 calls, never on a command
line, so they do not show in the process list. Run it as a command::

    python -m edocx.pki.softhsm DIR --token LABEL --pin-file FILE \\
        --key seal-a=var/pki/p12/seal-a.p12

The user PIN comes from ``EDOCX_TOKEN_PIN``, else from ``--pin-file`` (a
random one is written there when the file does not exist); the PKCS#12
passphrase from ``EDOCX_KEY_PASSPHRASE``, else from ``--passphrase-file``.
"""

from __future__ import annotations

import argparse
import ctypes
import logging
import os
import secrets
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from asn1crypto import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509 import Certificate
from pkcs11 import Attribute, ObjectClass, Session, TokenFlag
from pkcs11.exceptions import UserAlreadyLoggedIn
from pkcs11.util.ec import decode_ec_private_key
from pkcs11.util.rsa import decode_rsa_private_key
from pkcs11.util.x509 import decode_x509_certificate

from edocx.errors import ConfigurationError
from edocx.pki.tokens import module_lib
from edocx.secretfile import write_private_file

logger = logging.getLogger(__name__)

# Where Debian (softhsm2), Fedora and a source build put the library.
MODULE_PATHS = (
    Path("/usr/lib/softhsm/libsofthsm2.so"),
    Path("/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so"),
    Path("/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so"),
    Path("/usr/lib64/pkcs11/libsofthsm2.so"),
    Path("/usr/local/lib/softhsm/libsofthsm2.so"),
)

CKR_OK = 0
_DER = serialization.Encoding.DER
_CLEAR = serialization.NoEncryption()


@dataclass(frozen=True)
class TokenFolder:
    """A folder holding a SoftHSM2 configuration and its tokens."""

    root: Path

    @property
    def conf_path(self) -> Path:
        return self.root / "softhsm2.conf"

    @property
    def token_dir(self) -> Path:
        return self.root / "tokens"

    def write_config(self) -> Path:
        """Write the configuration (file store, errors only) and return it."""
        self.token_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.conf_path.write_text(
            f"directories.tokendir = {self.token_dir.resolve()}\n"
            "objectstore.backend = file\n"
            "log.level = ERROR\n"
            "slots.removable = false\n",
            encoding="utf-8",
        )
        return self.conf_path


def find_module() -> Path | None:
    """Return the installed SoftHSM2 library, or None when there is none."""
    return next((path for path in MODULE_PATHS if path.is_file()), None)


def create_token(module: Path, label: str, *, user_pin: str, so_pin: str) -> None:
    """Initialise a free SoftHSM2 slot as token ``label`` with these PINs."""
    padded = label.encode("utf-8").ljust(32, b" ")
    if len(padded) > 32:
        raise ConfigurationError(f"token label {label!r} is over 32 bytes")

    lib = module_lib(module)
    tokens = [slot.get_token() for slot in lib.get_slots()]
    if any(token.label == label for token in tokens):
        raise ConfigurationError(f"a token labelled {label!r} exists already")
    free = [t.slot for t in tokens if not t.flags & TokenFlag.TOKEN_INITIALIZED]
    if not free:
        raise ConfigurationError(f"no free slot in {module} for token {label!r}")

    # python-pkcs11 has no C_InitToken; the library is already initialised
    # by it, so the exported function is called on the same loaded library.
    init_token = ctypes.CDLL(str(module.resolve())).C_InitToken
    ulong, text = ctypes.c_ulong, ctypes.c_char_p
    init_token.argtypes = [ulong, text, ulong, text]
    init_token.restype = ctypes.c_ulong
    so = so_pin.encode("utf-8")
    rv = init_token(free[0].slot_id, so, len(so), padded)
    if rv != CKR_OK:
        raise ConfigurationError(f"C_InitToken failed for {label!r}: 0x{rv:x}")

    with lib.get_token(token_label=label).open(rw=True, so_pin=so_pin) as session:
        session.init_pin(user_pin)
    logger.info("created SoftHSM2 token %s", label)


def import_p12(
    module: Path,
    token: str,
    *,
    user_pin: str,
    p12: bytes,
    passphrase: bytes,
    key_label: str,
) -> x509.Certificate:
    """Import a PKCS#12 credential's key, certificate and CA certificates."""
    key, cert, chain = pkcs12.load_key_and_certificates(p12, passphrase)
    if key is None or cert is None:
        raise ConfigurationError(f"the PKCS#12 file for {key_label} lacks a key")
    return import_key(
        module,
        token,
        user_pin=user_pin,
        key=key,
        certs=[_asn1(c) for c in (cert, *chain)],
        key_label=key_label,
    )


def import_key(
    module: Path,
    token: str,
    *,
    user_pin: str,
    key: object,
    certs: Sequence[x509.Certificate],
    key_label: str,
) -> x509.Certificate:
    """Import a private key, its certificate (first) and CA certificates.

    The key and its certificate get ``key_label`` and the same ID (the SHA-1
    of the public key); the key may sign, not decrypt, and cannot be read
    back. Return the signer's certificate.
    """
    signer_cert, *chain = certs
    key_id = signer_cert.public_key.sha1

    with _user_session(module, token, user_pin) as session:
        session.create_object(_private_key(key, key_label, key_id))
        _store_cert(session, signer_cert, key_label, key_id)
        for ca_cert in chain:
            _store_cert(session, ca_cert, _ca_label(ca_cert), b"")
    logger.info("imported key %s into SoftHSM2 token %s", key_label, token)
    return signer_cert


@contextmanager
def _user_session(module: Path, token: str, user_pin: str) -> Iterator[Session]:
    found = module_lib(module).get_token(token_label=token)
    try:
        session = found.open(rw=True, user_pin=user_pin)
    except UserAlreadyLoggedIn:
        # This process signs with the token: its login serves here too, and
        # closing a session of ours must not log that one out.
        session = found.open(rw=True)
    with session:
        yield session


def _asn1(cert: Certificate) -> x509.Certificate:
    return x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def _private_key(key: object, label: str, key_id: bytes) -> dict[Attribute, Any]:
    der_format = serialization.PrivateFormat.TraditionalOpenSSL
    if isinstance(key, rsa.RSAPrivateKey):
        attrs = decode_rsa_private_key(key.private_bytes(_DER, der_format, _CLEAR))
    elif isinstance(key, ec.EllipticCurvePrivateKey):
        attrs = decode_ec_private_key(key.private_bytes(_DER, der_format, _CLEAR))
    else:
        raise ConfigurationError(f"key {label}: only RSA and EC keys are supported")
    attrs.update(
        {
            Attribute.TOKEN: True,
            Attribute.PRIVATE: True,
            Attribute.SENSITIVE: True,
            Attribute.EXTRACTABLE: False,
            Attribute.SIGN: True,
            Attribute.DECRYPT: False,
            Attribute.UNWRAP: False,
            Attribute.LABEL: label,
            Attribute.ID: key_id,
        }
    )
    return attrs


def _store_cert(
    session: Session, cert: x509.Certificate, label: str, cert_id: bytes
) -> None:
    """Store ``cert`` unless the token holds it already (a shared CA)."""
    existing = session.get_objects(
        {Attribute.CLASS: ObjectClass.CERTIFICATE, Attribute.VALUE: cert.dump()}
    )
    if any(True for _ in existing):
        return
    attrs = decode_x509_certificate(cert.dump())
    attrs.update({Attribute.TOKEN: True, Attribute.LABEL: label})
    if cert_id:
        attrs[Attribute.ID] = cert_id
    session.create_object(attrs)


def _ca_label(cert: x509.Certificate) -> str:
    return str(cert.subject.native.get("common_name", "CA"))


def main(argv: Sequence[str] | None = None) -> int:
    """Create a token in a folder and import the named PKCS#12 credentials."""
    args = _parser().parse_args(argv)
    folder = TokenFolder(args.dir)
    os.environ["SOFTHSM2_CONF"] = str(folder.write_config().resolve())
    module = args.module or find_module()
    if module is None:
        print("edocx: SoftHSM2 is not installed (Debian: softhsm2)", file=sys.stderr)
        return 2

    try:
        # Every file is read and opened before the token is made, so that a
        # wrong passphrase leaves no half-filled token behind.
        passphrase = _passphrase(args.passphrase_file)
        p12s = {label: path.read_bytes() for label, path in args.key}
        for data in p12s.values():
            pkcs12.load_key_and_certificates(data, passphrase)
        pin = _user_pin(args.pin_file)
        create_token(module, args.token, user_pin=pin, so_pin=_so_pin(folder))
        for label, data in p12s.items():
            import_p12(
                module,
                args.token,
                user_pin=pin,
                p12=data,
                passphrase=passphrase,
                key_label=label,
            )
    except (ConfigurationError, OSError, ValueError) as e:
        print(f"edocx: {e}", file=sys.stderr)
        return 1

    labels = [label for label, _ in args.key]
    _print_usage(folder, module, args.token, labels, args.pin_file)
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="softhsm-token", description=main.__doc__)
    parser.add_argument("dir", type=Path, help="folder of the configuration")
    parser.add_argument("--token", required=True, help="label of the new token")
    parser.add_argument("--module", type=Path, help="SoftHSM2 library")
    parser.add_argument("--pin-file", type=Path, help="user PIN (made if absent)")
    parser.add_argument("--passphrase-file", type=Path, help="PKCS#12 passphrase")
    parser.add_argument(
        "--key",
        action="append",
        default=[],
        type=_key_arg,
        metavar="LABEL=P12",
        help="import this PKCS#12 file under LABEL (repeatable)",
    )
    return parser


def _key_arg(value: str) -> tuple[str, Path]:
    label, sep, path = value.partition("=")
    if not sep or not label or not path:
        raise argparse.ArgumentTypeError(f"expected LABEL=P12FILE, got {value!r}")
    return label, Path(path)


def _user_pin(pin_file: Path | None) -> str:
    from_env = os.environ.get("EDOCX_TOKEN_PIN")
    if from_env:
        return from_env
    if pin_file is None:
        raise ConfigurationError("set EDOCX_TOKEN_PIN or give --pin-file")
    if not pin_file.is_file():
        write_private_file(pin_file, secrets.token_hex(8))
    return pin_file.read_text(encoding="utf-8").strip()


def _so_pin(folder: TokenFolder) -> str:
    # The security officer's PIN of a development token is random and kept
    # beside it, readable by its owner only.
    path = folder.root / "so-pin"
    if not path.is_file():
        write_private_file(path, secrets.token_hex(8))
    return path.read_text(encoding="utf-8").strip()


def _passphrase(path: Path | None) -> bytes:
    from_env = os.environ.get("EDOCX_KEY_PASSPHRASE")
    if from_env:
        return from_env.encode("utf-8")
    if path is None:
        return b""
    return path.read_bytes().strip()


def _print_usage(
    folder: TokenFolder,
    module: Path,
    token: str,
    labels: list[str],
    pin_file: Path | None,
) -> None:
    pin_line = (
        f'pin_file = "{pin_file.resolve()}"'
        if pin_file is not None
        else "# the PIN: EDOCX_TOKEN_PIN in the environment"
    )
    print(f"export SOFTHSM2_CONF={folder.conf_path.resolve()}")
    for label in labels:
        print(
            f"\n[keys.tokens.{label}]\n"
            f'module = "{module}"\n'
            f'token = "{token}"\n'
            f"{pin_line}"
        )


if __name__ == "__main__":
    sys.exit(main())
