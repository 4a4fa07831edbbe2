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
* a field may be filled in after a signature only once, from empty (or the
  hub's placeholder): a value that a signature covers, or that a field took
  after it, never changes again. Refilling a field is a change of signed
  content, whatever signs later (re-issuing an issued document under
  another number, for one).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, replace

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import (
    DEFAULT_DIFF_POLICY,
    DiffResult,
    ModificationLevel,
    SuspiciousModification,
)
from pyhanko.sign.fields import MDPPerm
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko.sign.validation.status import SignatureCoverageLevel

from edocx.signing.texts import DATE_PLACEHOLDER, NUMBER_PLACEHOLDER
from edocx.verification.document import (
    MAX_FIELD_DEPTH,
    MAX_FIELD_NODES,
    SignatureEntry,
    pdf_get,
)

logger = logging.getLogger(__name__)

# What the hub's number and date fields show before issue; a value equal to
# one of these is as good as empty.
EMPTY_VALUES = frozenset({"", NUMBER_PLACEHOLDER.strip(), DATE_PLACEHOLDER.strip()})


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

    Steps: 1. find the signed revision; 2. coverage; 3. difference
    analysis of every later revision; 4. the edocx rule on what may change.
    """
    # 1. The revision whose cross-reference section introduced the signature.
    try:
        embedded = EmbeddedPdfSignature(reader, entry.field, entry.field_name)
    except Exception as e:
        return None, ModificationFindings(
            undetermined=f"the signature cannot be placed in the file: {_brief(e)}"
        )

    # 2. Coverage (cheap: offsets and the xref table of the revision).
    try:
        embedded.compute_integrity_info(skip_diff=True)
        coverage: SignatureCoverageLevel = embedded.coverage  # type: ignore[assignment]
    except Exception as e:
        return embedded, ModificationFindings(
            signed_revision=embedded.signed_revision,
            undetermined=f"the signed byte ranges cannot be examined: {_brief(e)}",
        )
    if coverage < SignatureCoverageLevel.ENTIRE_REVISION:
        return embedded, ModificationFindings(
            signed_revision=embedded.signed_revision,
            coverage=coverage,
            level=ModificationLevel.OTHER,
            docmdp_ok=False,
            problem="the signature does not cover the whole revision it belongs to",
        )

    # 3. Every later revision, compared with the signed one.
    diff = _review(embedded, coverage)
    if isinstance(diff, str):
        return embedded, ModificationFindings(
            signed_revision=embedded.signed_revision,
            coverage=coverage,
            undetermined=diff,
        )
    embedded.diff_result = diff  # type: ignore[assignment]
    docmdp_ok = embedded.summarise_integrity_info()["docmdp_ok"]

    # 4. The edocx rule.
    level = (
        diff.modification_level
        if isinstance(diff, DiffResult)
        else ModificationLevel.OTHER
    )
    filled = _unpermitted_filling(embedded, diff, signature_field_names)
    problem = _judge(embedded, diff, docmdp_ok) or _refilled(
        reader, embedded.signed_revision, filled
    )
    return embedded, ModificationFindings(
        signed_revision=embedded.signed_revision,
        coverage=coverage,
        level=level,
        docmdp_ok=docmdp_ok,
        problem=problem,
        filled_fields=filled,
    )


# TODO(#2): accept the /VRI rewrites and typed /VRI dictionaries real LTV
# tools write; pyHanko's DSS rule refuses them and the signature fails.
def _review(
    embedded: EmbeddedPdfSignature, coverage: SignatureCoverageLevel
) -> DiffResult | SuspiciousModification | str:
    if coverage == SignatureCoverageLevel.ENTIRE_FILE:
        return DiffResult(ModificationLevel.NONE, set())
    try:
        result: DiffResult | SuspiciousModification = embedded.evaluate_modifications(
            DEFAULT_DIFF_POLICY
        )
    except Exception as e:
        # A broken object in a later revision, a dangling reference...: the
        # later revisions cannot be vouched for, but nothing proves a change.
        logger.info("difference analysis failed: %s", _brief(e))
        return f"the later revisions cannot be analysed: {_brief(e)}"
    return result


def _judge(
    embedded: EmbeddedPdfSignature,
    diff: DiffResult | SuspiciousModification,
    docmdp_ok: bool | None,
) -> str | None:
    if isinstance(diff, SuspiciousModification):
        return (
            "the file was changed after this signature by more than signatures, "
            f"form filling or validation data ({_first_line(diff)})"
        )
    if docmdp_ok is False:
        return "the changes after signing exceed what the certification allows"
    if diff.modification_level >= ModificationLevel.ANNOTATIONS:
        if embedded.docmdp_level != MDPPerm.ANNOTATE:
            return "annotations were added or changed after signing"
    return None


def _unpermitted_filling(
    embedded: EmbeddedPdfSignature,
    diff: DiffResult | SuspiciousModification,
    signature_field_names: set[str],
) -> tuple[str, ...]:
    """Fields other than signatures filled in after signing, unless allowed."""
    if not isinstance(diff, DiffResult):
        return ()
    # pyHanko ranks appearance-only refreshes of a field as LTA updates.
    if diff.modification_level < ModificationLevel.FORM_FILLING:
        return ()
    if embedded.docmdp_level in (MDPPerm.FILL_FORMS, MDPPerm.ANNOTATE):
        return ()
    return tuple(sorted(set(diff.changed_form_fields) - signature_field_names))


def _refilled(
    reader: PdfFileReader, signed_revision: int, names: tuple[str, ...]
) -> str | None:
    """Name the fields whose value changed once set, from the signed revision on.

    A field empty when signed may be filled in once (and is then judged by
    ``settle_form_filling``); any later change of a value is a change of
    signed content, which no later signature can make good.
    """
    if not names:
        return None
    try:
        history = [
            _field_values(reader.get_historical_root(rev), set(names))
            for rev in range(signed_revision, reader.xrefs.total_revisions)
        ]
    except Exception as e:
        # Fields filled in later that cannot be read are not vouched for.
        return f"the form fields filled in after signing cannot be read: {_brief(e)}"
    changed = [
        name for name in names if _changed_once_set(h.get(name) for h in history)
    ]
    if not changed:
        return None
    listed = ", ".join(repr(name) for name in changed[:5])
    return (
        f"form field(s) {listed} held a value that was changed after this "
        "signature; the page no longer shows what was signed"
    )


def _changed_once_set(values: Iterable[str | None]) -> bool:
    first: str | None = None
    for value in values:
        if first is None:
            if value is not None and value.strip() not in EMPTY_VALUES:
                first = value
        elif value != first:
            return True
    return False


def _field_values(
    root: generic.DictionaryObject, wanted: set[str]
) -> dict[str, str | None]:
    """Read the /V of the named fields (fully qualified names) of one revision."""
    fields = pdf_get(pdf_get(root, "/AcroForm"), "/Fields")
    if not isinstance(fields, generic.ArrayObject):
        return {}
    values: dict[str, str | None] = {}
    budget = MAX_FIELD_NODES
    stack: list[tuple[generic.PdfObject, str, int]] = [(f, "", 0) for f in fields]
    while stack and budget > 0:
        item, parent, depth = stack.pop()
        budget -= 1
        node = item.get_object()
        if not isinstance(node, generic.DictionaryObject) or depth > MAX_FIELD_DEPTH:
            continue
        partial = pdf_get(node, "/T")
        name = (
            f"{parent}.{partial}"
            if parent and partial is not None
            else (str(partial) if partial is not None else parent)
        )
        if name in wanted:
            values[name] = _text(pdf_get(node, "/V"))
        kids = pdf_get(node, "/Kids")
        if isinstance(kids, generic.ArrayObject):
            stack.extend((kid, name, depth + 1) for kid in kids)
    return values


def _text(value: generic.PdfObject | None) -> str | None:
    if value is None or isinstance(value, generic.NullObject):
        return None
    return str(value)


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
    return replace(findings, filled_fields=(), problem=problem)


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0][:200] if text else type(error).__name__


def _brief(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text[:200]
