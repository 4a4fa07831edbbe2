"""Offline verification of a signed tree head: no hub, no network.

:func:`verify_tree_head` checks, cheapest first:

1. the fields decode (base64, the key id names the first certificate);
2. the hub's signature over the signed bytes, with that certificate;
3. that certificate's chain, through the CAs the head carries, to one of
   the given roots of trust, valid when the head was made;
4. the RFC 3161 token: over SHA-256 of the same bytes, its signature
   intact with the TSA's certificate (time-stamping usage), that
   certificate chained to the roots, and its time near the head's.

Revocation is not checked: offline there is nothing to ask.
"""
# TODO(#6): a head could carry the OCSP responses of its audit and TSA
# certificates, as a B-LT signature does, so that an offline check also
# knows they were not revoked when it was made.

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import TypeAlias

from asn1crypto import cms
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID
from pyhanko.sign.validation.generic_cms import validate_sig_integrity

from edocx.audit.auditkey import key_id
from edocx.audit.treehead import SignedTreeHead, head_bytes, unb64

# How far the TSA's time may be from the moment the hub says it made the
# head: the TSA is asked right after the head is signed.
TIMESTAMP_SLACK = timedelta(minutes=10)
_MAX_CHAIN = 8


AnyCertificate: TypeAlias = x509.Certificate | asn1_x509.Certificate


def verify_tree_head(
    sth: SignedTreeHead, trust_roots: Sequence[AnyCertificate]
) -> list[str]:
    """Return what is wrong with ``sth``; an empty list means it is good.

    ``trust_roots`` may be cryptography's or asn1crypto's certificates (as
    :func:`edocx.pki.trust.load_certs` gives them).
    """
    roots = [_as_cryptography(root) for root in trust_roots]
    # 1. Fields.
    try:
        signature = unb64(sth.signature)
        chain = [x509.load_der_x509_certificate(unb64(c)) for c in sth.certificates]
        token = unb64(sth.timestamp_token)
        unb64(sth.root_hash)
        made_at = datetime.fromisoformat(sth.made_at)
    except ValueError as e:
        return [f"the tree head does not decode: {e}"]
    if not chain:
        return ["the tree head carries no certificate"]
    if made_at.tzinfo is None:
        return ["the tree head's time has no time zone"]
    if key_id(chain[0]) != sth.key_id:
        return ["the key id does not name the tree head's certificate"]

    # 2. Signature; 3. chain of the audit key.
    signed = head_bytes(sth)
    problems = _signature_problems(chain[0], signature, signed)
    problems += _chain_problems(chain[0], chain[1:], roots, made_at, "audit")

    # 4. Timestamp.
    problems += _token_problems(token, signed, roots, made_at)
    return problems


def _as_cryptography(cert: AnyCertificate) -> x509.Certificate:
    if isinstance(cert, x509.Certificate):
        return cert
    return x509.load_der_x509_certificate(cert.dump())


def _signature_problems(
    cert: x509.Certificate, signature: bytes, data: bytes
) -> list[str]:
    key = cert.public_key()
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, data, ec.ECDSA(hashes.SHA256()))
        else:
            return ["the audit certificate's key is neither RSA nor EC"]
    except InvalidSignature:
        return ["the hub's signature does not match the tree head"]
    return []


def _chain_problems(
    cert: x509.Certificate,
    intermediates: Sequence[x509.Certificate],
    roots: Sequence[x509.Certificate],
    at: datetime,
    what: str,
) -> list[str]:
    """Follow issuers from ``cert`` up to a root of trust, valid at ``at``."""
    current = cert
    for _ in range(_MAX_CHAIN):
        if not _valid_at(current, at):
            return [f"the {what} chain has a certificate not valid at {at}: "
                    f"{current.subject.rfc4514_string()}"]  # fmt: skip
        if any(current == root for root in roots):
            return []
        issuer = _issuer(current, roots) or _issuer(current, intermediates)
        if issuer is None:
            return [f"the {what} certificate does not chain to a root of trust"]
        current = issuer
    return [f"the {what} chain is longer than {_MAX_CHAIN} certificates"]


def _issuer(
    cert: x509.Certificate, candidates: Sequence[x509.Certificate]
) -> x509.Certificate | None:
    for candidate in candidates:
        if candidate.subject != cert.issuer or not _is_ca(candidate):
            continue
        try:
            cert.verify_directly_issued_by(candidate)
        except (ValueError, TypeError, InvalidSignature):
            continue
        return candidate
    return None


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        return bool(
            cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
        )
    except x509.ExtensionNotFound:
        return False


def _valid_at(cert: x509.Certificate, at: datetime) -> bool:
    return cert.not_valid_before_utc <= at <= cert.not_valid_after_utc


def _token_problems(
    token: bytes,
    signed: bytes,
    roots: Sequence[x509.Certificate],
    made_at: datetime,
) -> list[str]:
    try:
        signed_data = cms.ContentInfo.load(token)["content"]
        encap = signed_data["encap_content_info"]
        tst_info = encap["content"].parsed
        imprint = tst_info["message_imprint"]
        signer = signed_data["signer_infos"][0]
        certs = [c.chosen for c in signed_data["certificates"]]
        gen_time: datetime = tst_info["gen_time"].native
    except (ValueError, TypeError, KeyError, IndexError) as e:
        return [f"the timestamp token does not decode: {e}"]

    if (
        imprint["hash_algorithm"]["algorithm"].native != "sha256"
        or imprint["hashed_message"].native != hashlib.sha256(signed).digest()
    ):
        return ["the timestamp token is over other bytes than the tree head's"]
    tsa = _signer_certificate(signer, certs)
    if tsa is None:
        return ["the timestamp token does not carry its TSA's certificate"]

    problems = _token_signature_problems(signer, tsa, encap["content"].contents)
    tsa_cert = x509.load_der_x509_certificate(tsa.dump())
    others = [x509.load_der_x509_certificate(c.dump()) for c in certs if c != tsa]
    if not _time_stamping(tsa_cert):
        problems.append("the timestamp's certificate is not for time-stamping")
    problems += _chain_problems(tsa_cert, others, roots, gen_time, "TSA")
    if abs(gen_time.astimezone(UTC) - made_at) > TIMESTAMP_SLACK:
        problems.append(f"the timestamp ({gen_time.isoformat()}) is far from the"
                        f" tree head's time ({made_at.isoformat()})")  # fmt: skip
    return problems


def _signer_certificate(
    signer: cms.SignerInfo, certs: list[asn1_x509.Certificate]
) -> asn1_x509.Certificate | None:
    sid = signer["sid"]
    for cert in certs:
        if sid.name == "issuer_and_serial_number":
            wanted = sid.chosen
            if (
                cert.issuer == wanted["issuer"]
                and cert.serial_number == wanted["serial_number"].native
            ):
                return cert
        elif cert.key_identifier == sid.chosen.native:
            return cert
    return None


def _token_signature_problems(
    signer: cms.SignerInfo, tsa: asn1_x509.Certificate, content: bytes
) -> list[str]:
    algorithm = signer["digest_algorithm"]["algorithm"].native
    digest = hashlib.new(algorithm, content).digest()
    try:
        intact, valid = validate_sig_integrity(signer, tsa, "tst_info", digest)
    except Exception as e:  # pyHanko raises its own kinds on odd tokens
        return [f"the timestamp token's signature cannot be checked: {e}"]
    if not intact:
        return ["the timestamp token was changed after the TSA signed it"]
    if not valid:
        return ["the timestamp token's signature does not verify"]
    return []


def _time_stamping(cert: x509.Certificate) -> bool:
    try:
        usage = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return False
    return ExtendedKeyUsageOID.TIME_STAMPING in usage
