"""Cryptographic checks of one CMS signature or RFC 3161 token, without trust.

Two questions are kept apart, as pyHanko does: is the signature *intact*
(the digest of the signed bytes equals the signed ``messageDigest``, or the
token's message imprint) and is it *valid* (the signature value verifies
with the signer's public key). Neither says anything about who the signer
is; that is :mod:`edocx.verification.trust`.

RFC 5652 §5.4 computes the signature over the DER encoding of the signed
attributes. A signer that wrote them in another order signed bytes that no
conforming verifier reconstructs, so such a signature is reported invalid,
as DSS and Bouncy Castle report it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from asn1crypto import cms, core, tsp, x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from pyhanko.sign.general import extract_signer_info
from pyhanko.sign.validation import generic_cms
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko.sign.validation.utils import extract_message_digest
from pyhanko_certvalidator.sig_validate import (
    DefaultSignatureValidator,
    SignatureValidationContext,
)
from pyhanko_certvalidator.util import get_pyca_cryptography_hash

from edocx.verification.report import SubIndication

logger = logging.getLogger(__name__)

MAX_BYTE_RANGE_PAIRS = 16


class CryptoCheckError(Exception):
    """The structure is too broken to check; ``sub_indication`` says how."""

    def __init__(self, message: str, sub_indication: SubIndication) -> None:
        super().__init__(message)
        self.message = message
        self.sub_indication = sub_indication


@dataclass(frozen=True)
class CMSParts:
    signed_data: cms.SignedData
    signer_info: cms.SignerInfo
    signer_cert: x509.Certificate
    other_certs: tuple[x509.Certificate, ...]


@dataclass(frozen=True)
class TokenCheck:
    """An RFC 3161 token: its time and whether it holds together."""

    time: datetime
    intact: bool
    valid: bool
    # None when the TSA's certificate cannot be identified in the token.
    tsa_cert: x509.Certificate | None
    signed_data: cms.SignedData
    note: str | None = None


def load_signed_data(contents: bytes) -> tuple[cms.SignedData, cms.SignerInfo]:
    """Decode a /Contents value into its SignedData and its one signer."""
    try:
        info = cms.ContentInfo.load(contents)
        if info["content_type"].native != "signed_data":
            raise ValueError("not a SignedData")
        signed_data: cms.SignedData = info["content"]
        signer_info = extract_signer_info(signed_data)
    except Exception as e:
        raise CryptoCheckError(
            f"the signature container (CMS) cannot be decoded: {_brief(e)}",
            SubIndication.FORMAT_FAILURE,
        ) from e
    return signed_data, signer_info


def identify_signer(
    signed_data: cms.SignedData, signer_info: cms.SignerInfo
) -> CMSParts:
    """Find the signer's certificate (ETSI EN 319 102-1 §5.2.3.4)."""
    try:
        certs = generic_cms.extract_certs_for_validation(signed_data)
    except SignatureValidationError as e:
        raise CryptoCheckError(
            f"the signer's certificate cannot be identified: {e.failure_message}",
            _sub_indication(e, SubIndication.NO_SIGNING_CERTIFICATE_FOUND),
        ) from e
    except Exception as e:
        raise CryptoCheckError(
            f"the certificates in the signature cannot be read: {_brief(e)}",
            SubIndication.FORMAT_FAILURE,
        ) from e
    return CMSParts(
        signed_data, signer_info, certs.signer_cert, tuple(certs.other_certs)
    )


def message_digest_matches(signer_info: cms.SignerInfo, digest: bytes) -> bool | None:
    """Compare ``digest`` with the signed messageDigest; None without one."""
    if signer_info["signed_attrs"] is core.VOID:
        return None
    try:
        signed: bytes = extract_message_digest(signer_info)
    except Exception:
        return None
    return signed == digest


def byte_range_digest(data: bytes, byte_range: object, algorithm: str) -> bytes:
    """Digest the bytes a /ByteRange names (pairs of offset and length)."""
    pairs = _byte_range_pairs(byte_range, len(data))
    try:
        digest = hashes.Hash(get_pyca_cryptography_hash(algorithm))
    except Exception as e:
        raise CryptoCheckError(
            f"unknown digest algorithm {algorithm!r}", SubIndication.FORMAT_FAILURE
        ) from e
    for offset, length in pairs:
        digest.update(data[offset : offset + length])
    return digest.finalize()


def _byte_range_pairs(byte_range: object, size: int) -> list[tuple[int, int]]:
    values = list(byte_range) if isinstance(byte_range, Sequence) else []
    bad = (
        not values
        or len(values) % 2
        or len(values) > 2 * MAX_BYTE_RANGE_PAIRS
        or not all(isinstance(v, int) and v >= 0 for v in values)
    )
    if bad:
        raise CryptoCheckError(
            "the /ByteRange is not a list of offsets and lengths",
            SubIndication.FORMAT_FAILURE,
        )
    pairs = list(zip(values[::2], values[1::2], strict=True))
    if any(offset + length > size for offset, length in pairs):
        raise CryptoCheckError(
            "the /ByteRange points beyond the end of the file",
            SubIndication.FORMAT_FAILURE,
        )
    return pairs


def check_signature_value(
    parts: CMSParts, digest: bytes
) -> tuple[bool, bool, str | None]:
    """Return (intact, valid, why not valid) of a CMS signature over ``digest``."""
    _check_content_type(parts)
    try:
        intact, valid = generic_cms.validate_sig_integrity(
            parts.signer_info,
            parts.signer_cert,
            expected_content_type="data",
            actual_digest=digest,
        )
    except SignatureValidationError as e:
        raise CryptoCheckError(
            e.failure_message, _sub_indication(e, SubIndication.FORMAT_FAILURE)
        ) from e
    except Exception as e:
        raise CryptoCheckError(
            f"the signature cannot be checked: {_brief(e)}",
            SubIndication.FORMAT_FAILURE,
        ) from e
    if not valid:
        return (
            intact,
            False,
            "the signature value does not verify with the signer's key",
        )
    if not signed_attributes_in_der_order(parts.signer_info):
        if not _verifies_over_der_attributes(parts):
            return (
                intact,
                False,
                (
                    "the signed attributes are not DER-encoded (RFC 5652 §5.4) and the "
                    "signature does not verify over their DER encoding"
                ),
            )
    if not _encapsulated_content_consistent(parts):
        return (
            intact,
            False,
            (
                "the content embedded in the signature container does not match "
                "the signed digest"
            ),
        )
    return intact, True, None


def _check_content_type(parts: CMSParts) -> None:
    """The signed contentType must name the eContentType (RFC 5652 §5.3, §11.1).

    pyHanko compares the signed attribute with "data" only: a container whose
    eContentType was altered would still verify, although its content type
    is no longer the one the signer signed.
    """
    attrs = parts.signer_info["signed_attrs"]
    if attrs is core.VOID:
        return
    econtent = parts.signed_data["encap_content_info"]["content_type"].dotted
    signed = [
        value.dotted
        for attr in attrs
        if attr["type"].native == "content_type"
        for value in attr["values"]
    ]
    if signed and econtent not in signed:
        raise CryptoCheckError(
            "the content type of the signature container does not match the "
            "content type the signer signed",
            SubIndication.FORMAT_FAILURE,
        )


def _encapsulated_content_consistent(parts: CMSParts) -> bool:
    """An enveloping CMS must sign its own content (RFC 5652 §5.4)."""
    content = parts.signed_data["encap_content_info"]["content"]
    if content is core.VOID or content is None:
        return True
    try:
        algorithm = parts.signer_info["digest_algorithm"]["algorithm"].native
        return (
            message_digest_matches(
                parts.signer_info, digest_of(algorithm, bytes(content))
            )
            is not False
        )
    except Exception:
        return False


def signed_attributes_in_der_order(signer_info: cms.SignerInfo) -> bool:
    """Whether the signed attributes are sorted as DER requires (X.690 §11.6)."""
    attrs = signer_info["signed_attrs"]
    if attrs is core.VOID or not attrs:
        return True
    encoded = [attr.dump() for attr in attrs]
    return encoded == sorted(encoded)


def _verifies_over_der_attributes(parts: CMSParts) -> bool:
    encoded = sorted(attr.dump() for attr in parts.signer_info["signed_attrs"])
    try:
        DefaultSignatureValidator().validate_signature(
            parts.signer_info["signature"].native,
            _der_set(b"".join(encoded)),
            parts.signer_cert.public_key,
            parts.signer_info["signature_algorithm"],
            context=SignatureValidationContext(
                contextual_md_algorithm=parts.signer_info["digest_algorithm"][
                    "algorithm"
                ].native
            ),
        )
    except InvalidSignature:
        return False
    return True


def _der_set(contents: bytes) -> bytes:
    """Encode a SET OF whose (sorted) element encodings are ``contents``."""
    length = len(contents)
    if length < 0x80:
        header = bytes([length])
    else:
        size = length.to_bytes((length.bit_length() + 7) // 8, "big")
        header = bytes([0x80 | len(size)]) + size
    return b"\x31" + header + contents


def check_token(
    signed_data: cms.SignedData, expected_imprint: Callable[[str], bytes]
) -> TokenCheck:
    """Check an RFC 3161 token: its imprint and its signature value."""
    # 1. The token must carry a TSTInfo (RFC 3161 §2.4.2).
    try:
        tst_info = signed_data["encap_content_info"]["content"].parsed
        if not isinstance(tst_info, tsp.TSTInfo):
            raise ValueError("no TSTInfo")
        time = tst_info["gen_time"].native
        imprint = tst_info["message_imprint"]
        imprint_algo = imprint["hash_algorithm"]["algorithm"].native
    except Exception as e:
        raise CryptoCheckError(
            f"the timestamp token cannot be decoded: {_brief(e)}",
            SubIndication.FORMAT_FAILURE,
        ) from e

    # 2. The imprint names what was timestamped.
    imprint_ok = imprint["hashed_message"].native == expected_imprint(imprint_algo)

    # 3. The TSA's signature over the TSTInfo.
    parts = _token_parts(signed_data)
    note = None
    try:
        content_digest = _digest(
            parts.signer_info["digest_algorithm"]["algorithm"].native,
            bytes(signed_data["encap_content_info"]["content"]),
        )
        content_ok, valid = generic_cms.validate_sig_integrity(
            parts.signer_info, parts.signer_cert, "tst_info", content_digest
        )
    except SignatureValidationError as e:
        content_ok = valid = False
        note = e.failure_message
    except Exception as e:
        # e.g. a key type that does not match the signature algorithm
        content_ok = valid = False
        note = f"the token's signature cannot be checked: {_brief(e)}"
    return TokenCheck(
        time=time,
        intact=imprint_ok and content_ok,
        valid=valid,
        tsa_cert=parts.signer_cert,
        signed_data=signed_data,
        note=note,
    )


def damaged_token(signed_data: cms.SignedData, note: str) -> TokenCheck | None:
    """A token that cannot be checked, kept with its stated time if it has one.

    A signature timestamp that does not verify is still part of the
    signature: the report shows it as invalid rather than as absent.
    """
    try:
        time = signed_data["encap_content_info"]["content"].parsed["gen_time"].native
    except Exception:
        return None
    if not isinstance(time, datetime):
        return None
    return TokenCheck(time, False, False, None, signed_data, note)


def signature_timestamp_tokens(signer_info: cms.SignerInfo) -> list[cms.SignedData]:
    """Return the signature timestamp tokens of a signer (unsigned attribute)."""
    try:
        return list(generic_cms.extract_tst_data_iter(signer_info, signed=False))
    except Exception as e:
        raise CryptoCheckError(
            f"the signature timestamp cannot be decoded: {_brief(e)}",
            SubIndication.FORMAT_FAILURE,
        ) from e


def signature_imprint(signer_info: cms.SignerInfo) -> Callable[[str], bytes]:
    """What a signature timestamp must imprint: the signature value's digest."""
    value = signer_info["signature"].native
    return lambda algorithm: digest_of(algorithm, value)


def _token_parts(signed_data: cms.SignedData) -> CMSParts:
    try:
        signer_info = extract_signer_info(signed_data)
        certs = generic_cms.extract_certs_for_validation(signed_data)
    except Exception as e:
        raise CryptoCheckError(
            f"the timestamp authority's certificate cannot be identified: {_brief(e)}",
            SubIndication.NO_SIGNING_CERTIFICATE_FOUND,
        ) from e
    return CMSParts(signed_data, signer_info, certs.signer_cert, ())


def _digest(algorithm: str, data: bytes) -> bytes:
    digest = hashes.Hash(get_pyca_cryptography_hash(algorithm))
    digest.update(data)
    return digest.finalize()


def digest_of(algorithm: str, data: bytes) -> bytes:
    """Hash ``data`` with a CMS digest algorithm name (e.g. ``sha256``)."""
    try:
        return _digest(algorithm, data)
    except Exception as e:
        raise CryptoCheckError(
            f"unknown digest algorithm {algorithm!r}", SubIndication.FORMAT_FAILURE
        ) from e


def _sub_indication(
    error: SignatureValidationError, default: SubIndication
) -> SubIndication:
    indic = error.ades_subindication
    if indic is None:
        return default
    try:
        return SubIndication(indic.standard_name)
    except ValueError:
        return default


def _brief(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text[:200]
