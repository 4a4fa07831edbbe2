"""Whose seal signed a copy's payload, and does the file carry both signatures?

A payload names a body by its code; any certificate under a trusted root
can sign CBOR. A payload counts only when its signer is a seal
(organisation) certificate of the body it names:

- the certificate is an organisation's, not a person's (the same reading
  of the subject as the signature report's roles);
- one of its organisation identifiers (organizationIdentifier, UID or
  serialNumber, with or without a scheme prefix such as ``MNS:`` or
  ``NTRVN-``) is the body's code.

The hub knows a body's seal certificate from the agency's seal credential;
the offline checkers know only the certificate, hence the identifiers.

A certified copy also carries the certifier's personal signature and the
body's seal signature made with that same certificate (``signature_problems``).
"""

from __future__ import annotations

import hashlib
import re

from asn1crypto import x509

from edocx.verification.identity import role_of_subject
from edocx.verification.report import SignatureKind, ValidationReport
from edocx.verification.reportparts import SignerRole

# TODO(#7): which attribute a public-duty CA's seal certificate uses for the
# body's code (and in which scheme) is assumed, not confirmed on real
# certificates; one that names the body otherwise reads as not its seal.
_IDENTIFIER_KEYS = ("organization_identifier", "user_id", "serial_number")
# "MNS:000.00.00.H41", "NTRVN-0101234567" (ETSI EN 319 412-1 §5.1.4).
_SCHEME = re.compile(r"^(?:[A-Z]{2,4}:|[A-Z]{3}[A-Z]{2}-)")


def signer_subject(der: bytes) -> str:
    """Return the subject of a certificate as a reader would write it."""
    try:
        return str(x509.Certificate.load(der).subject.human_friendly)
    except Exception:
        # A broken certificate has no name to show; say so instead.
        return "(unreadable certificate)"


def seal_problem(der: bytes, body_code: str) -> str | None:
    """Say why ``der`` is not a seal certificate of ``body_code``, or None."""
    try:
        subject = x509.Certificate.load(der).subject
        attrs = subject.native
    except Exception:
        return "the payload's signing certificate cannot be read"
    if role_of_subject(subject) is not SignerRole.SEAL:
        return "the payload is signed by a person's certificate, not a body's seal"
    if body_code not in organisation_identifiers(attrs):
        return f"the payload's signer is not a seal certificate of body {body_code}"
    return None


def organisation_identifiers(attrs: dict[str, object]) -> frozenset[str]:
    """Return the identifiers a subject holds, scheme prefixes removed."""
    found: set[str] = set()
    for key in _IDENTIFIER_KEYS:
        value = attrs.get(key)
        for item in value if isinstance(value, list) else [value]:
            if item is not None and str(item).strip():
                found.add(_SCHEME.sub("", str(item).strip(), count=1))
    return frozenset(found)


def signature_problems(report: ValidationReport, seal_der: bytes) -> list[str]:
    """Say what the file lacks of a certifier's and a seal's signature."""
    problems: list[str] = []
    if not any(
        s.kind is SignatureKind.SIGNATURE and s.role is SignerRole.PERSONAL
        for s in report.signatures
    ):
        problems.append("the file lacks the certifier's personal signature")
    if not sealed_by(report, seal_der):
        problems.append("no signature of the file is the body's seal of the payload")
    return problems


def sealed_by(report: ValidationReport, seal_der: bytes) -> bool:
    """Whether a signature of the file is made with the certificate ``seal_der``."""
    sha256 = hashlib.sha256(seal_der).hexdigest()
    return any(
        s.kind is SignatureKind.SIGNATURE
        and s.certificate is not None
        and s.certificate.sha256 == sha256
        for s in report.signatures
    )
