"""Who signed, in which role, and with which algorithms.

The role follows Decree 30/2020/NĐ-CP, Appendix I: an issued document
carries the competent person's own signature (a natural person's
certificate) and the agency's signature in place of its seal (an
organisation's certificate). The certificate says which it is:

- a natural person is named by given name, surname or pseudonym (ETSI
  EN 319 412-2 §4.2.4), by a title (the X.520 attribute for a person's
  position), or by a personal identity number in the UID or serialNumber
  (Vietnamese CAs write ``CMND:``, ``CCCD:`` or ``HC:`` there; ETSI EN 319
  412-1 §5.1.3 writes ``IDC``, ``PNO`` or ``PAS``);
- an organisation is named by an organizationIdentifier (EN 319 412-1
  §5.1.4), a tax or budget code (``MST:``, ``MNS:``), or a common name that
  is the organisation's own name (the hub's agency seals).

Weak algorithms are named as a reader knows them: SHA-1, MD5, RSA keys
shorter than 2048 bits, and the legacy ``adbe.pkcs7.sha1`` SubFilter.
"""

from __future__ import annotations

import logging
from typing import Any

from asn1crypto import cms, x509

from edocx.verification.report import (
    CertificateReport,
    SignatureKind,
    SignerRole,
    SubjectInfo,
)

logger = logging.getLogger(__name__)

PERSON_ATTRIBUTES = ("given_name", "surname", "pseudonym", "title")
PERSON_ID_PREFIXES = ("CMND", "CCCD", "HC", "IDC", "PNO", "PAS")
ORGANISATION_ID_PREFIXES = ("MST", "MNS", "VAT", "NTR", "LEI", "PSD")
WEAK_DIGESTS = {"sha1": "SHA-1", "md5": "MD5", "md2": "MD2"}
MIN_RSA_BITS = 2048
LEGACY_SHA1_SUBFILTER = "adbe.pkcs7.sha1"


def subject_info(name: x509.Name) -> SubjectInfo:
    """The common name, organisation and title a name holds."""
    try:
        attrs = name.native
        full = name.human_friendly
    except Exception:
        return SubjectInfo(full="(unreadable name)")
    return SubjectInfo(
        common_name=_text(attrs.get("common_name")),
        organization=_text(attrs.get("organization_name")),
        title=_text(attrs.get("title")),
        full=full,
    )


def certificate_report(cert: x509.Certificate) -> CertificateReport | None:
    """The facts of ``cert``; None when it is too broken to describe."""
    try:
        validity = cert["tbs_certificate"]["validity"]
        return CertificateReport(
            subject=subject_info(cert.subject),
            issuer=subject_info(cert.issuer),
            serial=hex_serial(cert.serial_number),
            not_before=validity["not_before"].native,
            not_after=validity["not_after"].native,
            key_usage=tuple(sorted(_native(cert.key_usage_value) or ())),
            extended_key_usage=tuple(_native(cert.extended_key_usage_value) or ()),
            public_key=_public_key(cert),
            sha256=cert.sha256.hex(),
        )
    except Exception as e:
        logger.info("certificate not described: %s", e)
        return None


def hex_serial(serial: int) -> str:
    return format(serial, "X") if serial >= 0 else "-" + format(-serial, "X")


def signer_role(kind: SignatureKind, cert: x509.Certificate | None) -> SignerRole:
    """Tell a personal signature from an agency's seal by its certificate."""
    if kind is SignatureKind.DOCUMENT_TIMESTAMP:
        return SignerRole.TIMESTAMP
    if cert is None:
        return SignerRole.UNKNOWN
    return role_of_subject(cert.subject)


def role_of_subject(subject: x509.Name) -> SignerRole:
    """Personal or seal, from the attributes of a certificate's subject."""
    try:
        attrs = subject.native
    except Exception:
        return SignerRole.UNKNOWN

    # 1. Attributes only a person's certificate carries.
    ids = _identifiers(attrs)
    if any(attrs.get(a) for a in PERSON_ATTRIBUTES) or _prefixed(
        ids, PERSON_ID_PREFIXES
    ):
        return SignerRole.PERSONAL

    # 2. Attributes only an organisation's certificate carries.
    organisations = _values(attrs, "organization_name", "organizational_unit_name")
    common_names = _values(attrs, "common_name")
    if attrs.get("organization_identifier") or _prefixed(ids, ORGANISATION_ID_PREFIXES):
        return SignerRole.SEAL
    if organisations and (not common_names or common_names <= organisations):
        return SignerRole.SEAL

    # 3. A common name that is not the organisation's: a person's name.
    return SignerRole.PERSONAL if common_names else SignerRole.UNKNOWN


def weak_algorithms(
    signer_info: cms.SignerInfo | None,
    cert: x509.Certificate | None,
    subfilter: str | None,
) -> tuple[str, ...]:
    """Name the weak or legacy algorithms a signature relies on."""
    found: list[str] = []
    if subfilter == LEGACY_SHA1_SUBFILTER:
        found.append(LEGACY_SHA1_SUBFILTER)
    if signer_info is not None:
        found.extend(_weak_digests(digest_algorithm(signer_info)))
        found.extend(_weak_digests(_signature_hash(signer_info)))
    if cert is not None:
        found.extend(_weak_key(cert))
        found.extend(_weak_digests(_certificate_hash(cert)))
    return tuple(dict.fromkeys(found))


def digest_algorithm(signer_info: cms.SignerInfo) -> str | None:
    """The CMS digest algorithm, by asn1crypto's name (e.g. ``sha256``)."""
    try:
        name: str = signer_info["digest_algorithm"]["algorithm"].native
    except Exception:
        return None
    return name


def signature_algorithm(signer_info: cms.SignerInfo) -> str | None:
    """The CMS signature algorithm, e.g. ``sha256_rsa`` or ``rsassa_pkcs1v15``."""
    try:
        name: str = signer_info["signature_algorithm"]["algorithm"].native
    except Exception:
        return None
    return name


def _signature_hash(signer_info: cms.SignerInfo) -> str | None:
    # "rsassa_pkcs1v15" names no hash: the digest algorithm is the one used.
    try:
        name: str = signer_info["signature_algorithm"].hash_algo
    except Exception:
        return None
    return name


def _certificate_hash(cert: x509.Certificate) -> str | None:
    try:
        name: str = cert["signature_algorithm"].hash_algo
    except Exception:
        return None
    return name


def _weak_digests(name: str | None) -> list[str]:
    return [WEAK_DIGESTS[name]] if name in WEAK_DIGESTS else []


def _weak_key(cert: x509.Certificate) -> list[str]:
    try:
        key = cert.public_key
        if key.algorithm == "rsa" and key.bit_size < MIN_RSA_BITS:
            return [f"RSA-{key.bit_size}"]
    except Exception:
        return []
    return []


def _public_key(cert: x509.Certificate) -> str | None:
    try:
        key = cert.public_key
        if key.algorithm == "ec":
            return f"EC {key.curve[1]}"
        return f"{key.algorithm.upper()} {key.bit_size}"
    except Exception:
        return None


def _identifiers(attrs: dict[str, object]) -> list[str]:
    return [v.upper() for v in _values(attrs, "user_id", "serial_number") if v.strip()]


def _prefixed(values: list[str], prefixes: tuple[str, ...]) -> bool:
    return any(v.startswith(p) for v in values for p in prefixes)


def _values(attrs: dict[str, object], *keys: str) -> frozenset[str]:
    found: set[str] = set()
    for key in keys:
        value = attrs.get(key)
        items = value if isinstance(value, list) else [value]
        found.update(str(item).strip() for item in items if item is not None)
    return frozenset(found)


def _native(extension: object) -> Any:
    return None if extension is None else extension.native  # type: ignore[attr-defined]


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)
