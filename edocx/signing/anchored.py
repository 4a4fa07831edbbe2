"""Which signatures of a PDF reach the trust anchors, decided offline.

Augmenting fetches revocation data from the addresses in the certificates
of each signature's path. A file may carry a signature under any root, whose
certificates name any address: following those would let a file steer the
hub's traffic. So every path is first built offline, from the anchors, the
configured helper certificates and the certificates the signature itself
carries, with no certificate fetched from an AIA address; only a signature
whose signer and timestamps all reach an anchor has its revocation data
fetched. The others are left as they are and named in a warning.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from asn1crypto import cms, x509
from pyhanko.sign.general import extract_certificate_info
from pyhanko.sign.validation.generic_cms import extract_tst_data_iter
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.errors import PathBuildingError
from pyhanko_certvalidator.registry import CertificateRegistry

from edocx.signing.levels import Level

logger = logging.getLogger(__name__)

SKIPPED_WARNING = (
    "signature {field} does not chain to the trust anchors; its validation "
    "data was not fetched and it keeps the level it had"
)


@dataclass(frozen=True)
class Anchored:
    """The signatures that reach the anchors, and the fields of the others."""

    reaching: tuple[EmbeddedPdfSignature, ...]
    foreign: tuple[str, ...]

    @property
    def warnings(self) -> tuple[str, ...]:
        """One sentence per signature left as it was."""
        return tuple(SKIPPED_WARNING.format(field=f) for f in self.foreign)


def offline_registry(extra_certs: Iterable[x509.Certificate]) -> CertificateRegistry:
    """Return a certificate registry that never fetches a certificate."""
    registry: CertificateRegistry = CertificateRegistry.build(
        extra_certs, cert_fetcher=None
    )
    return registry


def split_by_anchor(
    signatures: Sequence[EmbeddedPdfSignature],
    trust_roots: Sequence[x509.Certificate],
    extra_certs: Sequence[x509.Certificate],
) -> Anchored:
    """Sort ``signatures`` by whether each reaches ``trust_roots`` offline."""
    reaching: list[EmbeddedPdfSignature] = []
    foreign: list[str] = []
    for signature in signatures:
        context = ValidationContext(
            trust_roots=list(trust_roots),
            certificate_registry=offline_registry(extra_certs),
            allow_fetching=False,
        )
        if all(_reaches(signed, context) for signed in _signed_data(signature)):
            reaching.append(signature)
        else:
            logger.warning(
                "signature %s does not chain to the trust anchors; its "
                "validation data is not fetched",
                signature.field_name,
            )
            foreign.append(signature.field_name)
    return Anchored(tuple(reaching), tuple(foreign))


def reached_level(
    requested: Level, untimestamped: Sequence[str], anchored: Anchored
) -> Level:
    """Return the level every signature of the augmented file has at least.

    A signature without a timestamp stays B-B; one left out keeps its own
    level, at least B-T when it is timestamped (its data was not added).
    """
    if untimestamped:
        return Level.B_B
    if anchored.foreign:
        return Level.B_T
    return requested


def _signed_data(signature: EmbeddedPdfSignature) -> list[cms.SignedData]:
    signed = [signature.signed_data]
    for in_signed_attributes in (False, True):
        signed += extract_tst_data_iter(
            signature.signer_info, signed=in_signed_attributes
        )
    return signed


def _reaches(signed: cms.SignedData, context: ValidationContext) -> bool:
    certs = extract_certificate_info(signed)
    context.certificate_registry.register_multiple(certs.other_certs)
    try:
        return bool(context.path_builder.build_paths(certs.signer_cert))
    except PathBuildingError:
        return False
