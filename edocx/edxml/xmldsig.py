"""The packet signature: an enveloped XML-DSig in ``edXMLHeader`` (domain §3.5).

One profile only, the one QCVN 102 samples show, brought to SHA-256:
``Reference URI=""`` with the transforms ``enveloped-signature`` and
exclusive C14N, SignedInfo canonicalised with exclusive C14N, RSA-SHA256
(or ECDSA-SHA256) and ``KeyInfo/X509Data`` carrying the signer's
certificate. A general XML-DSig library (signxml, Apache-2.0, on lxml and
cryptography) would accept many more shapes than this profile; writing the
profile with lxml's C14N and cryptography keeps what is accepted exactly
what is emitted.

Verification says whether the signature holds over the packet's bytes and
names the certificate; whose certificate it is, and whether that agency
may speak for the sender, is the caller's question.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)
from cryptography.hazmat.primitives.serialization import Encoding
from lxml import etree

from edocx.edxml.parse import NAMESPACE

DSIG = "http://www.w3.org/2000/09/xmldsig#"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
ECDSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"

SigningKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey

# The packets were screened by expat already (no DTD, bounded depth); lxml
# still gets no entities and no network. A base64 attachment is one text
# node larger than libxml2's default 10 MB, hence huge_tree.
_PARSER_OPTIONS = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "huge_tree": True,
    "remove_comments": False,
}


def _parser() -> etree.XMLParser:
    return etree.XMLParser(**_PARSER_OPTIONS)


def _ds(name: str) -> str:
    return f"{{{DSIG}}}{name}"


def _header(root: etree._Element) -> etree._Element | None:
    return root.find(f"{{{NAMESPACE}}}edXMLEnvelope/{{{NAMESPACE}}}edXMLHeader")


def _c14n(element: etree._Element) -> bytes:
    return bytes(
        etree.tostring(element, method="c14n", exclusive=True, with_comments=False)
    )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def sign_packet(
    unsigned: bytes, key: SigningKey, certificate: x509.Certificate
) -> bytes:
    """Return ``unsigned`` with the hub's enveloped signature in its header.

    Steps: 1. digest the packet (no Signature yet); 2. add SignedInfo;
    3. sign its canonical form; 4. add the value and the certificate.
    """
    root = etree.fromstring(unsigned, _parser())
    header = _header(root)
    if header is None:
        raise ValueError("the packet has no edXMLHeader to sign in")

    # 1.
    digest = hashlib.sha256(_c14n(root)).digest()

    # 2. Unprefixed, in XML-DSig's namespace (the samples' placement).
    signature = etree.SubElement(header, _ds("Signature"), nsmap={None: DSIG})
    signed_info = etree.SubElement(signature, _ds("SignedInfo"))
    etree.SubElement(signed_info, _ds("CanonicalizationMethod"), Algorithm=EXC_C14N)
    method = RSA_SHA256 if isinstance(key, rsa.RSAPrivateKey) else ECDSA_SHA256
    etree.SubElement(signed_info, _ds("SignatureMethod"), Algorithm=method)
    reference = etree.SubElement(signed_info, _ds("Reference"), URI="")
    transforms = etree.SubElement(reference, _ds("Transforms"))
    etree.SubElement(transforms, _ds("Transform"), Algorithm=ENVELOPED)
    etree.SubElement(transforms, _ds("Transform"), Algorithm=EXC_C14N)
    etree.SubElement(reference, _ds("DigestMethod"), Algorithm=SHA256)
    etree.SubElement(reference, _ds("DigestValue")).text = _b64(digest)

    # 3. and 4.
    value = _sign(key, _c14n(signed_info))
    etree.SubElement(signature, _ds("SignatureValue")).text = _b64(value)
    x509_data = etree.SubElement(
        etree.SubElement(signature, _ds("KeyInfo")), _ds("X509Data")
    )
    etree.SubElement(
        x509_data, _ds("X509SubjectName")
    ).text = certificate.subject.rfc4514_string()
    der = certificate.public_bytes(Encoding.DER)
    etree.SubElement(x509_data, _ds("X509Certificate")).text = _b64(der)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def _sign(key: SigningKey, data: bytes) -> bytes:
    if isinstance(key, rsa.RSAPrivateKey):
        return key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    # XML-DSig wants r and s side by side, not the DER sequence.
    r, s = decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))
    size = (key.curve.key_size + 7) // 8
    return r.to_bytes(size, "big") + s.to_bytes(size, "big")


@dataclass(frozen=True)
class SignatureCheck:
    """The outcome of checking a packet signature."""

    valid: bool
    reason: str | None = None
    signer: str | None = None  # the certificate's subject (RFC 4514)
    certificate: x509.Certificate | None = None


def verify_packet(data: bytes) -> SignatureCheck:
    """Check the XML-DSig signature in the packet's header.

    Anything outside the profile (another transform, algorithm or
    reference, a second signature) is reported invalid, with the reason.
    """
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as e:
        return SignatureCheck(False, f"not XML: {e}")
    header = _header(root)
    found = [] if header is None else header.findall(_ds("Signature"))
    if len(found) != 1:
        return SignatureCheck(False, f"{len(found)} XML-DSig signatures, not one")
    try:
        return _verify(root, found[0])
    except _RefusedError as e:
        return SignatureCheck(False, str(e))


class _RefusedError(Exception):
    pass


def _verify(root: etree._Element, signature: etree._Element) -> SignatureCheck:
    signed_info = _one(signature, "SignedInfo")
    _require_algorithm(signed_info, "CanonicalizationMethod", {EXC_C14N})
    method = _require_algorithm(
        signed_info, "SignatureMethod", {RSA_SHA256, ECDSA_SHA256}
    )
    [reference] = _all(signed_info, "Reference", 1)
    if reference.get("URI") != "":
        raise _RefusedError('the reference is not URI="" (the whole packet)')
    transforms = [
        t.get("Algorithm") for t in _all(_one(reference, "Transforms"), "Transform", 2)
    ]
    if transforms != [ENVELOPED, EXC_C14N]:
        raise _RefusedError("transforms other than enveloped-signature, exclusive C14N")
    _require_algorithm(reference, "DigestMethod", {SHA256})
    certificate = _certificate(signature)

    # The signature over SignedInfo first: the digest means nothing without.
    value = _decode(_one(signature, "SignatureValue").text, "SignatureValue")
    _check_value(certificate, method, _c14n(signed_info), value)

    expected = _decode(_one(reference, "DigestValue").text, "DigestValue")
    _remove_keeping_text(signature)
    if hashlib.sha256(_c14n(root)).digest() != expected:
        raise _RefusedError("the packet's digest does not match: changed after signing")
    subject = certificate.subject.rfc4514_string()
    return SignatureCheck(True, None, subject, certificate)


def _one(parent: etree._Element, name: str) -> etree._Element:
    [found] = _all(parent, name, 1)
    return found


def _all(parent: etree._Element, name: str, count: int) -> list[etree._Element]:
    found = parent.findall(_ds(name))
    if len(found) != count:
        raise _RefusedError(f"{len(found)} {name} element(s) where {count} belong")
    return list(found)


def _require_algorithm(parent: etree._Element, name: str, allowed: set[str]) -> str:
    algorithm = _one(parent, name).get("Algorithm") or ""
    if algorithm not in allowed:
        raise _RefusedError(f"{name} {algorithm or '(none)'} is not accepted")
    return algorithm


def _decode(text: str | None, what: str) -> bytes:
    try:
        return base64.b64decode("".join((text or "").split()), validate=True)
    except ValueError as e:
        raise _RefusedError(f"{what} is not base64") from e


def _certificate(signature: etree._Element) -> x509.Certificate:
    x509_data = _one(_one(signature, "KeyInfo"), "X509Data")
    certificates = x509_data.findall(_ds("X509Certificate"))
    if not certificates:
        raise _RefusedError("KeyInfo carries no certificate")
    der = _decode(certificates[0].text, "X509Certificate")
    try:
        return x509.load_der_x509_certificate(der)
    except ValueError as e:
        raise _RefusedError("the certificate in KeyInfo cannot be read") from e


def _check_value(
    certificate: x509.Certificate, method: str, signed: bytes, value: bytes
) -> None:
    key = certificate.public_key()
    try:
        if method == RSA_SHA256 and isinstance(key, rsa.RSAPublicKey):
            key.verify(value, signed, padding.PKCS1v15(), hashes.SHA256())
            return
        if method == ECDSA_SHA256 and isinstance(key, ec.EllipticCurvePublicKey):
            half = len(value) // 2
            der = encode_dss_signature(
                int.from_bytes(value[:half], "big"), int.from_bytes(value[half:], "big")
            )
            key.verify(der, signed, ec.ECDSA(hashes.SHA256()))
            return
    except InvalidSignature as e:
        raise _RefusedError("the signature value does not match SignedInfo") from e
    raise _RefusedError("the certificate's key does not fit the signature method")


def _remove_keeping_text(element: etree._Element) -> None:
    """Remove ``element`` as the enveloped transform does: its tail text stays."""
    parent = element.getparent()
    assert parent is not None
    tail = element.tail or ""
    previous = element.getprevious()
    if previous is not None:
        previous.tail = (previous.tail or "") + tail
    else:
        parent.text = (parent.text or "") + tail
    parent.remove(element)
