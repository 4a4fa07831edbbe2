"""Form field values across revisions: a value, once set, never changes.

A field empty when signed may be filled in once after the signature (the
hub prints the number and date after the competent person signs, Decree
30/2020 Art. 15); any later change of a value is a change of signed
content, which no later signature can make good.
"""

from __future__ import annotations

from collections.abc import Iterable

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader

from edocx.signing.texts import DATE_PLACEHOLDER, NUMBER_PLACEHOLDER
from edocx.verification.document import MAX_FIELD_DEPTH, MAX_FIELD_NODES, pdf_get

# What the hub's number and date fields show before issue; a value equal to
# one of these is as good as empty.
EMPTY_VALUES = frozenset({"", NUMBER_PLACEHOLDER.strip(), DATE_PLACEHOLDER.strip()})


def refilled_fields(
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


def _brief(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text[:200]
