"""Object-level differences between a signed revision and a later one.

Both revisions are walked from their document catalog in parallel, entry
by entry (ISO 32000-1 §7.7.2), and every entry that was created, deleted or
modified is recorded with the chain of keys that leads to it and the
dictionaries it sits in. What a difference means is decided elsewhere
(:mod:`edocx.verification.changes`); this module only finds them.

The walk is bounded (a hostile file can nest objects deeply or make the
graph huge) and visits each pair of indirect objects once, so reference
cycles end. An object that a later revision wrote but that cannot be read
is itself a difference: nothing can vouch for it. Objects that no revision
reaches from the catalog (orphans, freed objects) are not shown by any
reader and are ignored, as DSS ignores them.

An object is judged where it shows, not where the walk first meets it. A
name tree (``/Names``) refers to pages: named destinations, Web Capture
content sets. A page it shares with the page tree is compared there, as a
page, once the rest of the catalog is walked; the name tree only holds the
reference, and a reference that now points elsewhere is its difference.
The form's default resources (``/AcroForm /DR``), which may change, are
walked last too: a font a page or an appearance also uses is compared
there first.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader

from edocx.verification.refindex import RefIndex, build_index

# Back-links: comparing the reference is enough, following it would only
# walk the tree again from another side (/Data: a signature reference's
# link to the catalog, ISO 32000-1 Table 253).
BACK_LINKS = frozenset({"/Parent", "/P", "/Pg", "/Data"})
# Catalog entries whose subtrees are compared on their own: an object that
# is also reachable from a page is compared again there, so that it cannot
# pass as validation data or metadata.
ISOLATED_ENTRIES = frozenset(
    {
        "/DSS", "/Extensions", "/Version", "/Metadata", "/PieceInfo",
        "/OutputIntents", "/StructTreeRoot", "/Names", "/Perms",
    }
)  # fmt: skip
# Isolated entries that refer to pages they do not own: walked last, with a
# page the rest of the catalog reaches compared by its reference only.
LINKING_ENTRIES = frozenset({"/Names"})
# Walked after the rest of the catalog, in its zone: what this place shares
# with a page or an annotation has been compared there.
LAST_PATHS = frozenset({("/AcroForm", "/DR")})
MAX_NODES = 200_000
MAX_DEPTH = 200

RefKey = tuple[int, int]


class DiffLimitError(Exception):
    """The revisions are too large or too deep to compare fully."""


class Action(enum.Enum):
    CREATED = "created"
    DELETED = "deleted"
    MODIFIED = "modified"


@dataclass(frozen=True)
class Difference:
    """One entry that differs between the signed and the later revision.

    ``path`` is the chain of dictionary keys from the catalog (array items
    add no key); ``holders`` / ``old_holders`` are the dictionaries along
    that chain in the later / signed revision, outermost first; ``ref`` is
    the innermost indirect object holding the entry in the later revision.
    """

    path: tuple[str, ...]
    action: Action
    old: generic.PdfObject | None
    new: generic.PdfObject | None
    holders: tuple[generic.DictionaryObject, ...]
    old_holders: tuple[generic.DictionaryObject, ...]
    ref: RefKey | None

    @property
    def last_key(self) -> str | None:
        return self.path[-1] if self.path else None


@dataclass
class _Node:
    path: tuple[str, ...]
    old: generic.PdfObject | None
    new: generic.PdfObject | None
    holders: tuple[generic.DictionaryObject, ...]
    old_holders: tuple[generic.DictionaryObject, ...]
    ref: RefKey | None
    zone: str = ""


def changed_refs(reader: PdfFileReader, since: int) -> set[RefKey]:
    """Objects written or freed by the revisions after ``since``."""
    result: set[RefKey] = set()
    for revision in range(since + 1, reader.xrefs.total_revisions):
        refs = reader.xrefs.explicit_refs_in_revision(revision)
        refs |= reader.xrefs.refs_freed_in_revision(revision)
        result |= {(r.idnum, r.generation) for r in refs}
    return result


def find_differences(
    reader: PdfFileReader,
    signed_revision: int,
    later_revision: int,
    *,
    prune: bool = True,
) -> list[Difference]:
    """Compare the catalog trees of two revisions; raise DiffLimitError if too big.

    With ``prune``, an object no later revision can have touched, with all
    it reaches, is skipped (:mod:`edocx.verification.refindex`): the result
    is the same, without parsing the fonts and images nothing changed.
    """
    old = reader.get_historical_resolver(signed_revision)
    new = reader.get_historical_resolver(later_revision)
    index = build_index(reader, signed_revision) if prune else None
    walker = _Walker(changed_refs(reader, signed_revision), index)
    old_root = generic.IndirectObject(old.root_ref.idnum, old.root_ref.generation, old)
    new_root = generic.IndirectObject(new.root_ref.idnum, new.root_ref.generation, new)
    return list(walker.walk(_Node((), old_root, new_root, (), (), None)))


class _Walker:
    def __init__(self, changed: set[RefKey], index: RefIndex | None) -> None:
        self.changed = changed
        self.index = index
        self.seen: set[tuple[str, RefKey | None, RefKey | None]] = set()
        self.budget = MAX_NODES
        # The subtrees of LINKING_ENTRIES and LAST_PATHS, walked last.
        self.later: list[_Node] = []

    def walk(self, start: _Node) -> Iterator[Difference]:
        stack = [start]
        while stack or self.later:
            if not stack:
                stack.append(self.later.pop())
            self.budget -= 1
            if self.budget < 0:
                raise DiffLimitError("the revisions hold too many objects to compare")
            node = stack.pop()
            if len(node.path) > MAX_DEPTH:
                raise DiffLimitError("the object tree is nested too deeply")
            yield from self._step(node, stack)

    def _step(self, node: _Node, stack: list[_Node]) -> Iterator[Difference]:
        old_ref, new_ref = _ref(node.old), _ref(node.new)
        if old_ref is not None or new_ref is not None:
            if (node.zone, old_ref, new_ref) in self.seen:
                return
            self.seen.add((node.zone, old_ref, new_ref))
        if node.zone in LINKING_ENTRIES and (old_ref or new_ref):
            link = self._link(node, old_ref, new_ref)
            if link is not None:
                yield from link
                return
        same = old_ref is not None and old_ref == new_ref
        unchanged = same and old_ref not in self.changed
        if unchanged and self.index is not None:
            assert old_ref is not None
            if self.index.prunable(old_ref):
                return  # same bytes all the way down: no difference below

        old, old_error = _resolve(node.old)
        new, new_error = _resolve(node.new)
        if new_ref is not None:
            node.ref = new_ref
        if old_error or new_error:
            if not (unchanged and old_error and new_error):
                yield _difference(node, Action.MODIFIED, old, new)
            return
        if _absent(old) and _absent(new):
            return
        if _absent(old):
            yield from self._created(node, new)
            return
        if _absent(new):
            yield _difference(node, Action.DELETED, old, None)
            return
        assert old is not None and new is not None
        if isinstance(old, generic.DictionaryObject) and isinstance(
            new, generic.DictionaryObject
        ):
            yield from self._dicts(node, old, new, unchanged, stack)
        elif isinstance(old, generic.ArrayObject) and isinstance(
            new, generic.ArrayObject
        ):
            self._arrays(node, old, new, stack)
        elif not unchanged and not _same_value(old, new):
            yield _difference(node, Action.MODIFIED, old, new)

    def _link(
        self, node: _Node, old_ref: RefKey | None, new_ref: RefKey | None
    ) -> list[Difference] | None:
        """A name tree's reference to a page, judged as a reference.

        None when the value is no page: it is walked as the tree's own.
        """
        old, _ = _resolve(node.old)
        new, _ = _resolve(node.new)
        if not (_is_page(old) or _is_page(new)):
            return None
        if old_ref != new_ref:
            action = Action.MODIFIED
            if _absent(old) or _absent(new):
                action = Action.CREATED if _absent(old) else Action.DELETED
            return [_difference(node, action, node.old, node.new)]
        if ("", old_ref, new_ref) in self.seen:
            return []  # compared as a page of the page tree
        return None  # a page only the name tree reaches (a template)

    def _created(
        self, node: _Node, new: generic.PdfObject | None
    ) -> Iterator[Difference]:
        # An array of new items (e.g. a page's first /Annots) is judged item
        # by item.
        if isinstance(new, generic.ArrayObject) and any(
            isinstance(item, (generic.IndirectObject, generic.DictionaryObject))
            for item in new
        ):
            for item in new:
                yield _difference(node, Action.CREATED, None, _deref(item))
            return
        yield _difference(node, Action.CREATED, None, new)

    def _dicts(
        self,
        node: _Node,
        old: generic.DictionaryObject,
        new: generic.DictionaryObject,
        unchanged: bool,
        stack: list[_Node],
    ) -> Iterator[Difference]:
        holders = (*node.holders, new)
        old_holders = (*node.old_holders, old)
        if not unchanged and isinstance(old, generic.StreamObject):
            if not isinstance(new, generic.StreamObject) or (
                old.encoded_data != new.encoded_data
            ):
                yield _difference(node, Action.MODIFIED, old, new)
        for key in sorted(set(old.keys()) | set(new.keys()), reverse=True):
            old_value = _raw(old, key)
            new_value = _raw(new, key)
            path = (*node.path, str(key))
            top = not node.path and key in ISOLATED_ENTRIES
            zone = node.zone or (str(key) if top else "")
            child = _Node(
                path, old_value, new_value, holders, old_holders, node.ref, zone
            )
            if (top and key in LINKING_ENTRIES) or path in LAST_PATHS:
                self.later.append(child)
                continue
            if key in BACK_LINKS:
                if not unchanged and not _same_link(old_value, new_value):
                    yield _difference(child, Action.MODIFIED, old_value, new_value)
                continue
            stack.append(child)

    def _arrays(
        self,
        node: _Node,
        old: generic.ArrayObject,
        new: generic.ArrayObject,
        stack: list[_Node],
    ) -> None:
        def child(a: generic.PdfObject | None, b: generic.PdfObject | None) -> _Node:
            return _Node(
                node.path, a, b, node.holders, node.old_holders, node.ref, node.zone
            )

        old_refs = [_ref(item) for item in old]
        new_refs = [_ref(item) for item in new]
        if all(old_refs) and all(new_refs):
            # Lists of objects (/Annots, /Fields, /Kids): matched by reference,
            # so that an insertion does not look like a change of every item.
            # A reference may be listed more than once (a /ParentTree does):
            # each listing is matched once.
            by_ref: dict[RefKey | None, list[generic.PdfObject]] = {}
            for ref, item in zip(new_refs, new, strict=True):
                by_ref.setdefault(ref, []).append(item)
            for ref, item in zip(old_refs, old, strict=True):
                partners = by_ref.get(ref)
                stack.append(child(item, partners.pop(0) if partners else None))
            stack.extend(child(None, i) for items in by_ref.values() for i in items)
            return
        # Items by position, as stored: a reference stays one (indexing an
        # ArrayObject would resolve it), so that it is compared as an object.
        for index in range(max(len(old), len(new))):
            stack.append(
                child(
                    old.raw_get(index) if index < len(old) else None,
                    new.raw_get(index) if index < len(new) else None,
                )
            )


def _difference(
    node: _Node,
    action: Action,
    old: generic.PdfObject | None,
    new: generic.PdfObject | None,
) -> Difference:
    return Difference(
        node.path, action, old, new, node.holders, node.old_holders, node.ref
    )


def _raw(d: generic.DictionaryObject, key: str) -> generic.PdfObject | None:
    # Encrypted strings are compared as stored: signature /Contents are not
    # encrypted at all (ISO 32000-1 §7.6.1), and equal ciphertext means
    # equal text.
    if key not in d:
        return None
    value: generic.PdfObject = d.raw_get(key, decrypt=generic.EncryptedObjAccess.RAW)
    return value


def _ref(value: generic.PdfObject | None) -> RefKey | None:
    if isinstance(value, generic.IndirectObject):
        return (value.idnum, value.generation)
    return None


def _deref(value: generic.PdfObject) -> generic.PdfObject | None:
    resolved, error = _resolve(value)
    return resolved if not error else value


def _resolve(value: generic.PdfObject | None) -> tuple[generic.PdfObject | None, bool]:
    """The object behind a value, and whether reading it failed."""
    if not isinstance(value, generic.IndirectObject):
        return value, False
    try:
        return value.get_object(), False
    except Exception:
        return None, True


def _is_page(value: generic.PdfObject | None) -> bool:
    if not isinstance(value, generic.DictionaryObject):
        return False
    kind = value.get("/Type")
    return isinstance(kind, generic.NameObject) and kind == "/Page"


def _absent(value: generic.PdfObject | None) -> bool:
    # A dangling reference reads as null (ISO 32000-1 §7.3.10): absent.
    return value is None or isinstance(value, generic.NullObject)


def _same_link(a: generic.PdfObject | None, b: generic.PdfObject | None) -> bool:
    if isinstance(a, generic.IndirectObject) or isinstance(b, generic.IndirectObject):
        return _ref(a) == _ref(b)
    if a is None or b is None:
        return a is b
    return _same_value(a, b)


def _same_value(a: generic.PdfObject, b: generic.PdfObject) -> bool:
    if isinstance(a, (generic.NumberObject, generic.FloatObject)) and isinstance(
        b, (generic.NumberObject, generic.FloatObject)
    ):
        # 612 and 612.0 are the same number (DSS compares them so too).
        return float(a) == float(b)
    if type(a) is not type(b):
        text_types = (generic.TextStringObject, generic.ByteStringObject)
        if not (isinstance(a, text_types) and isinstance(b, text_types)):
            return False
    if isinstance(a, generic.TextStringObject) and isinstance(
        b, generic.TextStringObject
    ):
        # A writer may re-encode a text string it copies (UTF-16 with a BOM
        # to PDFDocEncoding): the same text is the same value.
        return _bytes(a) == _bytes(b) or str(a) == str(b)
    if isinstance(a, (generic.TextStringObject, generic.ByteStringObject)):
        return _bytes(a) == _bytes(b)
    return bool(a == b)


def _bytes(value: generic.PdfObject) -> bytes:
    if isinstance(value, generic.TextStringObject):
        return bytes(value.original_bytes)
    if isinstance(value, generic.ByteStringObject):
        return bytes(value)
    return b""
