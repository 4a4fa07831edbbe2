"""The signature level each signature reaches, named as DSS names it.

A PAdES signature climbs the baseline levels of ETSI EN 319 142-1 §6.3:
B-B (a CAdES-detached CMS with the baseline attributes), B-T (plus a valid
signature timestamp or a valid document timestamp over it), B-LT (plus, in
the file, the certificates and the revocation data of every certificate
that needs it) and B-LTA (plus a valid document timestamp over that data).
The names are the EU DSS library's, so that reports compare directly with
the DSS test corpus: ``PAdES_BASELINE_B`` ... ``_LTA``; ``PKCS7_B`` ...
``_LTA`` for the ``adbe.pkcs7`` SubFilters; the extended forms of ETSI EN
319 142-2 (``PAdES_BES``, ``PAdES_EPES``, ``PAdES_LTV``) for CAdES
signatures that miss a baseline requirement; and ``PDF_NOT_ETSI`` for a
signature that meets neither.

The level says which data the file carries, not whether it can be relied
on: that is the indication. The level of a signature is only raised by
timestamps that verify.
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TypeVar

from asn1crypto import cms, core, crl, ocsp, x509
from pyhanko.pdf_utils import generic
from pyhanko.sign.validation.pdf_embedded import extract_contents

from edocx.verification.document import OpenedDocument, SignatureEntry, pdf_get
from edocx.verification.evidence import DocumentEvidence, signer_evidence
from edocx.verification.integrity import IntegrityFindings
from edocx.verification.report import SignatureKind

logger = logging.getLogger(__name__)

ETSI_DETACHED = "/ETSI.CAdES.detached"
PKCS7_SUBFILTERS = frozenset({"/adbe.pkcs7.detached", "/adbe.pkcs7.sha1"})
NOT_ETSI = "PDF_NOT_ETSI"
MAX_CHAIN = 16

_Loaded = TypeVar("_Loaded", ocsp.OCSPResponse, crl.CertificateList, x509.Certificate)

_SHORT = {
    "PAdES_BASELINE_B": "B-B",
    "PAdES_BASELINE_T": "B-T",
    "PAdES_BASELINE_LT": "B-LT",
    "PAdES_BASELINE_LTA": "B-LTA",
}


def short_level(level: str | None) -> str | None:
    """The level for people: B-B, B-T, B-LT, B-LTA, or "legacy"."""
    if level is None:
        return None
    return _SHORT.get(level, "legacy")


@dataclass(frozen=True)
class _Stamp:
    """A document timestamp that verifies, and the revision it signed."""

    revision: int
    certs: tuple[x509.Certificate, ...]


@dataclass(frozen=True)
class LevelContext:
    """What the whole file offers every signature."""

    dss: DocumentEvidence
    # The first revision whose catalog has a /DSS; None without one.
    dss_revision: int | None
    stamps: tuple[_Stamp, ...]


def signature_levels(
    doc: OpenedDocument, findings: list[IntegrityFindings], dss: DocumentEvidence
) -> list[str | None]:
    """The DSS level of every entry; None for document timestamps."""
    history = dss.merged(_earlier_dss(doc))
    context = LevelContext(history, _dss_revision(doc), tuple(_stamps(findings)))
    levels = []
    for item in findings:
        try:
            levels.append(level_of(item, context))
        except Exception as e:
            # The level is a description; a file it cannot read loses it only.
            logger.info("level of %s not determined: %s", item.entry.field_name, e)
            levels.append(None)
    return levels


def level_of(findings: IntegrityFindings, context: LevelContext) -> str | None:
    entry = findings.entry
    if entry.kind is not SignatureKind.SIGNATURE:
        return None
    cms_data = _signed_data(entry)
    if cms_data is None:
        return None
    signed_data, signer_info = cms_data
    if signer_info is None or _enveloping(signed_data):
        # Two signers, or a CMS carrying its own content: not a PDF
        # signature any ETSI profile describes.
        return NOT_ETSI

    ladder = _Ladder(findings, signer_info, context)
    if entry.subfilter in PKCS7_SUBFILTERS:
        return ladder.pkcs7() if findings.parts is not None else NOT_ETSI
    if entry.subfilter != ETSI_DETACHED:
        return NOT_ETSI
    if _baseline_b(entry, signed_data, signer_info, findings):
        return ladder.baseline()
    if _extended_bes(entry, signer_info):
        return ladder.extended(_count(signer_info)["signature_policy_identifier"] > 0)
    return NOT_ETSI


class _Ladder:
    """T, LT and LTA for one signature; B is settled by the caller."""

    def __init__(
        self,
        findings: IntegrityFindings,
        signer_info: cms.SignerInfo,
        context: LevelContext,
    ) -> None:
        self.findings = findings
        self.context = context
        revision = findings.modifications.signed_revision
        # Document timestamps over this signature (ETSI EN 319 142-1 §5.4).
        self.later = tuple(
            s for s in context.stamps if revision is not None and s.revision > revision
        )
        own = signer_evidence(signer_info, ())
        self.evidence = context.dss.merged(own)

    def baseline(self) -> str:
        return self._climb("PAdES_BASELINE", needs_dss=True)

    def pkcs7(self) -> str:
        return self._climb("PKCS7", needs_dss=False)

    def extended(self, with_policy: bool) -> str:
        if self.timestamped() and self.long_term():
            return "PAdES_LTV"
        return "PAdES_EPES" if with_policy else "PAdES_BES"

    def _climb(self, prefix: str, *, needs_dss: bool) -> str:
        if not self.timestamped():
            return f"{prefix}_B"
        if not self.long_term() or (needs_dss and self.context.dss_revision is None):
            return f"{prefix}_T"
        return f"{prefix}_LTA" if self.archived() else f"{prefix}_LT"

    def timestamped(self) -> bool:
        token = self.findings.token
        parts = self.findings.parts
        if token is not None and token.intact and token.valid:
            # A signature timestamp after the certificate expired proves
            # nothing (ETSI EN 319 122-1 §6.3, requirement (m)).
            if parts is None or token.time < parts.signer_cert.not_valid_after:
                return True
        return bool(self.later)

    def long_term(self) -> bool:
        """Revocation data for every certificate that needs it, in the file."""
        if not self.evidence.ocsps and not self.evidence.crls:
            return False
        pool = self._certificate_pool()
        for leaf in self._leaves():
            chain = list(_chain(leaf, pool))
            # The certificates themselves: the chain must reach its root.
            if not _self_signed(chain[-1]):
                return False
            if not all(_has_revocation(c, self.evidence) for c in chain[:-1]):
                return False
        return True

    def archived(self) -> bool:
        """A document timestamp over the validation data."""
        after = self.context.dss_revision
        if after is None:
            return bool(self.later)
        return any(s.revision >= after for s in self.later)

    def _leaves(self) -> Iterator[x509.Certificate]:
        """The signer and every TSA whose token the validation data must serve."""
        if self.findings.parts is not None:
            yield self.findings.parts.signer_cert
        token = self.findings.token
        if token is not None and token.tsa_cert is not None:
            yield token.tsa_cert
        # Document timestamps made before the validation data was added; a
        # later one is the archive timestamp, whose own data may follow it.
        after = self.context.dss_revision
        for stamp in self.later:
            if after is not None and stamp.revision < after:
                yield stamp.certs[0]

    def _certificate_pool(self) -> list[x509.Certificate]:
        pool = list(self.evidence.certs)
        if self.findings.parts is not None:
            pool.extend(self.findings.parts.other_certs)
        if self.findings.token is not None:
            pool.extend(_certificates(self.findings.token.signed_data))
        for stamp in self.later:
            pool.extend(stamp.certs)
        return pool


def _stamps(findings: list[IntegrityFindings]) -> Iterator[_Stamp]:
    for item in findings:
        token, revision = item.token, item.modifications.signed_revision
        if item.entry.kind is not SignatureKind.DOCUMENT_TIMESTAMP:
            continue
        if token is None or revision is None or item.failure is not None:
            continue
        if token.intact and token.valid and token.tsa_cert is not None:
            certs = (token.tsa_cert, *_certificates(token.signed_data))
            yield _Stamp(revision, certs)


def _dss_revision(doc: OpenedDocument) -> int | None:
    for revision in range(doc.reader.xrefs.total_revisions):
        root = _historical_root(doc, revision)
        if root is not None and "/DSS" in root:
            return revision
    return None


def _historical_root(
    doc: OpenedDocument, revision: int
) -> generic.DictionaryObject | None:
    """The catalog as a revision left it; None if pyHanko cannot rebuild it.

    pyHanko counts a linearized file's two cross-reference sections as two
    revisions: the main section, at the end of the file, is revision 0, and
    the first-page section, which holds the catalog, revision 1. Revision 0
    alone may then name no catalog it holds. Such a revision is skipped,
    not the whole search: if it did hold a /DSS, the one found later only
    makes B-LTA harder to reach (the archive timestamp must follow it).
    """
    try:
        root = doc.reader.get_historical_root(revision)
    except Exception as e:
        logger.info("revision %d has no readable catalog: %s", revision, e)
        return None
    return root if isinstance(root, generic.DictionaryObject) else None


def _earlier_dss(doc: OpenedDocument) -> DocumentEvidence:
    """Validation data of /DSS dictionaries that a later revision replaced.

    Data once added stays proof of what was known (DSS reads every
    revision's dictionary, too); a later writer that rebuilt /DSS without
    it does not take it away.
    """
    ocsps: list[ocsp.OCSPResponse] = []
    crls: list[crl.CertificateList] = []
    certs: list[x509.Certificate] = []
    for revision in range(doc.reader.xrefs.total_revisions - 1):
        root = _historical_root(doc, revision)
        try:
            dss = pdf_get(root, "/DSS") if root is not None else None
            ocsps.extend(_streams(dss, "/OCSPs", ocsp.OCSPResponse))
            crls.extend(_streams(dss, "/CRLs", crl.CertificateList))
            certs.extend(_streams(dss, "/Certs", x509.Certificate))
        except Exception as e:
            logger.info("/DSS of revision %d not read: %s", revision, e)
    return DocumentEvidence(tuple(ocsps), tuple(crls), tuple(certs))


def _streams(dss: object, key: str, kind: type[_Loaded]) -> Iterator[_Loaded]:
    refs = pdf_get(dss, key) if dss is not None else None
    for ref in refs if isinstance(refs, generic.ArrayObject) else ():
        stream = ref.get_object()
        if isinstance(stream, generic.StreamObject):
            yield kind.load(stream.data)


def _signed_data(
    entry: SignatureEntry,
) -> tuple[cms.SignedData, cms.SignerInfo | None] | None:
    """The SignedData and its one signer (None if not exactly one)."""
    try:
        info = cms.ContentInfo.load(extract_contents(entry.sig_dict))
        if info["content_type"].native != "signed_data":
            return None
        signed_data: cms.SignedData = info["content"]
        signers = list(signed_data["signer_infos"])
    except Exception:
        return None
    return signed_data, (signers[0] if len(signers) == 1 else None)


def _enveloping(signed_data: cms.SignedData) -> bool:
    content = signed_data["encap_content_info"]["content"]
    return content is not None and content is not core.VOID


def _count(signer_info: cms.SignerInfo) -> Counter[str]:
    attrs = signer_info["signed_attrs"]
    if attrs is core.VOID:
        return Counter()
    return Counter(str(attr["type"].native) for attr in attrs)


def _baseline_b(
    entry: SignatureEntry,
    signed_data: cms.SignedData,
    signer_info: cms.SignerInfo,
    findings: IntegrityFindings,
) -> bool:
    """ETSI EN 319 142-1 §6.3 B-B, on the CMS and the signature dictionary."""
    attrs = _count(signer_info)
    required = ("/M", "/Contents", "/Filter", "/ByteRange", "/SubFilter")
    return (
        _extended_bes(entry, signer_info)
        and all(pdf_get(entry.sig_dict, key) is not None for key in required)
        # The signer's certificate is in SignedData.certificates.
        and bool(signed_data["certificates"])
        and findings.parts is not None
        # PAdES puts the signing time in /M, never in the CMS.
        and attrs["signing_time"] == 0
        and _content_type_is_data(signer_info)
        and _signing_certificate_attribute_fits(signer_info)
    )


def _extended_bes(entry: SignatureEntry, signer_info: cms.SignerInfo) -> bool:
    """ETSI EN 319 142-2 PAdES-E-BES: the attributes, and /Reason's limits."""
    attrs = _count(signer_info)
    reason = pdf_get(entry.sig_dict, "/Reason") is not None
    committed = attrs["commitment_type"] + attrs["signature_policy_identifier"] > 0
    return (
        attrs["content_type"] == 1
        and attrs["message_digest"] == 1
        and attrs["signing_certificate"] + attrs["signing_certificate_v2"] == 1
        and attrs["signer_attributes"] + attrs["signer_attributes_v2"] <= 1
        and attrs["signature_policy_identifier"] <= 1
        # /Reason and a commitment or policy in the CMS may contradict.
        and not (reason and committed)
    )


def _content_type_is_data(signer_info: cms.SignerInfo) -> bool:
    for attr in signer_info["signed_attrs"]:
        if attr["type"].native == "content_type":
            return bool(attr["values"][0].native == "data")
    return False


def _signing_certificate_attribute_fits(signer_info: cms.SignerInfo) -> bool:
    # ETSI EN 319 122-1 requirements (h), (i): version 1 for SHA-1 digests,
    # version 2 for any other.
    for attr in signer_info["signed_attrs"]:
        if attr["type"].native == "signing_certificate_v2":
            ess_cert = attr["values"][0]["certs"][0]
            return bool(ess_cert["hash_algorithm"]["algorithm"].native != "sha1")
    return True


def _certificates(signed_data: cms.SignedData) -> list[x509.Certificate]:
    return [
        c.chosen
        for c in signed_data["certificates"] or ()
        if isinstance(c.chosen, x509.Certificate)
    ]


def _self_signed(cert: x509.Certificate) -> bool:
    return bool(cert.subject == cert.issuer)


def _chain(
    leaf: x509.Certificate, pool: list[x509.Certificate]
) -> Iterator[x509.Certificate]:
    """The leaf and its issuers as far as ``pool`` names them, by name."""
    cert: x509.Certificate | None = leaf
    seen: set[bytes] = set()
    while cert is not None and cert.sha256 not in seen and len(seen) < MAX_CHAIN:
        seen.add(cert.sha256)
        yield cert
        cert = _issuer(cert, pool)


def _issuer(
    cert: x509.Certificate, pool: Iterable[x509.Certificate]
) -> x509.Certificate | None:
    if _self_signed(cert):
        return None
    candidates = [c for c in pool if c.subject == cert.issuer]
    key_id = cert.authority_key_identifier
    for candidate in candidates:
        if key_id is None or candidate.key_identifier == key_id:
            return candidate
    return candidates[0] if candidates else None


def _has_revocation(cert: x509.Certificate, evidence: DocumentEvidence) -> bool:
    return any(_crl_covers(cert, c) for c in evidence.crls) or any(
        _ocsp_covers(cert, r) for r in evidence.ocsps
    )


def _crl_covers(cert: x509.Certificate, revocation_list: crl.CertificateList) -> bool:
    return bool(revocation_list["tbs_cert_list"]["issuer"] == cert.issuer)


def _ocsp_covers(cert: x509.Certificate, response: ocsp.OCSPResponse) -> bool:
    try:
        basic = response["response_bytes"]["response"].parsed
        singles = basic["tbs_response_data"]["responses"]
    except Exception:
        return False
    for single in singles:
        cert_id = single["cert_id"]
        if cert_id["serial_number"].native != cert.serial_number:
            continue
        algorithm = cert_id["hash_algorithm"]["algorithm"].native
        issuer_hash = hashlib.new(algorithm, cert.issuer.dump()).digest()
        if cert_id["issuer_name_hash"].native == issuer_hash:
            return True
    return False
