"""Where a later signature or timestamp widget shows, and how much it hides.

A widget's appearance is drawn over the page (ISO 32000-1 §12.5.5): a
signature or document timestamp added after a signature may carry an
opaque picture as large as the page and hide what was signed. edocx does
not render pages; it judges the box instead. PAdES document timestamps are
invisible (ETSI EN 319 142-1 §5.4), so any visible one is suspicious; a
later visible signature may show a stamp-sized picture (the hub's own seal,
Decree 30/2020), not one that hides a large part of the page.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader

Box = tuple[float, float, float, float]

# The largest share of a page a later visible signature may cover. The
# hub's largest seal is the one across the head of page 1 on a draft that
# arrived signed (fields.header_rect, with the seal image beside the text):
# the hub draws the image only while its later boxes on the page stay under
# 13 %; its usual seal at the foot is under 2 % of A4. 15 % leaves room for
# other agencies' stamps, not for a page-sized picture.
MAX_SIGNATURE_PAGE_SHARE = 0.15
# A box may overrun the page by rounding, no more.
EDGE_TOLERANCE = 1.0
# Annotation flags that keep a widget from being seen (§12.5.3): Hidden,
# NoView.
HIDING_FLAGS = 2 | 32
MAX_PAGES = 10_000
MAX_KIDS = 64
MAX_PARENTS = 32


@dataclass(frozen=True)
class Placement:
    """A visible widget: its box, its page (1-based) and the page's box."""

    box: Box
    page_number: int
    page_box: Box | None

    @property
    def width(self) -> float:
        return self.box[2] - self.box[0]

    @property
    def height(self) -> float:
        return self.box[3] - self.box[1]

    def describe(self) -> tuple[str, str]:
        """Where it shows, in English and Vietnamese."""
        size = f"{self.width:.0f}×{self.height:.0f} pt"
        return (
            f"visible box {size} on page {self.page_number}",
            f"ô hiển thị {size} ở trang {self.page_number}",
        )

    def page_share(self) -> float | None:
        """The share of its page the box covers, or None if unknown."""
        if self.page_box is None:
            return None
        px1, py1, px2, py2 = self.page_box
        area = (px2 - px1) * (py2 - py1)
        return self.width * self.height / area if area > 0 else None

    def too_large(self) -> tuple[str, str] | None:
        """Why the box hides too much of its page (English, Vietnamese)."""
        if self.page_box is None:
            return (
                "the size of its page cannot be read",
                "không đọc được kích thước trang",
            )
        px1, py1, px2, py2 = self.page_box
        x1, y1, x2, y2 = self.box
        tol = EDGE_TOLERANCE
        if x1 < px1 - tol or y1 < py1 - tol or x2 > px2 + tol or y2 > py2 + tol:
            return "it lies partly outside the page", "ô nằm một phần ngoài trang"
        share = self.width * self.height / ((px2 - px1) * (py2 - py1))
        if share <= MAX_SIGNATURE_PAGE_SHARE:
            return None
        limit = f"{MAX_SIGNATURE_PAGE_SHARE:.0%}"
        return (
            f"it covers {share:.0%} of the page (more than {limit})",
            f"ô che {share:.0%} diện tích trang (quá {limit})",
        )


def visible_placements(
    reader: PdfFileReader, field: generic.DictionaryObject
) -> list[Placement]:
    """The visible widgets of a field, each with the page that shows it."""
    widgets = [w for w in _widgets(field) if _shown(w)]
    if not widgets:
        return []
    found = []
    for number, page in _pages(reader):
        for widget in widgets:
            if _lists(page, widget):
                box = _box(_get(widget, "/Rect"))
                assert box is not None
                found.append(Placement(box, number, _page_box(page)))
    return found


def signed_in_place(
    reader: PdfFileReader, signed: int, field: generic.DictionaryObject
) -> bool:
    """Whether the field was in the signed revision, with the same box.

    Such a placeholder's box was on the page the signer signed; only what
    it shows is new.
    """
    ref = getattr(field, "container_ref", None)
    if not isinstance(ref, generic.Reference):
        return False
    try:
        old = reader.get_historical_resolver(signed)(ref)
    except Exception:
        return False
    if not isinstance(old, generic.DictionaryObject):
        return False
    boxes = [_box(_get(w, "/Rect")) for w in _widgets(field)]
    return boxes == [_box(_get(w, "/Rect")) for w in _widgets(old)]


def _widgets(field: generic.DictionaryObject) -> list[generic.DictionaryObject]:
    if "/Rect" in field:
        return [field]
    try:
        kids = field["/Kids"]
    except Exception:
        return []
    if not isinstance(kids, generic.ArrayObject):
        return []
    result = []
    for item in itertools.islice(iter(kids), MAX_KIDS):
        kid = item.get_object() if isinstance(item, generic.IndirectObject) else item
        if isinstance(kid, generic.DictionaryObject) and "/Rect" in kid:
            result.append(kid)
    return result


def _shown(widget: generic.DictionaryObject) -> bool:
    if _box(_get(widget, "/Rect")) is None:
        return False
    flags = _get(widget, "/F")
    hidden = isinstance(flags, generic.NumberObject) and int(flags) & HIDING_FLAGS
    return not hidden


def _box(rect: generic.PdfObject | None) -> Box | None:
    if not isinstance(rect, generic.ArrayObject) or len(rect) != 4:
        return None
    try:
        x1, y1, x2, y2 = (float(v) for v in rect)
    except (TypeError, ValueError):
        return None
    box = (min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2))
    return box if box[2] > box[0] and box[3] > box[1] else None


def _pages(reader: PdfFileReader) -> Iterator[tuple[int, generic.DictionaryObject]]:
    """Pages in order, numbered from 1 (bounded, cycles skipped)."""
    try:
        stack: list[generic.PdfObject] = [reader.root.raw_get("/Pages")]
    except Exception:
        return
    seen: set[generic.Reference] = set()
    number = 0
    while stack and number < MAX_PAGES:
        item = stack.pop()
        if isinstance(item, generic.IndirectObject):
            if item.reference in seen:
                continue
            seen.add(item.reference)
        node = item.get_object()
        if not isinstance(node, generic.DictionaryObject):
            continue
        kids = _get(node, "/Kids")
        if isinstance(kids, generic.ArrayObject):
            stack.extend(kids.raw_get(i) for i in reversed(range(len(kids))))
        elif "/Kids" not in node:
            number += 1
            yield number, node


def _lists(page: generic.DictionaryObject, widget: generic.DictionaryObject) -> bool:
    """Whether the page's /Annots holds this very widget."""
    annots = _get(page, "/Annots")
    if not isinstance(annots, generic.ArrayObject):
        return False
    ref = getattr(widget, "container_ref", None)
    for i in range(len(annots)):
        raw = annots.raw_get(i)
        if isinstance(raw, generic.IndirectObject):
            if ref is not None and raw.reference == ref:
                return True
        elif raw is widget:
            return True
    return False


def _page_box(page: generic.DictionaryObject) -> Box | None:
    """The crop box, or else the media box, inherited (§7.7.3.4)."""
    for key in ("/CropBox", "/MediaBox"):
        node: generic.PdfObject | None = page
        for _ in range(MAX_PARENTS):
            if not isinstance(node, generic.DictionaryObject):
                break
            if key in node:
                box = _box(_get(node, key))
                if box is not None:
                    return box
                break
            node = _get(node, "/Parent")
    return None


def _get(d: generic.DictionaryObject, key: str) -> generic.PdfObject | None:
    try:
        value: generic.PdfObject = d[key]
    except Exception:
        return None
    return value
