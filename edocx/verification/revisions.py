"""Which later revision made a difference, and what each revision wrote.

A difference is found by comparing the signed revision with the file's
last one; the report names the revision that made it: the first one after
the signed revision that wrote the object holding it (ISO 32000-1 §7.5.6)
and, for an entry of that object, the first one in which the entry's value
is no longer the signed one. An object rewritten with the same entry (a
catalog updated once for /DSS, then for something else) does not take the
blame for the later change.
"""

from __future__ import annotations

import io
import logging

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import HistoricalResolver, PdfFileReader

from edocx.verification.objdiff import Difference

logger = logging.getLogger(__name__)


# What each revision of an open file wrote: asked once per difference. Kept
# on the reader (see diffpolicy.reader_memo), never beside it.
_TOUCHED = "_edocx_touched"


def touched_in(reader: PdfFileReader, revision: int) -> frozenset[generic.Reference]:
    """Objects a revision wrote or freed."""
    known: dict[int, frozenset[generic.Reference]] = reader.__dict__.setdefault(
        _TOUCHED, {}
    )
    if revision not in known:
        xrefs = reader.xrefs
        known[revision] = frozenset(xrefs.explicit_refs_in_revision(revision)) | (
            frozenset(xrefs.refs_freed_in_revision(revision))
        )
    return known[revision]


def made_in(reader: PdfFileReader, diff: Difference, signed: int, last: int) -> int:
    """The first revision after ``signed`` that made ``diff``; ``last`` if unknown.

    A difference no later revision wrote any part of (a reading artefact)
    stays with the revision it was found in, the last one: never with the
    signed revision or an earlier one.
    """
    refs = _candidates(diff)
    for revision in range(signed + 1, last + 1):
        try:
            touched = touched_in(reader, revision)
        except Exception:
            return last
        if not refs & touched:
            continue
        if _entry_still_signed(reader, diff, signed, revision):
            continue
        return revision
    return last


def _candidates(diff: Difference) -> set[generic.Reference]:
    refs: set[generic.Reference] = set()
    if diff.ref is not None:
        refs.add(generic.Reference(*diff.ref))
    for value in (diff.new, diff.old):
        ref = getattr(value, "container_ref", None)
        if isinstance(ref, generic.Reference):
            refs.add(ref)
    return refs


def _entry_still_signed(
    reader: PdfFileReader, diff: Difference, signed: int, revision: int
) -> bool:
    """Whether the entry of the holding object still has its signed value.

    Only decided for an entry directly in the object ``diff.ref`` names;
    anything else counts as changed (the revision wrote the object).
    """
    key = diff.last_key
    holder = diff.holders[-1] if diff.holders else None
    if diff.ref is None or key is None or holder is None:
        return False
    if getattr(holder, "container_ref", None) != generic.Reference(*diff.ref):
        return False
    try:
        ref = generic.Reference(*diff.ref)
        then = reader.get_historical_resolver(signed)(ref)
        now = reader.get_historical_resolver(revision)(ref)
    except Exception:
        return False
    if not isinstance(then, generic.DictionaryObject) or not isinstance(
        now, generic.DictionaryObject
    ):
        return False
    return _written(then, key) == _written(now, key)


def _written(d: generic.DictionaryObject, key: str) -> bytes | None:
    """An entry as a writer would put it: references stay references."""
    if key not in d:
        return None
    out = io.BytesIO()
    try:
        d.raw_get(key, decrypt=generic.EncryptedObjAccess.RAW).write_to_stream(
            out, None
        )
    except Exception:
        return b"\\x00unreadable"
    return out.getvalue()


# Catalog entries an update that only adds validation data may change
# (ETSI EN 319 142-1 §5.4: /DSS, and the extension level that names it).
VALIDATION_CATALOG_KEYS = frozenset({"/DSS", "/Extensions"})
# What every writer stamps into the document information dictionary when it
# saves (ISO 32000-1 §14.3.3); any other /Info entry is shown by viewers.
WRITER_INFO_KEYS = frozenset({"/ModDate", "/Producer"})
# The file structure a revision writes besides its objects (§7.5.7, §7.5.8).
STRUCTURE_TYPES = frozenset({"/XRef", "/ObjStm"})
MAX_DSS_OBJECTS = 100_000


def validation_only(reader: PdfFileReader, revision: int) -> bool:
    """Whether a revision holds validation data and nothing else.

    It may write /DSS and the objects /DSS reaches (certificates, OCSP
    responses, CRLs, VRI entries) and rewrite the catalog to link them;
    any other object written or freed, or a new trailer /Info, is content
    no signature covers. The writer's own stamp (/ModDate, /Producer in
    /Info) and the cross-reference and object streams that carry the
    update are part of any save.
    """
    try:
        old = reader.get_historical_resolver(revision - 1)
        new = reader.get_historical_resolver(revision)
        root = new.root_ref
        if root != old.root_ref or not _same_info(old, new):
            return False
        allowed = _dss_objects(new) | _dss_objects(old) | _info_ref(new)
        for ref in touched_in(reader, revision) - allowed:
            if ref == root and _same_except(
                old(root), new(root), VALIDATION_CATALOG_KEYS
            ):
                continue
            if not _is_structure(new, ref):
                return False
    except Exception as e:
        logger.info("revision %d cannot be read: %s", revision, e)
        return False
    return True


def _info(resolver: HistoricalResolver) -> generic.PdfObject | None:
    """The /Info dictionary as this revision wrote it.

    Through the revision's own resolver: an /Info object rewritten later
    under the same number must not read as the later version.
    """
    trailer = resolver.trailer_view
    if "/Info" not in trailer:
        return None
    raw: generic.PdfObject = trailer.raw_get("/Info")
    if isinstance(raw, generic.IndirectObject):
        info: generic.PdfObject = resolver(raw.reference)
        return info
    return raw


def info_changed(
    reader: PdfFileReader, signed: int, last: int
) -> tuple[int, str] | None:
    """The first revision after ``signed`` that changed what /Info says.

    Returns it with the entries changed; the writer's own stamp
    (/ModDate, /Producer) does not count.
    """
    try:
        then = _info(reader.get_historical_resolver(signed))
        for revision in range(signed + 1, last + 1):
            now = _info(reader.get_historical_resolver(revision))
            if then is None and now is None:
                continue
            keys = _changed_keys(then, now, WRITER_INFO_KEYS)
            if keys:
                return revision, ", ".join(keys)
    except Exception as e:
        logger.info("the document information cannot be read: %s", e)
        return last, "unreadable entries"
    return None


def _changed_keys(
    then: generic.PdfObject | None, now: generic.PdfObject | None, free: frozenset[str]
) -> list[str]:
    old, new = (
        d if isinstance(d, generic.DictionaryObject) else generic.DictionaryObject()
        for d in (then, now)
    )
    keys = (set(old.keys()) | set(new.keys())) - free
    return sorted(str(k) for k in keys if _written(old, k) != _written(new, k))


def _info_ref(resolver: HistoricalResolver) -> set[generic.Reference]:
    trailer = resolver.trailer_view
    raw = trailer.raw_get("/Info") if "/Info" in trailer else None
    return {raw.reference} if isinstance(raw, generic.IndirectObject) else set()


def _same_info(old: HistoricalResolver, new: HistoricalResolver) -> bool:
    then, now = _info(old), _info(new)
    if then is None and now is None:
        return True
    return not _changed_keys(then, now, WRITER_INFO_KEYS)


def _same_except(
    then: generic.PdfObject | None, now: generic.PdfObject | None, free: frozenset[str]
) -> bool:
    """Two dictionaries equal but for the entries in ``free``."""
    if not isinstance(then, generic.DictionaryObject) or not isinstance(
        now, generic.DictionaryObject
    ):
        return False
    keys = (set(then.keys()) | set(now.keys())) - free
    return all(_written(then, k) == _written(now, k) for k in keys)


def _is_structure(resolver: HistoricalResolver, ref: generic.Reference) -> bool:
    try:
        obj = resolver(ref)
    except Exception:
        return False
    if not isinstance(obj, generic.StreamObject):
        return False
    kind = obj.get("/Type")
    return isinstance(kind, generic.NameObject) and str(kind) in STRUCTURE_TYPES


def _dss_objects(resolver: HistoricalResolver) -> set[generic.Reference]:
    """The indirect objects /DSS reaches in a revision (bounded)."""
    catalog = resolver(resolver.root_ref)
    if not isinstance(catalog, generic.DictionaryObject) or "/DSS" not in catalog:
        return set()
    found: set[generic.Reference] = set()
    stack: list[generic.PdfObject] = [catalog.raw_get("/DSS")]
    while stack and len(found) < MAX_DSS_OBJECTS:
        value = stack.pop()
        if isinstance(value, generic.IndirectObject):
            ref = value.reference
            if ref in found:
                continue
            found.add(ref)
            value = value.get_object()
        if isinstance(value, generic.DictionaryObject):
            stack.extend(value.raw_get(k) for k in value.keys())
        elif isinstance(value, generic.ArrayObject):
            stack.extend(value.raw_get(i) for i in range(len(value)))
    return found
