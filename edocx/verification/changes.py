"""What each object difference after a signature means: edocx's own policy.

The sorting follows what the EU's DSS validator does with the same
differences (validation data, signatures and form filling are harmless;
annotations, content, pages and anything unexplained are suspicious), with
three deliberate differences, each on the safe side:

* an annotation's visibility flags and a field's appearance are part of
  what the page shows: changing them is suspicious unless the field's value
  changed with them (DSS leaves this to a rendering comparison that edocx
  does not make; the shadow "hide" and "replace" attacks live here);
* any change of the document's name trees (``/Names``: scripts, embedded
  files, destinations) is suspicious, as DSS treats an unknown object; a
  page a destination points to is no part of the tree, and is judged as a
  page of the page tree (:mod:`edocx.verification.objdiff`);
* a later signature widget that covers another annotation is suspicious,
  except that covering an earlier signature's widget is reported only:
  Decree 30/2020 puts the agency seal over a third of the signer's image.

Every difference is judged by the object it belongs to (a signature
dictionary, a form field or annotation, a page), not by the path the walk
happened to reach it by, so a shared object cannot borrow a harmless path.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from pyhanko.pdf_utils import generic
from pyhanko.sign.diff_analysis import ModificationLevel

from edocx.verification.objdiff import Action, Difference
from edocx.verification.report import ChangeKind

# Catalog entries whose changes do not touch what any page shows.
METADATA_ZONES = frozenset(
    {"/Extensions", "/Version", "/Metadata", "/PieceInfo", "/OutputIntents"}
)
SCRIPT_NAMES = frozenset({"/JavaScript", "/EmbeddedFiles"})
ANNOTATION_SUBTYPES = frozenset(
    {
        "/Text", "/Link", "/FreeText", "/Line", "/Square", "/Circle",
        "/Polygon", "/PolyLine", "/Highlight", "/Underline", "/Squiggly",
        "/StrikeOut", "/Stamp", "/Caret", "/Ink", "/Popup", "/FileAttachment",
        "/Sound", "/Movie", "/Widget", "/Screen", "/PrinterMark", "/TrapNet",
        "/Watermark", "/3D", "/Redact", "/Projection", "/RichMedia",
    }
)  # fmt: skip
# Keys a form filler rewrites with a field's value (ISO 32000-1 §12.7.3).
APPEARANCE_KEYS = frozenset({"/AP", "/AS", "/MK", "/DA"})
# Annotation flags that decide whether it is seen (§12.5.3): Invisible,
# Hidden, Print, NoView, ToggleNoView.
VISIBILITY_FLAGS = 1 | 2 | 4 | 32 | 256
READ_ONLY_FIELD_FLAG = 1
MAX_PARENTS = 32


@dataclass(frozen=True)
class Change:
    """One classified difference."""

    kind: ChangeKind
    detail: str
    level: ModificationLevel
    suspicious: bool = False
    # The form field a value or appearance change, or a later signature,
    # belongs to.
    field_name: str | None = None
    value_changed: bool = False
    # A signature or timestamp widget added later (for the overlap check).
    widget: generic.DictionaryObject | None = None
    # A new, visible signature field (not a placeholder filled in).
    new_visible_field: bool = False
    # The change gives the field ``field_name`` a value or an appearance, or
    # places a signature in it: what a FieldMDP lock forbids (fieldlocks.py).
    fills_field: bool = False
    # The detail in Vietnamese where the wording of the report cannot
    # derive it (a widget's place on the page); empty otherwise.
    detail_vi: str = ""


def classify(diff: Difference) -> Change:
    """Say what one difference did and whether it is acceptable."""
    zone = diff.path[0] if diff.path else ""
    if zone == "/DSS":
        return Change(
            ChangeKind.REVOCATION_DATA_ADDED,
            "validation data (/DSS) added or updated",
            ModificationLevel.LTA_UPDATES,
        )
    if zone in METADATA_ZONES:
        return _harmless_other(f"document {zone} entry updated")
    if zone == "/StructTreeRoot":
        return _harmless_other("tagged document structure updated")
    if zone == "/Names":
        return _names(diff)
    if zone == "/Perms":
        if diff.action is Action.CREATED and len(diff.path) == 1:
            return _harmless_other("document permissions added")
        return _suspicious(ChangeKind.OTHER, "document permissions changed")
    return _by_object(diff)


def _names(diff: Difference) -> Change:
    """Any name tree change is suspicious (DSS: an unknown object change).

    Scripts and attachments are named, whether the tree is new or not: a
    new /Names dictionary carries them as values, not in the path.
    """
    named = set(diff.path) | _keys(diff.new) | _keys(diff.old)
    found = sorted(SCRIPT_NAMES & named)
    if found:
        what = " and ".join(n.lstrip("/") for n in found)
        return _suspicious(ChangeKind.OTHER, f"document {what} name tree changed")
    return _suspicious(ChangeKind.OTHER, "document name tree changed")


def _keys(value: generic.PdfObject | None) -> set[str]:
    if isinstance(value, generic.DictionaryObject):
        return {str(k) for k in value.keys()}
    return set()


def _by_object(diff: Difference) -> Change:
    subject, depth = _subject(diff)
    if subject is None:
        return _catalog_entry(diff)
    key = diff.path[depth] if depth < len(diff.path) else None
    if _is_sig_dict(subject):
        return _signature_dict(diff, subject, key)
    if _is_annotation(subject) or _is_field(subject):
        return _annotation(diff, subject, key)
    return _page(diff, subject, key)


def _subject(diff: Difference) -> tuple[generic.DictionaryObject | None, int]:
    """The innermost object that gives the difference its meaning."""
    whole = diff.new if diff.action is Action.CREATED else diff.old
    if isinstance(whole, generic.DictionaryObject) and _significant(whole):
        return whole, len(diff.path)
    holders = diff.old_holders if diff.action is Action.DELETED else diff.holders
    for depth in range(len(holders) - 1, 0, -1):
        if _significant(holders[depth]):
            return holders[depth], depth
    return None, 0


def _significant(d: generic.DictionaryObject) -> bool:
    return (
        _is_sig_dict(d)
        or _is_annotation(d)
        or _is_field(d)
        or _name(d, "/Type") in ("/Page", "/Pages")
    )


def _signature_dict(
    diff: Difference, sig: generic.DictionaryObject, key: str | None
) -> Change:
    if diff.action is Action.CREATED and key is None:
        field = diff.holders[-1] if diff.holders else None
        if field is not None and _is_field(field):
            return _signature_added(sig, field, field_name(field))
        return _signature_added(sig, None)
    return _suspicious(
        ChangeKind.OTHER, f"signature dictionary entry {key or ''} changed".strip()
    )


def _annotation(
    diff: Difference, subject: generic.DictionaryObject, key: str | None
) -> Change:
    name = field_name(subject)
    is_sig = field_type(subject) == "/Sig"
    if key is None:
        if diff.action is Action.DELETED:
            return _suspicious(ChangeKind.OTHER, f"{_label(subject, name)} removed")
        if is_sig:
            return _new_signature_field(subject, name)
        return _suspicious(
            ChangeKind.ANNOTATION_ADDED, f"{_label(subject, name)} added"
        )
    if is_sig:
        return _signature_field(diff, subject, key, name)
    if _is_annotation(subject) and _name(subject, "/Subtype") != "/Widget":
        return _suspicious(
            ChangeKind.ANNOTATION_ADDED, f"{_label(subject, name)} changed ({key})"
        )
    return _form_field(diff, key, name)


def _new_signature_field(subject: generic.DictionaryObject, name: str | None) -> Change:
    value = _value(subject)
    if isinstance(value, generic.DictionaryObject):
        # A lock names the fields the document had when it was signed: a
        # field made later is no field it locked (fieldlocks.py).
        added = _signature_added(value, subject, name)
        return replace(added, new_visible_field=visible(subject), fills_field=False)
    if visible(subject):
        return _suspicious(
            ChangeKind.ANNOTATION_ADDED,
            f"an unsigned signature field {name!r} with a visible appearance added",
        )
    return Change(
        ChangeKind.SIGNATURE_ADDED,
        f"empty signature field {name!r} added",
        ModificationLevel.FORM_FILLING,
    )


def _signature_field(
    diff: Difference, subject: generic.DictionaryObject, key: str, name: str | None
) -> Change:
    old_value = _old_value(diff, subject)
    if old_value is None:
        # Signed in a later revision: its value and appearance come with it.
        value = _value(subject)
        if key == "/V" and isinstance(value, generic.DictionaryObject):
            return _signature_added(value, subject, name)
        return Change(
            ChangeKind.SIGNATURE_ADDED,
            f"signature field {name!r} signed",
            ModificationLevel.FORM_FILLING,
            field_name=name,
            widget=subject,
            fills_field=True,
        )
    if key in ("/Ff", "/Lock", "/SV") or (key == "/F" and _same_visibility(diff)):
        return Change(
            ChangeKind.OTHER,
            f"signature field {name!r} locked or flagged ({key})",
            ModificationLevel.FORM_FILLING,
        )
    return _suspicious(
        ChangeKind.OTHER, f"signed signature field {name!r} changed ({key})"
    )


def _form_field(diff: Difference, key: str, name: str | None) -> Change:
    if key == "/V":
        return Change(
            ChangeKind.FORM_FILLED,
            f"form field {name!r} filled in",
            ModificationLevel.FORM_FILLING,
            field_name=name,
            value_changed=True,
            fills_field=True,
        )
    if key in APPEARANCE_KEYS:
        return Change(
            ChangeKind.FORM_FILLED,
            f"appearance of form field {name!r} updated",
            ModificationLevel.FORM_FILLING,
            field_name=name,
            fills_field=True,
        )
    if key == "/F" and _same_visibility(diff):
        return _harmless_other(f"form field {name!r} flagged", form=True)
    if key == "/Ff" and _only_read_only_flag(diff):
        return _harmless_other(f"form field {name!r} made read-only", form=True)
    return _suspicious(ChangeKind.OTHER, f"form field {name!r} changed ({key})")


def _page(diff: Difference, page: generic.DictionaryObject, key: str | None) -> Change:
    if key in ("/Contents", "/Resources"):
        return _suspicious(ChangeKind.CONTENT_CHANGED, f"page {key} changed")
    if key == "/Annots":
        return _suspicious(ChangeKind.OTHER, "a page's annotation list changed")
    return _suspicious(ChangeKind.PAGE_CHANGED, f"page entry {key or ''} changed")


def _catalog_entry(diff: Difference) -> Change:
    if diff.path[:1] == ("/AcroForm",) and len(diff.path) >= 2:
        key = diff.path[1]
        if key in ("/DR", "/DA", "/SigFlags"):
            return _harmless_other(f"form settings {key} updated", form=True)
        if key == "/Fields" and diff.action is not Action.DELETED:
            return _suspicious(ChangeKind.OTHER, "an unreadable form field added")
        return _suspicious(ChangeKind.OTHER, f"form entry {key} changed")
    entry = "/".join(diff.path) or "the document catalog"
    return _suspicious(ChangeKind.OTHER, f"{entry} changed")


def _signature_added(
    sig: generic.DictionaryObject,
    widget: generic.DictionaryObject | None,
    name: str | None = None,
) -> Change:
    timestamp = _name(sig, "/Type") == "/DocTimeStamp"
    what = "document timestamp" if timestamp else "signature"
    return Change(
        ChangeKind.TIMESTAMP_ADDED if timestamp else ChangeKind.SIGNATURE_ADDED,
        f"{what} {name!r} added" if name else f"{what} added",
        ModificationLevel.LTA_UPDATES if timestamp else ModificationLevel.FORM_FILLING,
        field_name=name,
        widget=widget,
        fills_field=True,
    )


def _harmless_other(detail: str, *, form: bool = False) -> Change:
    level = ModificationLevel.FORM_FILLING if form else ModificationLevel.LTA_UPDATES
    return Change(ChangeKind.OTHER, detail, level)


def _suspicious(kind: ChangeKind, detail: str) -> Change:
    return Change(kind, detail, ModificationLevel.OTHER, suspicious=True)


def _label(subject: generic.DictionaryObject, name: str | None) -> str:
    subtype = _name(subject, "/Subtype")
    if _is_field(subject) or subtype == "/Widget":
        return f"form field {name!r}"
    return f"{(subtype or '/Annot').lstrip('/')} annotation"


def _old_value(
    diff: Difference, subject: generic.DictionaryObject
) -> generic.PdfObject | None:
    """The signature field's value in the signed revision, if it had one."""
    index = next((i for i, h in enumerate(diff.holders) if h is subject), None)
    if index is None or index >= len(diff.old_holders):
        return None
    value = _value(diff.old_holders[index])
    return None if isinstance(value, generic.NullObject) else value


def _same_visibility(diff: Difference) -> bool:
    old, new = diff.old, diff.new
    if not isinstance(old, generic.NumberObject) or not isinstance(
        new, generic.NumberObject
    ):
        return False
    return (int(old) & VISIBILITY_FLAGS) == (int(new) & VISIBILITY_FLAGS)


def _only_read_only_flag(diff: Difference) -> bool:
    old = int(diff.old) if isinstance(diff.old, generic.NumberObject) else 0
    new = int(diff.new) if isinstance(diff.new, generic.NumberObject) else -1
    return new >= 0 and (old | READ_ONLY_FIELD_FLAG) == (new | READ_ONLY_FIELD_FLAG)


def visible(widget: generic.DictionaryObject) -> bool:
    rect = widget.get("/Rect")
    if not isinstance(rect, generic.ArrayObject) or len(rect) != 4:
        return "/AP" in widget
    try:
        x1, y1, x2, y2 = (float(v) for v in rect)
    except (TypeError, ValueError):
        return True
    return abs(x2 - x1) > 0 and abs(y2 - y1) > 0 and "/AP" in widget


def _is_sig_dict(d: generic.DictionaryObject) -> bool:
    return _name(d, "/Type") in ("/Sig", "/DocTimeStamp") or (
        "/ByteRange" in d and "/Contents" in d and "/Filter" in d
    )


def _is_annotation(d: generic.DictionaryObject) -> bool:
    return _name(d, "/Subtype") in ANNOTATION_SUBTYPES or _name(d, "/Type") == "/Annot"


def _is_field(d: generic.DictionaryObject) -> bool:
    return "/FT" in d or ("/T" in d and ("/Kids" in d or "/V" in d))


def field_type(d: generic.DictionaryObject) -> str | None:
    """The field type, inherited through /Parent (ISO 32000-1 §12.7.3.1)."""
    node: generic.PdfObject | None = d
    for _ in range(MAX_PARENTS):
        if not isinstance(node, generic.DictionaryObject):
            return None
        if "/FT" in node:
            return _name(node, "/FT")
        node = _get(node, "/Parent")
    return None


def field_name(d: generic.DictionaryObject) -> str | None:
    """The fully qualified field name: partial names joined with periods."""
    parts: list[str] = []
    node: generic.PdfObject | None = d
    for _ in range(MAX_PARENTS):
        if not isinstance(node, generic.DictionaryObject):
            break
        partial = node.get("/T")
        if isinstance(partial, (generic.TextStringObject, generic.ByteStringObject)):
            parts.append(str(partial))
        node = _get(node, "/Parent")
    return ".".join(reversed(parts)) or None


def _value(d: generic.DictionaryObject) -> generic.PdfObject | None:
    return _get(d, "/V")


def _get(d: generic.DictionaryObject, key: str) -> generic.PdfObject | None:
    try:
        value: generic.PdfObject = d[key]
    except Exception:
        return None
    return value


def _name(d: generic.DictionaryObject, key: str) -> str | None:
    value = _get(d, key)
    return str(value) if isinstance(value, generic.NameObject) else None
