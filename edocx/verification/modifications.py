"""What happened to the file after a signature: coverage and later revisions.

A PDF signature covers the bytes of the revision it was made in; anything
appended later (ISO 32000-1 §7.5.6, incremental updates) is outside it. The
signature still stands for the document only if those updates are harmless.
pyHanko's difference analysis (``DEFAULT_DIFF_POLICY``) sorts them into
levels; edocx then applies a stricter rule of its own:

* the signature must cover its whole revision (``ENTIRE_REVISION``);
* later revisions may add signatures, document timestamps and validation
  data (PAdES B-LT/LTA), and nothing else, unless a certification signature
  (DocMDP, ISO 32000-1 §12.8.2.2) explicitly allows form filling (P=2) or
  annotations (P=3). Filling a text field after an approval signature is
  the "replace" shadow attack: the page shows content nobody signed.
* a field the signature locks (FieldMDP, ISO 32000-1 Table 256) is never
  filled in, redrawn or signed afterwards, whatever signs later;
* a field may be filled in after a signature only once, from empty (or the
  hub's placeholder): a value that a signature covers, or that a field took
  after it, never changes again. Refilling a field is a change of signed
  content, whatever signs later (re-issuing an issued document under
  another number, for one).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.fields import MDPPerm
from pyhanko.sign.validation.pdf_embedded import (
    EmbeddedPdfSignature,
    read_certification_data,
)
from pyhanko.sign.validation.status import SignatureCoverageLevel

from edocx.verification.byterange import (
    RangeFacts,
    examine_byte_range,
    placed_by_byte_range,
    revision_ending_at,
)
from edocx.verification.diffpolicy import PolicyResult, review_revisions
from edocx.verification.document import SignatureEntry
from edocx.verification.fieldlocks import read_locks
from edocx.verification.fieldvalues import refilled_fields
from edocx.verification.report import ChangeKind, ChangeReport, ModificationClass
from edocx.verification.xrefrepair import is_rebuilt

logger = logging.getLogger(__name__)

# The most a certification level lets later revisions do (ISO 32000-1
# Table 254); validation data and document timestamps are always allowed
# (ETSI EN 319 142-1 §5.4).
PERMITTED_LEVEL = {
    MDPPerm.NO_CHANGES: ModificationLevel.LTA_UPDATES,
    MDPPerm.FILL_FORMS: ModificationLevel.FORM_FILLING,
    MDPPerm.ANNOTATE: ModificationLevel.ANNOTATIONS,
}


@dataclass(frozen=True)
class ModificationFindings:
    signed_revision: int | None = None
    coverage: SignatureCoverageLevel | None = None
    level: ModificationLevel | None = None
    docmdp_ok: bool | None = None
    # A change that makes the signature fail.
    problem: str | None = None
    # Why the analysis could not be completed, if it could not.
    undetermined: str | None = None
    # Non-signature fields filled in after signing, not yet judged (see
    # settle_form_filling).
    filled_fields: tuple[str, ...] = ()
    note: str | None = None
    # Every change after the signature, in revision order.
    changes: tuple[ChangeReport, ...] = ()
    modification_class: ModificationClass | None = None
    # The ByteRange is well formed and ends a revision (DSS's meaning).
    byte_range_valid: bool | None = None
    covers_whole_file: bool | None = None

    @property
    def allowed(self) -> bool | None:
        """Whether what came after signing is acceptable; None if unknown."""
        if self.problem is not None or self.filled_fields:
            return False
        if self.undetermined is not None or self.coverage is None:
            return None
        return True


def analyse_modifications(
    reader: PdfFileReader,
    entry: SignatureEntry,
    signature_field_names: set[str],
) -> tuple[EmbeddedPdfSignature | None, ModificationFindings]:
    """Place the signature in the file's history and judge what came after.

    Steps: 1. the ByteRange; 2. find the signed revision; 3. coverage;
    4. classify every later change (edocx's policy, diffpolicy.py) under
    the signature's FieldMDP locks (fieldlocks.py); 5. DocMDP; 6. the edocx
    rule on form filling.
    """
    # 1. The ByteRange alone: well formed, ending a revision, whole file.
    facts = examine_byte_range(_file_bytes(reader), entry.sig_dict)
    base = ModificationFindings(
        byte_range_valid=facts.byte_range_valid,
        covers_whole_file=facts.covers_whole_file,
    )

    # 2. The revision whose cross-reference section introduced the signature;
    # by the ByteRange alone when pyHanko cannot read the CMS.
    try:
        embedded: EmbeddedPdfSignature | None = EmbeddedPdfSignature(
            reader, entry.field, entry.field_name
        )
        placed: EmbeddedPdfSignature = embedded  # type: ignore[assignment]
    except Exception as e:
        embedded = None
        try:
            placed = placed_by_byte_range(reader, entry)
        except Exception:
            reason = f"the signature cannot be placed in the file: {_brief(e)}"
            return None, replace(base, undetermined=reason)
    base = replace(base, signed_revision=placed.signed_revision)

    # 3. Coverage (cheap: offsets and the xref table of the revision).
    try:
        coverage: SignatureCoverageLevel = placed.evaluate_signature_coverage()
        # The revision the ByteRange ends, also when it ends the file (a
        # linearized file's first-page section is a revision to pyHanko).
        if coverage in (
            SignatureCoverageLevel.CONTIGUOUS_BLOCK_FROM_START,
            SignatureCoverageLevel.ENTIRE_FILE,
        ):
            coverage = _covered_later(reader, placed, coverage)
        if embedded is not None:
            _prime(embedded)
    except Exception as e:
        reason = f"the signed byte ranges cannot be examined: {_brief(e)}"
        return embedded, replace(base, undetermined=reason)
    base = replace(base, coverage=coverage, signed_revision=placed.signed_revision)
    if coverage < SignatureCoverageLevel.ENTIRE_REVISION or not facts.byte_range_valid:
        return embedded, _partial_coverage(base, placed.signed_revision)
    if coverage == SignatureCoverageLevel.ENTIRE_FILE:
        return embedded, replace(
            base,
            level=ModificationLevel.NONE,
            docmdp_ok=True,
            modification_class=ModificationClass.NONE,
        )

    # 4. Every later change, compared with the signed revision; a change to
    # a field this signature locked is suspicious.
    try:
        locks = read_locks(entry.sig_dict, entry.field)
        review = review_revisions(reader, placed.signed_revision, locks)
    except Exception as e:
        # A structure nothing can read: the later revisions cannot be
        # vouched for, and nothing proves a change either.
        logger.info("difference analysis failed: %s", _brief(e))
        reason = f"the later revisions cannot be analysed: {_brief(e)}"
        return embedded, replace(base, undetermined=reason)
    judged = _judge(reader, placed, base, review, facts, signature_field_names)
    return embedded, _unless_rebuilt(reader, judged)


def _covered_later(
    reader: PdfFileReader,
    placed: EmbeddedPdfSignature,
    coverage: SignatureCoverageLevel,
) -> SignatureCoverageLevel:
    """Coverage up to a later revision that the ByteRange ends exactly.

    pyHanko places a signature in the revision that last wrote its
    dictionary; a revision after that one (the first-page section of a
    linearized file) may lie wholly within the signed bytes too. Only a
    later revision is taken: a signature dictionary rewritten after the
    signed bytes stays outside its coverage.
    """
    values = [int(v) for v in placed.byte_range]
    later = revision_ending_at(reader, values[2] + values[3])
    if later is None or later <= placed.signed_revision:
        return coverage
    placed.signed_revision = later
    result: SignatureCoverageLevel = placed.evaluate_signature_coverage()
    return result


def _prime(embedded: EmbeddedPdfSignature) -> None:
    """Let pyHanko's trust validation reuse the signature's integrity facts.

    It fails on a digest algorithm pyHanko does not know; the digest is
    checked on its own elsewhere (integrity.py), so only the coverage
    matters here.
    """
    try:
        embedded.compute_integrity_info(skip_diff=True)
    except Exception as e:
        logger.info("pyHanko cannot compute the signature's digest: %s", _brief(e))


def _unless_rebuilt(
    reader: PdfFileReader, findings: ModificationFindings
) -> ModificationFindings:
    """Changes read from a rebuilt structure never count as harmless.

    The revisions of a file whose cross-reference data had to be rebuilt
    are edocx's reading, not necessarily a viewer's: a signature over
    part of such a file stays open (INDETERMINATE), whatever the changes
    look like; suspicious changes still fail it.
    """
    if not is_rebuilt(reader) or findings.problem is not None:
        return findings
    return replace(
        findings,
        undetermined="the file's cross-reference data is damaged and was "
        "rebuilt; what changed after this signature cannot be vouched for",
    )


def _partial_coverage(
    base: ModificationFindings, revision: int
) -> ModificationFindings:
    detail = "the signature does not cover the whole revision it belongs to"
    return replace(
        base,
        level=ModificationLevel.OTHER,
        docmdp_ok=False,
        problem=detail,
        changes=(
            ChangeReport(
                revision=revision, kind=ChangeKind.OTHER, detail=detail, suspicious=True
            ),
        ),
        modification_class=ModificationClass.SUSPICIOUS,
    )


def _judge(
    reader: PdfFileReader,
    embedded: EmbeddedPdfSignature,
    base: ModificationFindings,
    review: PolicyResult,
    facts: RangeFacts,
    signature_field_names: set[str],
) -> ModificationFindings:
    changes = review.changes
    problem = None
    if review.suspicious is not None:
        problem = f"the file was changed after this signature: {review.suspicious}"
    if facts.trailing_bytes:
        detail = (
            f"{facts.trailing_bytes} byte(s) after the end of the last revision "
            "(after its %%EOF)"
        )
        # They belong to no revision: numbered after the last one, never
        # with a revision a signature signed.
        after_last = reader.xrefs.total_revisions
        changes += (
            ChangeReport(
                revision=after_last,
                kind=ChangeKind.OTHER,
                detail=detail,
                detail_vi=f"Có {facts.trailing_bytes} byte nằm sau phần cuối của "
                "phiên bản cuối cùng (sau dấu %%EOF), không thuộc phiên bản nào",
                suspicious=True,
            ),
        )
        problem = problem or f"the file was changed after this signature: {detail}"

    # 5. DocMDP.
    permitted = _permitted(reader, embedded)
    docmdp_ok = permitted is None or review.level <= PERMITTED_LEVEL[permitted]
    if problem is None and not docmdp_ok:
        problem = "the changes after signing exceed what the certification allows"
    if problem is None and permitted is not None and review.new_visible_signatures:
        # The sneaky signature attack: after certification, a new visible
        # signature can draw anything over the certified page (pyHanko
        # refuses it by default too); certified documents offer their
        # signature fields in advance.
        problem = (
            "a new visible signature field was added to the certified "
            f"document ({review.new_visible_signatures[0]})"
        )

    # 6. The edocx rule: filling after an approval signature waits for a
    # later signature (settle_form_filling), and refilling never passes.
    filled: tuple[str, ...] = ()
    if permitted not in (MDPPerm.FILL_FORMS, MDPPerm.ANNOTATE):
        filled = tuple(
            n for n in review.filled_fields if n not in signature_field_names
        )
    refilled = refilled_fields(reader, embedded.signed_revision, filled)
    if problem is None and refilled:
        changes = blame_form_filling(changes)
    problem = problem or refilled
    suspicious = problem is not None
    return replace(
        base,
        level=review.level,
        docmdp_ok=docmdp_ok,
        problem=problem,
        filled_fields=filled,
        changes=changes,
        modification_class=(
            ModificationClass.SUSPICIOUS if suspicious else ModificationClass.HARMLESS
        ),
    )


def _permitted(reader: PdfFileReader, embedded: EmbeddedPdfSignature) -> MDPPerm | None:
    """The strictest DocMDP level in force for this signature."""
    levels = [embedded.docmdp_level]
    try:
        certification = read_certification_data(reader)
    except Exception:
        certification = None
    if certification is not None:
        levels.append(certification.permission)
    known = [level for level in levels if isinstance(level, MDPPerm)]
    return min(known, key=lambda level: level.value) if known else None


def _file_bytes(reader: PdfFileReader) -> bytes:
    stream = reader.stream
    getvalue = getattr(stream, "getvalue", None)
    if callable(getvalue):
        value = getvalue()
        if isinstance(value, bytes):
            return value
    position = stream.tell()
    stream.seek(0)
    data = stream.read()
    stream.seek(position)
    return bytes(data)


def settle_form_filling(
    findings: ModificationFindings, later_signature: str | None
) -> ModificationFindings:
    """Judge the fields filled in after a signature.

    Filling a field after an approval signature is how the "replace" shadow
    attack shows unsigned content. It is acceptable only when a later
    signature covers the filled-in values: its signer attests them (this is
    how the hub prints the number after the competent person has signed,
    Decree 30/2020 Art. 15), and anything changed after that signature is
    judged on that signature in turn.
    """
    if not findings.filled_fields or findings.problem is not None:
        return findings
    names = ", ".join(repr(name) for name in findings.filled_fields[:5])
    if later_signature is not None:
        note = (
            f"form field(s) {names} were filled in after this signature and "
            f"signed over by the later signature {later_signature!r}"
        )
        return replace(findings, filled_fields=(), note=note)
    problem = (
        f"form field(s) {names} were filled in after signing and no later "
        "signature covers them; the page may show content that was not signed"
    )
    return replace(
        findings,
        filled_fields=(),
        problem=problem,
        changes=blame_form_filling(findings.changes),
        modification_class=ModificationClass.SUSPICIOUS,
    )


def blame_form_filling(changes: tuple[ChangeReport, ...]) -> tuple[ChangeReport, ...]:
    """Mark the form filling suspicious when it is what fails the signature."""
    return tuple(
        c.model_copy(update={"suspicious": True})
        if c.kind is ChangeKind.FORM_FILLED
        else c
        for c in changes
    )


def _brief(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text[:200]
