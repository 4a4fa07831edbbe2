"""What lets one process sign documents by the thousand: a key parsed once and
a signature's size reckoned without signing twice.

pyHanko's ``SimpleSigner`` keeps the private key as ASN.1 and hands it to
OpenSSL again for every raw signature; OpenSSL 3 then re-validates an RSA
key, about 30 ms each time, against 0.3 ms for the RSA arithmetic. And
unless told how many bytes to reserve for the signature container, pyHanko
signs a dummy container first to measure it, so every document costs two
signatures and two timestamp requests. :func:`held_key` wraps a loaded
signer with its parsed key, kept for the life of the process;
:func:`reserved_bytes` reckons the container's size from the certificates
it embeds and one timestamp token of the TSAs (asked once per process).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import weakref
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ec import (
    ECDSA,
    EllipticCurvePrivateKey,
)
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from pyhanko.sign.signers import Signer, SimpleSigner
from pyhanko.sign.timestamps import TimeStamper
from pyhanko_certvalidator.util import get_pyca_cryptography_hash

logger = logging.getLogger(__name__)

DIGEST = "sha256"
# Signed attributes of a PAdES signature (content type, message digest,
# signing certificate v2, CMS algorithm protection) and the SignedData
# framing take well under 1 KiB; the rest is headroom.
ATTRIBUTES_ALLOWANCE = 2048
# The largest raw signature of the key types edocx accepts (RSA-4096).
SIGNATURE_ALLOWANCE = 512

_held: weakref.WeakKeyDictionary[SimpleSigner, HeldKeySigner]
_held = weakref.WeakKeyDictionary()
_token_sizes: weakref.WeakKeyDictionary[TimeStamper, int]
_token_sizes = weakref.WeakKeyDictionary()
_lock = threading.Lock()


class HeldKeySigner(SimpleSigner):  # type: ignore[misc]
    """A ``SimpleSigner`` that parses its private key once and keeps it.

    PKCS#1 v1.5 RSA and ECDSA sign with the kept key; any other mechanism
    (RSA-PSS, EdDSA...) goes through pyHanko's own code, unchanged.
    """

    def __init__(self, base: SimpleSigner) -> None:
        super().__init__(
            signing_cert=base.signing_cert,
            signing_key=base.signing_key,
            cert_registry=base.cert_registry,
            signature_mechanism=base.signature_mechanism,
            prefer_pss=base.prefer_pss,
            embed_roots=base.embed_roots,
        )
        self._key: Any = serialization.load_der_private_key(
            base.signing_key.dump(), password=None
        )

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm)
        try:
            algorithm = mechanism.signature_algo
        except ValueError:
            algorithm = mechanism["algorithm"].native
        hash_algo = get_pyca_cryptography_hash(digest_algorithm)

        key = self._key
        if algorithm == "rsassa_pkcs1v15" and isinstance(key, RSAPrivateKey):
            signature: bytes = key.sign(data, PKCS1v15(), hash_algo)
            return signature
        if algorithm == "ecdsa" and isinstance(key, EllipticCurvePrivateKey):
            signature = key.sign(data, ECDSA(hash_algo))
            return signature
        result: bytes = super().sign_raw(data, digest_algorithm)
        return result


def held_key(signer: Signer) -> Signer:
    """The signer to sign with: ``signer`` with its key kept when it has one.

    Only in-memory keys are wrapped; a token's key (PKCS#11) already stays
    inside the token, so such a signer is returned as it is.
    """
    if not isinstance(signer, SimpleSigner) or isinstance(signer, HeldKeySigner):
        return signer
    with _lock:
        held = _held.get(signer)
        if held is None:
            held = HeldKeySigner(signer)
            _held[signer] = held
    return held


def reserved_bytes(signer: Signer, timestamper: TimeStamper | None) -> int:
    """Room to reserve in the PDF for the signature container, in hex digits.

    The container holds the certificates the signer embeds, the signed
    attributes, the raw signature and, at B-T and above, one timestamp
    token; tokens of one TSA differ by a few bytes (time, serial, nonce),
    so the reckoning adds a quarter for safety.
    """
    certs = {cert.dump() for cert in signer.cert_registry}
    if signer.signing_cert is not None:
        certs.add(signer.signing_cert.dump())
    size = sum(len(cert) for cert in certs)
    size += ATTRIBUTES_ALLOWANCE + SIGNATURE_ALLOWANCE
    if timestamper is not None:
        size += _token_size(timestamper)
    # Two hex digits per byte, plus the margin.
    return 2 * (size + size // 4)


def _token_size(timestamper: TimeStamper) -> int:
    # One token per timestamper and process: pyHanko keeps the "dummy" token
    # it asks for to learn the TSA's certificates, and so do we.
    with _lock:
        known = _token_sizes.get(timestamper)
    if known is not None:
        return known
    token = asyncio.run(timestamper.async_dummy_response(DIGEST))
    size = len(token.dump())
    with _lock:
        _token_sizes[timestamper] = size
    return size
