"""Keys in PKCS#11 tokens (HSMs, smart cards, SoftHSM2), opened once.

A PKCS#11 library may be initialised only once per process, and the login
state belongs to the token, not to a session: a second login on the same
token fails. So each process keeps one library object per module path and
one logged-in session per token, and every key of that token signs through
that session. pyHanko's ``PKCS11Signer`` does the signing; python-pkcs11
serialises operations on a session, so threads may share it.

The private key never leaves the token. Its certificate is read from the
token (same label as the key), and so are the CA certificates stored there,
which go into the signature as a PKCS#12 file's chain would.

A PIN the token refused is never offered to it again by this process: a
smart card locks its PIN after a few wrong tries, and a service that logs in
again for every document would lock it within seconds. The refusal is kept
per token and keyed fingerprint of the PIN for the life of the process; the
hub's parent keeps the refusals its workers report (``remember_refusal``,
``check_not_refused``).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import pkcs11
from asn1crypto import x509
from pkcs11 import Attribute, Mechanism, ObjectClass, Session
from pkcs11.exceptions import (
    DeviceError,
    DeviceRemoved,
    MultipleTokensReturned,
    NoSuchToken,
    PinIncorrect,
    PinLenRange,
    PinLocked,
    PKCS11Error,
    SessionClosed,
    SessionHandleInvalid,
    TokenNotPresent,
    UserAlreadyLoggedIn,
    UserNotLoggedIn,
)
from pkcs11.types import Token
from pyhanko.sign.pkcs11 import PKCS11Signer

from edocx.errors import ConfigurationError, TokenPINRefusedError

if TYPE_CHECKING:
    from pkcs11 import _pkcs11

logger = logging.getLogger(__name__)

PIN_HINT = "check the token's user PIN (its environment variable or PIN file)"
RESTART_HINT = (
    "correct the token's user PIN (its environment variable or PIN file), then"
    " restart the hub; a refused PIN is not tried again, lest the token lock it"
)

# Failures after which the session is of no more use: the token went away,
# restarted or logged out. The next signature opens a new session.
SESSION_LOST = (
    DeviceError,
    DeviceRemoved,
    SessionClosed,
    SessionHandleInvalid,
    TokenNotPresent,
    UserNotLoggedIn,
)

_sessions: dict[tuple[Path, str], tuple[Session, str]] = {}
_signers: dict[tuple[Path, str, str], TokenSigner] = {}
_lock = threading.Lock()

# PINs refused in this process, by token and keyed fingerprint. The key is
# made per process, so a fingerprint that leaked would not help guess a PIN.
_refused: set[tuple[Path, str, bytes]] = set()
_FINGERPRINT_KEY = secrets.token_bytes(32)


class TokenSigner(PKCS11Signer):  # type: ignore[misc]
    """A ``PKCS11Signer`` that gives its token up when the session is lost."""

    def __init__(self, session: Session, module: Path, token: str, key_label: str):
        super().__init__(
            session, key_label=key_label, ca_chain=_ca_certs(session), embed_roots=True
        )
        self.module = module
        self.token = token

    async def async_sign_raw(
        self, data: bytes, digest_algorithm: str, dry_run: bool = False
    ) -> bytes:
        try:
            signature: bytes = await super().async_sign_raw(
                data, digest_algorithm, dry_run
            )
        except SESSION_LOST as e:
            logger.warning(
                "PKCS#11 token %s: session lost (%s); the next signature logs in again",
                self.token,
                type(e).__name__,
            )
            _drop_session(self.module, self.token)
            raise
        return signature


def module_lib(module: Path) -> _pkcs11.lib:
    """Return the process's one library object for ``module``, loading it."""
    with _lock:
        return _lib(module)


def open_signer(module: Path, token: str, key_label: str, pin: str) -> TokenSigner:
    """Return a signer for the key ``key_label`` of ``token``, kept per process.

    The session is logged in with ``pin`` the first time the token is used
    in this process. Raises ``ConfigurationError`` when the module, the token,
    the key or its certificate cannot be found or the PIN is refused.
    """
    key = (module, token, key_label)
    with _lock:
        # The PIN is checked on every call, also for a key opened before.
        session = _session(module, token, pin)
        signer = _signers.get(key)
        if signer is None:
            signer = _open_signer(session, module, token, key_label)
            _signers[key] = signer
    return signer


def remember_refusal(module: Path, token: str, pin: str) -> None:
    """Never offer ``pin`` to ``token`` again in this process."""
    with _lock:
        _refused.add(_refusal_key(module, token, pin))


def check_not_refused(module: Path, token: str, pin: str) -> None:
    """Raise ``TokenPINRefusedError`` if ``token`` refused ``pin`` before."""
    with _lock:
        _check_not_refused(module, token, pin)


def _check_not_refused(module: Path, token: str, pin: str) -> None:
    if _refusal_key(module, token, pin) in _refused:
        raise TokenPINRefusedError(
            f"the PIN of PKCS#11 token {token!r} was refused earlier; it is not"
            " tried again",
            hint=RESTART_HINT,
        )


def _refusal_key(module: Path, token: str, pin: str) -> tuple[Path, str, bytes]:
    digest = hmac.new(_FINGERPRINT_KEY, pin.encode("utf-8"), hashlib.sha256)
    return (module.resolve(), token, digest.digest())


def _drop_session(module: Path, token: str) -> None:
    with _lock:
        _sessions.pop((module, token), None)
        for key in [k for k in _signers if k[:2] == (module, token)]:
            del _signers[key]


def _lib(module: Path) -> _pkcs11.lib:
    # python-pkcs11 keeps one object per path; the real path makes a link to
    # the same library that object too, instead of a second initialisation,
    # which PKCS#11 refuses.
    try:
        return pkcs11.lib(str(module.resolve()))
    except PKCS11Error as e:
        raise ConfigurationError(
            f"cannot load the PKCS#11 module {module}: {e}",
            hint="install the token's library (Debian: softhsm2 for SoftHSM2)",
        ) from e


def _session(module: Path, token: str, pin: str) -> Session:
    opened = _sessions.get((module, token))
    if opened is None:
        _check_not_refused(module, token, pin)
        session = _login(_find_token(_lib(module), module, token), module, pin)
        _sessions[(module, token)] = (session, pin)
        logger.info("logged in to PKCS#11 token %s", token)
        return session

    # The token is logged in already, so the library would take any PIN:
    # compare it with the one that logged in, lest a wrong one pass unseen.
    session, login_pin = opened
    if not hmac.compare_digest(pin.encode(), login_pin.encode()):
        raise TokenPINRefusedError(
            f"the PIN of PKCS#11 token {token!r} was refused", hint=PIN_HINT
        )
    return session


def _find_token(lib: _pkcs11.lib, module: Path, label: str) -> Token:
    try:
        return lib.get_token(token_label=label)
    except NoSuchToken as e:
        raise ConfigurationError(
            f"no PKCS#11 token labelled {label!r} in {module}",
            hint="check keys.tokens (token) and, for SoftHSM2, SOFTHSM2_CONF",
        ) from e
    except MultipleTokensReturned as e:
        raise ConfigurationError(
            f"several PKCS#11 tokens are labelled {label!r} in {module}",
            hint="give each token its own label",
        ) from e


def _login(token: Token, module: Path, pin: str) -> Session:
    # Read-only is enough to sign; a wrong PIN is named, never shown.
    try:
        return token.open(user_pin=pin)
    except (PinIncorrect, PinLenRange) as e:
        _refused.add(_refusal_key(module, token.label, pin))
        logger.error("PKCS#11 token %s refused the PIN; not tried again", token.label)
        raise TokenPINRefusedError(
            f"the PIN of PKCS#11 token {token.label!r} was refused", hint=RESTART_HINT
        ) from e
    except UserAlreadyLoggedIn:
        # Logged in by this process before a session was given up: the login
        # belongs to the token and serves the new session as well.
        return token.open()
    except PinLocked as e:
        _refused.add(_refusal_key(module, token.label, pin))
        raise TokenPINRefusedError(
            f"the PIN of PKCS#11 token {token.label!r} is locked",
            hint="the token's security officer must unlock it; then restart the hub",
        ) from e
    except PKCS11Error as e:
        raise ConfigurationError(
            f"cannot log in to PKCS#11 token {token.label!r}: {type(e).__name__}"
        ) from e


def _open_signer(
    session: Session, module: Path, token: str, key_label: str
) -> TokenSigner:
    """Find the key and its certificate now, so a missing one is said here."""
    # TODO(#4): a key marked CKA_ALWAYS_AUTHENTICATE (signature cards for
    # qualified signatures) wants the PIN again before each signature; the
    # signer does not give it, so the token refuses such a key when signing.
    signer = TokenSigner(session, module, token, key_label)
    try:
        # Loading also keeps pyHanko from loading lazily inside an event loop
        # that the next signature will no longer run.
        cert = signer.signing_cert
    except PKCS11Error as e:
        raise ConfigurationError(
            f"PKCS#11 token {token!r}: {e}",
            hint="import the key and its certificate under the same label",
        ) from e
    signer.use_raw_mechanism = _hash_on_host(session, cert)
    logger.info(
        "opened PKCS#11 key %s/%s (certificate serial %s)",
        token,
        key_label,
        cert.serial_number,
    )
    return signer


def _hash_on_host(session: Session, cert: x509.Certificate) -> bool:
    """Tell whether the token signs ECDSA only over a digest made outside.

    Many tokens, SoftHSM2 among them, offer plain CKM_ECDSA and no
    CKM_ECDSA_SHA256: the digest is then computed here and the token signs
    it, which yields the same signature.
    """
    if cert.public_key.algorithm != "ec":
        return False
    offered = session.token.slot.get_mechanisms()
    return Mechanism.ECDSA_SHA256 not in offered and Mechanism.ECDSA in offered


def _ca_certs(session: Session) -> list[x509.Certificate]:
    found = session.get_objects({Attribute.CLASS: ObjectClass.CERTIFICATE})
    certs = [x509.Certificate.load(obj[Attribute.VALUE]) for obj in found]
    return [cert for cert in certs if cert.ca]
