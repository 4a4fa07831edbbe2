"""The directory of agencies as the API shows it, with seal certificates.

Each certificate is shown with its subject, serial number, validity,
SHA-256 fingerprint and PEM, so that a receiving system can pin the seal it
expects on a sender's documents. The hub keeps the certificates of the
agencies' seal credentials it can read: at start, a seal credential whose
certificate sits beside it in the PKI directory (``<pki.dir>/certs/<label>
.crt.pem``, the layout of the development PKI) is added when missing.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from edocx.store.agencies import add_certificate, list_agencies
from edocx.store.db import Database

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CertificateFacts:
    subject: str
    issuer: str
    serial: str  # hexadecimal
    not_before: datetime
    not_after: datetime
    sha256: str
    pem: str


def certificate_facts(der: bytes) -> CertificateFacts:
    cert = x509.load_der_x509_certificate(der)
    return CertificateFacts(
        subject=cert.subject.rfc4514_string(),
        issuer=cert.issuer.rfc4514_string(),
        serial=format(cert.serial_number, "x"),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        sha256=hashlib.sha256(der).hexdigest(),
        pem=cert.public_bytes(Encoding.PEM).decode("ascii"),
    )


async def keep_seal_certificates(db: Database, pki_dir: Path, *, at: datetime) -> int:
    """Add the seal certificates found beside the credentials; return how many."""
    async with db.read() as reader:
        agencies = await list_agencies(reader)
    found: list[tuple[int, bytes]] = []
    # TODO(#5): a seal key in a PKCS#11 token has its certificate on the
    # token; read it from there too.
    for agency in agencies:
        path = pki_dir / "certs" / f"{agency.seal_credential}.crt.pem"
        if agency.seal_credential and path.is_file():
            cert = x509.load_pem_x509_certificate(path.read_bytes())
            found.append((agency.id, cert.public_bytes(Encoding.DER)))

    added = 0
    async with db.write() as tx:
        for agency_id, der in found:
            added += await add_certificate(tx, agency_id, der, at=at)
    if added:
        logger.info("kept %d seal certificate(s) in the directory", added)
    return added
