"""The QR code's signed payload: a COSE_Sign1 message (RFC 9052 §4.2).

The message is the CBOR array ``[protected, unprotected, payload,
signature]`` under tag 18. The protected header holds the algorithm
(label 1), the unprotected one a key id (label 4: the first eight bytes of
the SHA-256 of the signer's certificate). The payload is a CBOR map of
text keys to text, integer or byte-string values. The signature is over the
``Sig_structure`` ``["Signature1", protected, h'', payload]`` (§4.4).

Signing goes through pyHanko's signer, so a body's seal key signs the same
way from a PKCS#12 file or a PKCS#11 token. Algorithms (RFC 9053, RFC 8812):
RS256 and PS256 for RSA keys, ES256 for P-256 keys (the signature as
``r || s``), EdDSA for Ed25519.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Mapping
from typing import Any

import cbor2
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)
from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko.sign.signers import Signer

from edocx.copies.errors import CopyPayloadError

COSE_SIGN1_TAG = 18
HEADER_ALG = 1
HEADER_KID = 4
ES256, EDDSA, PS256, RS256 = -7, -8, -37, -257
KID_LENGTH = 8
# A payload read from paper is small; a bigger message is not one of ours.
MAX_MESSAGE = 4096

_MECHANISMS = {
    "sha256_rsa": RS256,
    "rsassa_pkcs1v15": RS256,
    "rsassa_pss": PS256,
    "sha256_ecdsa": ES256,
    "ecdsa": ES256,
    "ed25519": EDDSA,
}
Payload = dict[str, Any]


def key_id(certificate_der: bytes) -> bytes:
    """Return the key id of a certificate: SHA-256 of its DER, cut to 8 bytes."""
    return hashlib.sha256(certificate_der).digest()[:KID_LENGTH]


def sign_payload(payload: Payload, signer: Signer) -> bytes:
    """Return ``payload`` as a tagged COSE_Sign1 message signed by ``signer``.

    Runs the signer's own event loop: call it in a worker, never on the
    hub's loop.
    """
    mechanism = signer.get_signature_mechanism_for_digest("sha256")
    alg = _MECHANISMS.get(mechanism.signature_algo)
    if alg is None or signer.signing_cert is None:
        raise CopyPayloadError(
            f"the key's mechanism {mechanism.signature_algo} has no COSE algorithm",
            hint="seal with an RSA, P-256 or Ed25519 key",
        )

    protected = cbor2.dumps({HEADER_ALG: alg})
    body = cbor2.dumps(payload)
    to_sign = _sig_structure(protected, body)
    raw = asyncio.run(signer.async_sign_raw(to_sign, "sha256"))
    if alg == ES256:
        raw = _der_to_raw(raw, 32)
    kid = key_id(signer.signing_cert.dump())
    message = [protected, {HEADER_KID: kid}, body, raw]
    return bytes(cbor2.dumps(cbor2.CBORTag(COSE_SIGN1_TAG, message)))


def verify_payload(data: bytes, certificate: x509.Certificate) -> Payload:
    """Return the payload of a COSE_Sign1 message that ``certificate`` signed.

    Raise ``CopyPayloadError`` when the message is malformed, names another
    key, or its signature does not verify.
    """
    protected, unprotected, body, signature = _parts(data)
    kid = unprotected.get(HEADER_KID)
    if kid is not None and kid != key_id(certificate.public_bytes(Encoding.DER)):
        raise CopyPayloadError("the payload was signed with another key")
    header = _decode(protected, "protected header")
    alg = header.get(HEADER_ALG) if isinstance(header, Mapping) else None
    _check_signature(alg, certificate, signature, _sig_structure(protected, body))

    payload = _decode(body, "payload")
    if not isinstance(payload, Mapping) or not all(isinstance(k, str) for k in payload):
        raise CopyPayloadError("the payload is not a map of named fields")
    return dict(payload)


def read_unverified(data: bytes) -> Payload:
    """Return the payload without checking it (to show what a QR claims)."""
    payload = _decode(_parts(data)[2], "payload")
    if not isinstance(payload, Mapping):
        raise CopyPayloadError("the payload is not a map of named fields")
    return dict(payload)


def _sig_structure(protected: bytes, body: bytes) -> bytes:
    return bytes(cbor2.dumps(["Signature1", protected, b"", body]))


def _parts(data: bytes) -> tuple[bytes, dict[Any, Any], bytes, bytes]:
    if len(data) > MAX_MESSAGE:
        raise CopyPayloadError("the payload is too large to be a copy's")
    message = _decode(data, "message")
    if isinstance(message, cbor2.CBORTag):
        if message.tag != COSE_SIGN1_TAG:
            raise CopyPayloadError(f"CBOR tag {message.tag} is not COSE_Sign1")
        message = message.value
    if not (isinstance(message, (list, tuple)) and len(message) == 4):
        raise CopyPayloadError("the message is not a COSE_Sign1 array")
    protected, unprotected, body, signature = message
    if not all(isinstance(p, bytes) for p in (protected, body, signature)):
        raise CopyPayloadError("the message's parts have the wrong types")
    if not isinstance(unprotected, Mapping):
        raise CopyPayloadError("the unprotected header is not a map")
    return protected, dict(unprotected), body, signature


def _decode(data: bytes, what: str) -> Any:
    try:
        return cbor2.loads(data)
    except Exception as e:
        # cbor2 raises several types on broken input; all mean "not ours".
        raise CopyPayloadError(f"the {what} is not valid CBOR") from e


def _check_signature(
    alg: object, certificate: x509.Certificate, signature: bytes, signed: bytes
) -> None:
    key = certificate.public_key()
    try:
        if alg == RS256 and isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, signed, padding.PKCS1v15(), hashes.SHA256())
        elif alg == PS256 and isinstance(key, rsa.RSAPublicKey):
            pss = padding.PSS(padding.MGF1(hashes.SHA256()), 32)
            key.verify(signature, signed, pss, hashes.SHA256())
        elif alg == ES256 and isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(_raw_to_der(signature, 32), signed, ec.ECDSA(hashes.SHA256()))
        elif alg == EDDSA and isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(signature, signed)
        else:
            raise CopyPayloadError(f"algorithm {alg!r} does not fit the certificate")
    except InvalidSignature as e:
        raise CopyPayloadError("the payload's signature does not verify") from e


def _der_to_raw(der: bytes, size: int) -> bytes:
    r, s = decode_dss_signature(der)
    return r.to_bytes(size, "big") + s.to_bytes(size, "big")


def _raw_to_der(raw: bytes, size: int) -> bytes:
    if len(raw) != 2 * size:
        raise CopyPayloadError("the ES256 signature has the wrong length")
    return bytes(
        encode_dss_signature(
            int.from_bytes(raw[:size], "big"), int.from_bytes(raw[size:], "big")
        )
    )
