"""Everything about one signature that does not depend on trust anchors.

For a signature (``/Sig``): the CMS container, the digest of the signed
byte ranges against ``messageDigest``, the signature value, the signature
timestamp token, the signer's claimed signing time. For a document timestamp
(``/DocTimeStamp``, ETSI EN 319 142-1 §5.4): the RFC 3161 token, whose
imprint must be the digest of the signed byte ranges. For both: what
happened to the file afterwards (:mod:`edocx.verification.modifications`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from asn1crypto import cms
from pyhanko.pdf_utils import generic
from pyhanko.sign.validation import generic_cms
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature, extract_contents

from edocx.verification.cryptocheck import (
    CMSParts,
    CryptoCheckError,
    TokenCheck,
    byte_range_digest,
    check_signature_value,
    check_token,
    damaged_token,
    identify_signer,
    load_signed_data,
    message_digest_matches,
    signature_imprint,
    signature_timestamp_tokens,
)
from edocx.verification.document import (
    SIGNATURE_SUBFILTERS,
    TIMESTAMP_SUBFILTER,
    OpenedDocument,
    SignatureEntry,
    pdf_get,
)
from edocx.verification.modifications import (
    ModificationFindings,
    analyse_modifications,
    settle_form_filling,
)
from edocx.verification.report import SignatureKind, SubIndication

logger = logging.getLogger(__name__)


@dataclass
class IntegrityFindings:
    entry: SignatureEntry
    parts: CMSParts | None = None
    intact: bool | None = None
    valid: bool | None = None
    crypto_note: str | None = None
    claimed_time: datetime | None = None
    # The signature timestamp of a signature; the token of a document
    # timestamp.
    token: TokenCheck | None = None
    token_problem: str | None = None
    # For a document timestamp: the digest its imprint must equal.
    imprint: Callable[[str], bytes] | None = None
    # A structural failure: the signature cannot be checked as it stands.
    failure: CryptoCheckError | None = None
    embedded: EmbeddedPdfSignature | None = None
    modifications: ModificationFindings = field(default_factory=ModificationFindings)

    @property
    def crypto_ok(self) -> bool:
        return self.failure is None and bool(self.intact and self.valid)


def check_integrity(doc: OpenedDocument, entry: SignatureEntry) -> IntegrityFindings:
    """Check one signature or document timestamp, cheapest checks first."""
    findings = IntegrityFindings(entry=entry)
    try:
        if entry.kind is SignatureKind.SIGNATURE:
            _check_signature(doc, entry, findings)
        else:
            _check_document_timestamp(doc, entry, findings)
    except CryptoCheckError as e:
        findings.failure = e

    embedded, modifications = analyse_modifications(
        doc.reader, entry, doc.signature_field_names
    )
    findings.embedded = embedded
    findings.modifications = modifications
    if entry.kind is SignatureKind.SIGNATURE and findings.claimed_time is None:
        findings.claimed_time = _stated_time(doc, entry)
    return findings


def settle_later_changes(all_findings: list[IntegrityFindings]) -> None:
    """Let a later signature attest fields filled in after an earlier one."""
    signed = sorted(
        (f.modifications.signed_revision, f.entry.field_name)
        for f in all_findings
        if f.entry.kind is SignatureKind.SIGNATURE
        and f.crypto_ok
        and f.modifications.signed_revision is not None
    )
    for findings in all_findings:
        revision = findings.modifications.signed_revision
        later = [
            name for rev, name in signed if revision is not None and rev > revision
        ]
        findings.modifications = settle_form_filling(
            findings.modifications, later[0] if later else None
        )


def _check_signature(
    doc: OpenedDocument, entry: SignatureEntry, findings: IntegrityFindings
) -> None:
    # 1. The container; its format.
    signed_data, signer_info = load_signed_data(_contents(entry))
    findings.claimed_time = _signed_time(signer_info)
    if entry.subfilter not in SIGNATURE_SUBFILTERS:
        raise CryptoCheckError(
            f"the signature format {entry.subfilter or '(none)'} is not supported",
            SubIndication.FORMAT_FAILURE,
        )

    # 2. Digest of the signed bytes; it needs no certificate.
    md_algorithm = signer_info["digest_algorithm"]["algorithm"].native
    digest = byte_range_digest(doc.data, _byte_range(entry), md_algorithm)
    findings.intact = message_digest_matches(signer_info, digest)

    # 3. The signer's certificate, then the signature value.
    parts = identify_signer(signed_data, signer_info)
    findings.parts = parts
    findings.intact, findings.valid, findings.crypto_note = check_signature_value(
        parts, digest
    )

    # 4. The signature timestamp (ETSI EN 319 122-1 §5.3), if any.
    tokens = signature_timestamp_tokens(parts.signer_info)
    if tokens:
        try:
            findings.token = check_token(
                tokens[0], signature_imprint(parts.signer_info)
            )
        except CryptoCheckError as e:
            findings.token_problem = e.message
            findings.token = damaged_token(tokens[0], e.message)


def _check_document_timestamp(
    doc: OpenedDocument, entry: SignatureEntry, findings: IntegrityFindings
) -> None:
    parts = identify_signer(*load_signed_data(_contents(entry)))
    findings.parts = parts
    if entry.subfilter != TIMESTAMP_SUBFILTER:
        raise CryptoCheckError(
            f"a document timestamp must use {TIMESTAMP_SUBFILTER}, "
            f"not {entry.subfilter or '(none)'}",
            SubIndication.FORMAT_FAILURE,
        )
    byte_range = _byte_range(entry)

    def imprint(algorithm: str) -> bytes:
        return byte_range_digest(doc.data, byte_range, algorithm)

    findings.imprint = imprint
    token = check_token(parts.signed_data, imprint)
    findings.token = token
    findings.intact, findings.valid = token.intact, token.valid
    findings.crypto_note = token.note
    findings.claimed_time = token.time


def _contents(entry: SignatureEntry) -> bytes:
    try:
        return extract_contents(entry.sig_dict)
    except Exception as e:
        raise CryptoCheckError(
            "the signature dictionary has no readable /Contents",
            SubIndication.FORMAT_FAILURE,
        ) from e


def _byte_range(entry: SignatureEntry) -> list[object]:
    value = pdf_get(entry.sig_dict, "/ByteRange")
    if not isinstance(value, generic.ArrayObject):
        raise CryptoCheckError(
            "the signature dictionary has no /ByteRange", SubIndication.FORMAT_FAILURE
        )
    return [int(v) if isinstance(v, generic.NumberObject) else v for v in value]


def _signed_time(signer_info: cms.SignerInfo) -> datetime | None:
    """The signingTime attribute: signed, so it wins over the /M entry."""
    try:
        return generic_cms.extract_self_reported_ts(signer_info)
    except Exception:
        return None


def _stated_time(doc: OpenedDocument, entry: SignatureEntry) -> datetime | None:
    """The /M entry as the signed revision wrote it.

    /M is outside the CMS and a later revision can rewrite the signature
    dictionary: the time shown must be the one the signer's revision holds
    (the rewrite itself is judged by the difference analysis).
    """
    try:
        signed = _as_signed(doc, entry, _revision_signed(doc, entry))
        raw = pdf_get(signed, "/M")
        if not isinstance(raw, (generic.TextStringObject, generic.ByteStringObject)):
            return None
        return generic.parse_pdf_date(str(raw), strict=False)
    except Exception:
        return None


def _revision_signed(doc: OpenedDocument, entry: SignatureEntry) -> int | None:
    """The last revision that ends within the signed bytes.

    Not the revision that last wrote the signature dictionary, as pyHanko
    takes it: a later revision rewriting /M or /Reason would then pass for
    the signed one.
    """
    values = _byte_range(entry)
    if len(values) < 2 or not all(isinstance(v, int) for v in values[-2:]):
        return None
    end = int(values[-2]) + int(values[-1])  # type: ignore[call-overload]
    xrefs = doc.reader.xrefs
    ends = [
        xrefs.get_xref_container_info(revision).end_location
        for revision in range(xrefs.total_revisions)
    ]
    signed = [revision for revision, at in enumerate(ends) if at <= end]
    return signed[-1] if signed else None


def _as_signed(
    doc: OpenedDocument, entry: SignatureEntry, signed_revision: int | None
) -> generic.PdfObject:
    value = entry.field.raw_get("/V") if "/V" in entry.field else None
    if signed_revision is None or not isinstance(value, generic.IndirectObject):
        return entry.sig_dict
    resolver = doc.reader.get_historical_resolver(signed_revision)
    signed: generic.PdfObject = resolver.get_object(value.reference)
    return signed
