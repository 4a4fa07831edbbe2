"""FieldMDP locks: the form fields a signature forbids to change afterwards.

A signature locks fields through a FieldMDP signature reference in its
signature dictionary (``/Reference``, ISO 32000-1 Table 253, with the
transform parameters of Table 256), or through the ``/Lock`` dictionary of
the signature field it fills (Table 233, ISO 32000-2 12.7.5.5). Either names
an action: ``/All`` locks every field, ``/Include`` the fields listed,
``/Exclude`` every field but those listed; a listed name that is not
terminal stands for the fields beneath it.

Once the signature is made, a locked field must keep its value: filling it
in, changing its appearance, or signing it if it is a signature field is a
change the signer did not allow (12.8.2.4). A document timestamp without an
appearance is validation data, allowed after any signature (ETSI EN 319
142-1 §5.4), locked field or not.

NOTE: a lock binds the fields the document had when it was signed. A
signature field created later and signed is judged as any later signature
is (its box, certification), not as a breach of /All or /Exclude; pyHanko
counts it as one. The hub's policy lets a stamp-sized signature in a field
of its own follow any signature (diffpolicy.py).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from pyhanko.pdf_utils import generic
from pyhanko.sign.diff_analysis import ModificationLevel

from edocx.verification.changes import Change, visible
from edocx.verification.document import pdf_get
from edocx.verification.report import ChangeKind
from edocx.verification.wording import change_vi

logger = logging.getLogger(__name__)

ACTIONS = frozenset({"/All", "/Include", "/Exclude"})
MAX_REFERENCES = 16
MAX_LOCKED_NAMES = 1_000


@dataclass(frozen=True)
class FieldLock:
    """One FieldMDP lock: its action and the field names it lists."""

    action: str
    fields: tuple[str, ...] = ()

    def locks(self, name: str) -> bool:
        """Whether the lock forbids changing the field ``name`` (fully qualified)."""
        if self.action == "/All":
            return True
        listed = any(name == f or name.startswith(f + ".") for f in self.fields)
        return listed if self.action == "/Include" else not listed


# What a lock that cannot be read stands for: it may have locked anything.
UNREADABLE = (FieldLock("/All"),)


def read_locks(
    sig_dict: generic.DictionaryObject, sig_field: generic.DictionaryObject
) -> tuple[FieldLock, ...]:
    """The locks a signature sets, from its references and its field's /Lock."""
    try:
        found = [_lock(params) for params in _fieldmdp_params(sig_dict)]
        field_lock = pdf_get(sig_field, "/Lock")
        if field_lock is not None:
            found.append(_lock(field_lock))
    except Exception as e:
        # A hostile file can break the lock in any way; not knowing what it
        # locks, the verifier takes it to lock everything.
        logger.info("a FieldMDP lock cannot be read, so it locks every field: %s", e)
        return UNREADABLE
    return tuple(dict.fromkeys(found))


def _fieldmdp_params(
    sig_dict: generic.DictionaryObject,
) -> list[generic.PdfObject | None]:
    references = pdf_get(sig_dict, "/Reference")
    if references is None:
        return []
    if not isinstance(references, generic.ArrayObject):
        raise ValueError("/Reference is not an array")
    params = []
    for item in list(references)[:MAX_REFERENCES]:
        reference = item.get_object()
        method = pdf_get(reference, "/TransformMethod")
        if not isinstance(method, generic.NameObject) or method != "/FieldMDP":
            continue
        params.append(pdf_get(reference, "/TransformParams"))
    return params


def _lock(params: generic.PdfObject | None) -> FieldLock:
    action = pdf_get(params, "/Action")
    if not isinstance(action, generic.NameObject) or str(action) not in ACTIONS:
        raise ValueError(f"FieldMDP action {action!r} is not one of {sorted(ACTIONS)}")
    if action == "/All":
        return FieldLock("/All")
    names = pdf_get(params, "/Fields")
    if not isinstance(names, generic.ArrayObject):
        raise ValueError(f"FieldMDP {action} lists no /Fields")
    listed = [name.get_object() for name in list(names)[:MAX_LOCKED_NAMES]]
    if not all(isinstance(n, generic.TextStringObject) for n in listed):
        raise ValueError(f"FieldMDP {action} lists a field name that is not text")
    return FieldLock(str(action), tuple(str(n) for n in listed))


def breaking_lock(change: Change, locks: tuple[FieldLock, ...]) -> FieldLock | None:
    """The lock ``change`` breaks, if it gives a locked field a value."""
    if not change.fills_field or not locks:
        return None
    if change.kind is ChangeKind.TIMESTAMP_ADDED and not _shows(change):
        return None
    name = change.field_name or ""
    return next((lock for lock in locks if lock.locks(name)), None)


def _shows(change: Change) -> bool:
    return change.widget is not None and visible(change.widget)


def enforce_locks(change: Change, locks: tuple[FieldLock, ...]) -> Change:
    """Make a change to a field the signature locked suspicious, saying why."""
    lock = breaking_lock(change, locks)
    if lock is None:
        return change
    name = change.field_name
    what = f"field {name!r}" if name else "the field"
    what_vi = f"trường {name!r}" if name else "trường này"
    return replace(
        change,
        detail=f"{change.detail}; {what} is locked by this signature "
        f"(FieldMDP {lock.action})",
        detail_vi=f"{change.detail_vi or change_vi(change.kind, change.detail)}; "
        f"chữ ký này đã khóa {what_vi} (FieldMDP {lock.action})",
        level=ModificationLevel.OTHER,
        suspicious=True,
    )
