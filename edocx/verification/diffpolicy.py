"""edocx's difference policy: every change after a signature, classified.

:func:`review_revisions` compares the signed revision with the file's last
revision object by object (:mod:`edocx.verification.objdiff`), gives each
difference its meaning (:mod:`edocx.verification.changes`), and adds what
only shows across differences: a field whose appearance changed while its
value did not (the shadow "replace" attack) and a new signature widget that
covers another annotation. Last, the signature's FieldMDP locks
(:mod:`edocx.verification.fieldlocks`) make a change to a locked field
suspicious.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel

from edocx.verification.byterange import trailing_bytes
from edocx.verification.changes import Change, classify, field_name, field_type
from edocx.verification.fieldlocks import FieldLock, enforce_locks
from edocx.verification.objdiff import Difference, find_differences
from edocx.verification.report import ChangeKind, ChangeReport, UncoveredReport
from edocx.verification.revisions import info_changed, made_in, validation_only
from edocx.verification.widgetbox import (
    MAX_SIGNATURE_PAGE_SHARE,
    signed_in_place,
    visible_placements,
)
from edocx.verification.wording import change_vi

logger = logging.getLogger(__name__)

MAX_ANNOTATIONS = 5_000
MAX_CHANGES_REPORTED = 50
# What may follow the last signature without being signed (PAdES B-LT/LTA),
# with the harmless metadata updates that come with it.
VALIDATION_DATA_KINDS = frozenset({ChangeKind.REVOCATION_DATA_ADDED, ChangeKind.OTHER})


@dataclass(frozen=True)
class PolicyResult:
    changes: tuple[ChangeReport, ...]
    level: ModificationLevel
    # The first change that makes the signature fail, in words.
    suspicious: str | None
    # Non-signature fields whose value changed after signing.
    filled_fields: tuple[str, ...]
    # Visible signature fields created after signing (not placeholders).
    new_visible_signatures: tuple[str, ...] = ()


# Decree 30/2020 puts the seal over the left third of the signer's image; a
# later box hiding more than half of an earlier signature's box replaces
# what that signature shows.
MAX_HIDDEN_SHARE = 0.5

Judged = list[tuple[Difference, Change]]

# Judgements and reviews already made of an open file, by signed revision
# (and locks): the coverage check of the newest signature asks again what
# its own check found. Kept on the reader itself, so they go when the file
# does: as values of a WeakKeyDictionary, their PDF objects (which name the
# reader) kept every verified file in memory for good.
_JUDGEMENTS = "_edocx_judgements"
_REVIEWS = "_edocx_reviews"


def reader_memo(reader: PdfFileReader, name: str) -> dict[Any, Any]:
    """The memo ``name`` kept on ``reader``, made empty the first time."""
    memo: dict[Any, Any] = reader.__dict__.setdefault(name, {})
    return memo


def review_revisions(
    reader: PdfFileReader, signed_revision: int, locks: tuple[FieldLock, ...] = ()
) -> PolicyResult:
    """Classify everything the later revisions changed; may raise on a bad file.

    ``locks`` are the FieldMDP locks of the signature made in
    ``signed_revision``: a later change to a field they lock is suspicious.
    """
    done: dict[tuple[int, tuple[FieldLock, ...]], PolicyResult] = reader_memo(
        reader, _REVIEWS
    )
    key = (signed_revision, locks)
    if key not in done:
        done[key] = _review(reader, signed_revision, locks)
    return done[key]


def _review(
    reader: PdfFileReader, signed_revision: int, locks: tuple[FieldLock, ...]
) -> PolicyResult:
    last = reader.xrefs.total_revisions - 1
    judged = [
        (diff, enforce_locks(change, locks))
        for diff, change in _judged(reader, signed_revision)
    ]
    reports = _reports(reader, signed_revision, last, judged)
    reports = _with_info_change(reader, signed_revision, last, reports)
    suspicious = next((c.detail for _, c in judged if c.suspicious), None)
    level = max((c.level for _, c in judged), default=ModificationLevel.LTA_UPDATES)
    filled = sorted(
        {c.field_name for _, c in judged if c.value_changed and c.field_name}
    )
    visible = tuple(c.detail for _, c in judged if c.new_visible_field)
    return PolicyResult(reports, level, suspicious, tuple(filled), visible)


def _judged(reader: PdfFileReader, signed_revision: int) -> Judged:
    """Every later difference with its meaning, whatever the signature locks."""
    done: dict[int, Judged] = reader_memo(reader, _JUDGEMENTS)
    if signed_revision in done:
        return done[signed_revision]
    last = reader.xrefs.total_revisions - 1
    diffs = find_differences(reader, signed_revision, last)
    judged = [(diff, classify(diff)) for diff in diffs]
    judged = _appearance_without_value(judged)
    judged = [(diff, _overlaps(change)) for diff, change in judged]
    judged = [
        (diff, _visible_box(reader, signed_revision, change)) for diff, change in judged
    ]
    done[signed_revision] = _pages_covered(reader, judged)
    return done[signed_revision]


def _appearance_without_value(
    judged: list[tuple[Difference, Change]],
) -> list[tuple[Difference, Change]]:
    """A field that shows something new must say so in its value."""
    filled = {c.field_name for _, c in judged if c.value_changed}
    result = []
    for diff, change in judged:
        if change.kind is ChangeKind.FORM_FILLED and change.field_name not in filled:
            change = replace(
                change,
                detail=f"appearance of form field {change.field_name!r} changed "
                "while its value did not",
                level=ModificationLevel.OTHER,
                suspicious=True,
            )
        result.append((diff, change))
    return result


def _overlaps(change: Change) -> Change:
    widget = change.widget
    rect = _rect(widget) if widget is not None else None
    if widget is None or rect is None:
        return change
    page = _page_of(widget)
    if page is None:
        return change
    covered_signatures: list[tuple[str, float]] = []
    for other in _annotations(page):
        if other is widget or not _intersect(rect, _rect(other)):
            continue
        if field_type(other) == "/Sig":
            share = _covered_share(rect, _rect(other))
            covered_signatures.append((field_name(other) or "?", share))
            continue
        return replace(
            change,
            detail=f"{change.detail}; its widget covers another annotation",
            level=ModificationLevel.OTHER,
            suspicious=True,
        )
    if not covered_signatures:
        return change
    names = ", ".join(repr(n) for n, _ in covered_signatures[:3])
    hidden = [n for n, share in covered_signatures if share > MAX_HIDDEN_SHARE]
    if hidden:
        return replace(
            change,
            detail=f"{change.detail}; its widget hides most of that of "
            + ", ".join(repr(n) for n in hidden[:3]),
            level=ModificationLevel.OTHER,
            suspicious=True,
        )
    # Decree 30/2020: the seal is placed over part of the signer's image.
    return replace(
        change, detail=f"{change.detail}; its widget overlaps that of {names}"
    )


def _pages_covered(
    reader: PdfFileReader, judged: list[tuple[Difference, Change]]
) -> list[tuple[Difference, Change]]:
    """Judge the later signatures' boxes on each page together.

    One stamp-sized box per signature is allowed; several of them tiled
    over a page hide it as one large box would.
    """
    signing = (ChangeKind.SIGNATURE_ADDED, ChangeKind.TIMESTAMP_ADDED)
    areas: dict[int, float] = {}
    pages: dict[int, list[int]] = {}
    for index, (_, change) in enumerate(judged):
        if change.widget is None or change.kind not in signing:
            continue
        for placement in visible_placements(reader, change.widget):
            share = placement.page_share()
            if share is None:
                continue
            areas[placement.page_number] = areas.get(placement.page_number, 0) + share
            pages.setdefault(placement.page_number, []).append(index)
    result = list(judged)
    for page, share in areas.items():
        if share <= MAX_SIGNATURE_PAGE_SHARE:
            continue
        why = (
            f"later signatures together cover {share:.0%} of page {page}",
            f"các chữ ký thêm sau cùng che {share:.0%} diện tích trang {page}",
        )
        for index in pages[page]:
            diff, change = result[index]
            result[index] = (diff, _covering(change, why))
    return result


def _covering(change: Change, why: tuple[str, str]) -> Change:
    if change.suspicious:
        return change
    return replace(
        change,
        detail=f"{change.detail}: {why[0]}",
        detail_vi=f"{change.detail_vi or change_vi(change.kind, change.detail)}: "
        f"{why[1]}",
        level=ModificationLevel.OTHER,
        suspicious=True,
    )


def _visible_box(reader: PdfFileReader, signed: int, change: Change) -> Change:
    """Say where a later signature or timestamp shows; judge its size.

    A document timestamp has nothing to show (PAdES timestamps are
    invisible), so a visible one in a new field is suspicious; a signature,
    or a timestamp in a field whose box the signer already signed, may show
    a stamp-sized picture, not one hiding much of the page.
    """
    signing = (ChangeKind.SIGNATURE_ADDED, ChangeKind.TIMESTAMP_ADDED)
    if change.widget is None or change.kind not in signing:
        return change
    placements = visible_placements(reader, change.widget)
    if not placements:
        return change
    where = [p.describe() for p in placements[:3]]
    detail = "; ".join((change.detail, *(en for en, _ in where)))
    note_vi = "; ".join(
        (change_vi(change.kind, change.detail), *(vi for _, vi in where))
    )
    why: tuple[str, str] | None = (
        "a document timestamp shows nothing on the page",
        "dấu thời gian tài liệu không hiển thị gì trên trang",
    )
    placeholder = signed_in_place(reader, signed, change.widget)
    if change.kind is ChangeKind.SIGNATURE_ADDED or placeholder:
        why = next(filter(None, (p.too_large() for p in placements)), None)
    if why is None:
        return replace(change, detail=detail, detail_vi=note_vi)
    return replace(
        change,
        detail=f"{detail}: {why[0]}",
        detail_vi=f"{note_vi}: {why[1]}",
        level=ModificationLevel.OTHER,
        suspicious=True,
    )


def _page_of(widget: generic.DictionaryObject) -> generic.DictionaryObject | None:
    try:
        page = widget["/P"]
    except Exception:
        return None
    return page if isinstance(page, generic.DictionaryObject) else None


def _annotations(page: generic.DictionaryObject) -> Iterable[generic.DictionaryObject]:
    try:
        annots = page["/Annots"]
    except Exception:
        return
    if not isinstance(annots, generic.ArrayObject):
        return
    for item in itertools.islice(iter(annots), MAX_ANNOTATIONS):
        try:
            annot = item.get_object()
        except Exception:
            continue
        if isinstance(annot, generic.DictionaryObject):
            yield annot


def _rect(
    annot: generic.DictionaryObject | None,
) -> tuple[float, float, float, float] | None:
    try:
        rect = annot["/Rect"] if annot is not None else None
        if not isinstance(rect, generic.ArrayObject) or len(rect) != 4:
            return None
        x1, y1, x2, y2 = (float(v) for v in rect)
    except Exception:
        return None
    box = (min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2))
    return box if box[2] > box[0] and box[3] > box[1] else None


def _covered_share(
    a: tuple[float, float, float, float], b: tuple[float, float, float, float] | None
) -> float:
    """How much of box ``b`` box ``a`` covers, from 0 to 1."""
    if b is None:
        return 0.0
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    area = (b[2] - b[0]) * (b[3] - b[1])
    return max(width, 0.0) * max(height, 0.0) / area if area > 0 else 0.0


def _intersect(
    a: tuple[float, float, float, float],
    b: tuple[float, float, float, float] | None,
) -> bool:
    if b is None:
        return False
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _reports(
    reader: PdfFileReader,
    signed: int,
    last: int,
    judged: list[tuple[Difference, Change]],
) -> tuple[ChangeReport, ...]:
    grouped: dict[tuple[int, ChangeKind, str, bool, str], None] = {}
    for diff, change in judged:
        key = (made_in(reader, diff, signed, last), change.kind, change.detail)
        grouped[(*key, change.suspicious, change.detail_vi)] = None
    ordered = sorted(grouped, key=lambda k: (k[0], not k[3]))
    return tuple(
        _report(rev, kind, detail, bad, note_vi)
        for rev, kind, detail, bad, note_vi in ordered[:MAX_CHANGES_REPORTED]
    )


def _report(
    revision: int, kind: ChangeKind, detail: str, suspicious: bool, note_vi: str
) -> ChangeReport:
    if not note_vi:
        return ChangeReport(
            revision=revision, kind=kind, detail=detail, suspicious=suspicious
        )
    return ChangeReport(
        revision=revision,
        kind=kind,
        detail=detail,
        detail_vi=note_vi,
        suspicious=suspicious,
    )


def _with_info_change(
    reader: PdfFileReader, signed: int, last: int, reports: tuple[ChangeReport, ...]
) -> tuple[ChangeReport, ...]:
    """The document information (/Info) is outside the catalog the walk
    compares: a viewer shows its title and author, so a change is listed
    (and leaves its revision uncovered), though nothing on a page changes.
    """
    found = info_changed(reader, signed, last)
    if found is None:
        return reports
    revision, keys = found
    change = ChangeReport(
        revision=revision,
        kind=ChangeKind.OTHER,
        detail=f"document information (/Info) changed: {keys}",
        suspicious=False,
    )
    return tuple(
        sorted((*reports, change), key=lambda c: (c.revision, not c.suspicious))
    )


def uncovered_content(
    reader: PdfFileReader, data: bytes, signed_revisions: list[int]
) -> UncoveredReport:
    """What no signature or document timestamp covers.

    Revisions after the newest signed one count unless they only add
    validation data (PAdES B-LT/LTA); bytes after the last ``%%EOF`` always
    count. The report's detail says why, the numbers are in its fields.
    """
    trailing = trailing_bytes(data)
    last = reader.xrefs.total_revisions - 1
    if not signed_revisions:
        return UncoveredReport(
            fully_covered=False,
            revisions=tuple(range(last + 1)),
            trailing_bytes=trailing,
            detail="no valid signature or timestamp covers the file",
        )
    revisions = _unsigned_revisions(reader, max(signed_revisions), last)
    parts = []
    if revisions:
        parts.append(
            "a later update holds more than validation data, and no signature "
            "or timestamp covers it"
        )
    if trailing:
        parts.append("bytes after the last %%EOF belong to no revision")
    return UncoveredReport(
        fully_covered=not revisions and not trailing,
        revisions=revisions,
        trailing_bytes=trailing,
        detail="; ".join(parts),
    )


def _unsigned_revisions(
    reader: PdfFileReader, newest: int, last: int
) -> tuple[int, ...]:
    """Revisions after ``newest`` with anything but validation data in them."""
    if newest >= last:
        return ()
    later = range(newest + 1, last + 1)
    found = {r for r in later if not validation_only(reader, r)}
    try:
        review = review_revisions(reader, newest)
    except Exception as e:
        logger.info("later revisions cannot be analysed: %s", e)
        return tuple(later)
    found |= {
        c.revision
        for c in review.changes
        if c.suspicious or c.kind not in VALIDATION_DATA_KINDS
    }
    return tuple(sorted(found))
