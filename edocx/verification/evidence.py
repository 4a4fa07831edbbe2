"""Validation data carried by the document, and what it says about a signer.

PAdES B-LT (ETSI EN 319 142-1 §5.4) puts certificates, OCSP responses and
CRLs in the document security store (``/DSS``); older signers put them in
the ``adbe-revocationInfoArchival`` signed attribute (ISO 32000-1 §12.8.3.3).
Offline, this is all a verifier has; it is handed to pyHanko as local
knowledge, with proof of existence at the validation time (we hold these
objects now, so they existed now: ETSI EN 319 102-1 §5.6.2.3).

After validation, :func:`leaf_revocation` reads back which response or list
speaks for the signer's certificate, and where it came from.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from asn1crypto import cms, crl, ocsp, x509
from pyhanko.pdf_utils.decode_limits import DecodePurpose
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.general import find_unique_cms_attribute
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko.sign.validation.policy_decl import LocalKnowledge
from pyhanko_certvalidator.ltv.poe import (
    ValidationObject,
    ValidationObjectType,
    digest_for_poe,
)
from pyhanko_certvalidator.revinfo.archival import CRLContainer, OCSPContainer

from edocx.verification.report import (
    EvidenceSource,
    RevocationReport,
    RevocationSource,
    RevocationStatus,
)

logger = logging.getLogger(__name__)

# How much later than the validation time evidence may be issued and still
# count as current then (see with_freshness).
ISSUE_TOLERANCE = timedelta(minutes=5)


@dataclass(frozen=True)
class DocumentEvidence:
    ocsps: tuple[ocsp.OCSPResponse, ...] = ()
    crls: tuple[crl.CertificateList, ...] = ()
    certs: tuple[x509.Certificate, ...] = ()
    problem: str | None = None

    @property
    def digests(self) -> frozenset[bytes]:
        """Fingerprints of the revocation objects, to tell them from fetched ones."""
        return frozenset(
            digest_for_poe(obj.dump()) for obj in (*self.ocsps, *self.crls)
        )

    def merged(self, other: DocumentEvidence) -> DocumentEvidence:
        return DocumentEvidence(
            ocsps=self.ocsps + other.ocsps,
            crls=self.crls + other.crls,
            certs=self.certs + other.certs,
            problem=self.problem or other.problem,
        )

    def knowledge(self, at: datetime) -> LocalKnowledge:
        """The evidence as pyHanko local knowledge, existing at ``at``."""
        known = LocalKnowledge(
            known_ocsps=[c for r in self.ocsps for c in OCSPContainer.load_multi(r)],
            known_crls=[CRLContainer(c) for c in self.crls],
            known_certs=list(self.certs),
        )
        return replace(known, known_poes=list(known.assert_existence_known_at(at)))


def read_dss(reader: PdfFileReader) -> DocumentEvidence:
    """Read the document security store; a broken one counts as absent."""
    try:
        if "/DSS" not in reader.root:
            return DocumentEvidence()
        dss = DocumentSecurityStore.read_dss(reader)
        return DocumentEvidence(
            ocsps=tuple(
                ocsp.OCSPResponse.load(_read(ref, DecodePurpose.OCSP_RESPONSE))
                for ref in dss.ocsps
            ),
            crls=tuple(
                crl.CertificateList.load(_read(ref, DecodePurpose.CRL))
                for ref in dss.crls
            ),
            certs=tuple(dss.load_certs()),
        )
    except Exception as e:
        logger.info("unreadable /DSS ignored: %s", e)
        return DocumentEvidence(problem=f"the /DSS dictionary cannot be read: {e}")


def signer_evidence(
    signer_info: cms.SignerInfo, certs: Iterable[x509.Certificate]
) -> DocumentEvidence:
    """The certificates and adbe-revocationInfoArchival of one signature."""
    ocsps: tuple[ocsp.OCSPResponse, ...] = ()
    crls: tuple[crl.CertificateList, ...] = ()
    try:
        archival = find_unique_cms_attribute(
            signer_info["signed_attrs"], "adobe_revocation_info_archival"
        )
        ocsps = tuple(archival["ocsp"] or ())
        crls = tuple(archival["crl"] or ())
    except Exception:
        # Absent (the usual case), or unreadable: either way no evidence.
        pass
    return DocumentEvidence(ocsps=ocsps, crls=crls, certs=tuple(certs))


def leaf_revocation(
    cert: x509.Certificate,
    objects: Iterable[ValidationObject],
    document_digests: frozenset[bytes],
) -> RevocationReport:
    """What the available OCSP responses and CRLs say about ``cert``."""
    best = RevocationReport()
    for obj in objects:
        report = _speak_for(cert, obj)
        if report is None:
            continue
        origin = (
            EvidenceSource.DOCUMENT
            if digest_for_poe(report.data) in document_digests
            else EvidenceSource.FETCHED
        )
        found = report.revocation.model_copy(update={"origin": origin})
        # A revocation anywhere outweighs a good status elsewhere.
        if found.status is RevocationStatus.REVOKED:
            return found
        if best.status is RevocationStatus.UNKNOWN or (
            best.origin is EvidenceSource.FETCHED and origin is EvidenceSource.DOCUMENT
        ):
            best = found
    return best


def with_freshness(revocation: RevocationReport, at: datetime) -> RevocationReport:
    """Say whether the evidence was current at ``at``, the time it was used.

    Current means issued by ``at`` and not past its next update (RFC 6960
    §4.2.2.1, RFC 5280 §5.1.2.5). Evidence fetched during validation is
    issued a moment after ``at``, and the responder's clock may run a little
    ahead: both are within ``ISSUE_TOLERANCE``. Evidence that names no next
    update gives no freshness of its own: None.
    """
    if revocation.this_update is None or revocation.next_update is None:
        return revocation
    issued = revocation.this_update - ISSUE_TOLERANCE
    fresh = issued <= at < revocation.next_update
    return revocation.model_copy(update={"fresh": fresh})


@dataclass(frozen=True)
class _Spoken:
    revocation: RevocationReport
    data: bytes


def _speak_for(cert: x509.Certificate, obj: ValidationObject) -> _Spoken | None:
    try:
        if obj.object_type == ValidationObjectType.OCSP_RESPONSE:
            return _ocsp_status(cert, obj.value)
        if obj.object_type == ValidationObjectType.CRL:
            return _crl_status(cert, obj.value.crl_data)
    except Exception as e:
        logger.info("unreadable revocation object ignored: %s", e)
    return None


def _ocsp_status(cert: x509.Certificate, container: OCSPContainer) -> _Spoken | None:
    single = container.extract_single_response()
    if single is None:
        return None
    cert_id = single["cert_id"]
    if cert_id["serial_number"].native != cert.serial_number:
        return None
    algorithm = cert_id["hash_algorithm"]["algorithm"].native
    issuer_hash = hashlib.new(algorithm, cert.issuer.dump()).digest()
    if cert_id["issuer_name_hash"].native != issuer_hash:
        return None

    status = single["cert_status"]
    if status.name not in ("good", "revoked"):
        return None
    revoked = status.name == "revoked"
    response = container.ocsp_response_data
    report = RevocationReport(
        status=RevocationStatus.REVOKED if revoked else RevocationStatus.GOOD,
        source=RevocationSource.OCSP,
        revoked_at=status.chosen["revocation_time"].native if revoked else None,
        this_update=single["this_update"].native,
        next_update=single["next_update"].native,
        produced_at=_produced_at(response),
    )
    return _Spoken(report, response.dump())


def _produced_at(response: ocsp.OCSPResponse) -> datetime | None:
    try:
        moment: datetime = response.response_data["produced_at"].native
    except Exception:
        return None
    return moment


def _crl_status(
    cert: x509.Certificate, crl_data: crl.CertificateList
) -> _Spoken | None:
    tbs = crl_data["tbs_cert_list"]
    if tbs["issuer"] != cert.issuer:
        return None
    times = {
        "source": RevocationSource.CRL,
        "this_update": tbs["this_update"].native,
        "next_update": tbs["next_update"].native,
    }
    for entry in tbs["revoked_certificates"] or ():
        if entry["user_certificate"].native == cert.serial_number:
            report = RevocationReport(
                status=RevocationStatus.REVOKED,
                revoked_at=entry["revocation_date"].native,
                **times,
            )
            return _Spoken(report, crl_data.dump())
    report = RevocationReport(status=RevocationStatus.GOOD, **times)
    return _Spoken(report, crl_data.dump())


def _read(ref: object, purpose: DecodePurpose) -> bytes:
    data: bytes = ref.get_object().read_data(purpose)  # type: ignore[attr-defined]
    return data
