"""Checks that keep drafts the hub cannot sign, or must not re-issue, out.

A draft is accepted only if every later step will work on it: an upload
that is accepted and then fails at signing leaves a document nobody can
move on. So, besides what ``reading`` checks when opening:

- a file with an unreasonable number of revisions is refused before
  anything walks them (each revision costs time in every later analysis);
- a document the hub has already issued (its number and date fields
  filled, or its personal or seal signature made) is refused: issuing it
  again would change the number its signatures cover; a draft the hub has
  only signed is refused with its own words (the unsigned draft is wanted);
- the prepared file is read back strictly, every reference it holds must
  resolve, and its form-field tree must be the one the signing steps walk:
  indirect dictionaries with text names.
"""

from __future__ import annotations

import logging

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader

from edocx.errors import (
    PDFAlreadyIssuedError,
    PDFAlreadySignedError,
    PDFUnusableError,
)
from edocx.signing import fields, texts
from edocx.signing.normalise import count_unreadable_references
from edocx.signing.reading import PARSER_FAILURES, read_strict

logger = logging.getLogger(__name__)

# Real documents have a handful of revisions (drafting, signatures,
# validation data); thousands of empty ones only make the hub work.
MAX_REVISIONS = 100
MAX_FIELD_NODES = 10_000
MAX_FIELD_DEPTH = 32

# The fields the hub fills and signs when it issues a document.
ISSUE_SIGNATURE_FIELDS = ("edocx_personal", "edocx_seal")
PERSONAL_SIGNATURE_FIELD = ISSUE_SIGNATURE_FIELDS[0]
_PLACEHOLDERS = frozenset(
    {"", texts.NUMBER_PLACEHOLDER.strip(), texts.DATE_PLACEHOLDER.strip()}
)
REEXPORT_HINT = "export the document to PDF again and upload the new file"


def check_revision_count(reader: PdfFileReader) -> None:
    """Refuse a file with more than ``MAX_REVISIONS`` revisions."""
    count = reader.xrefs.total_revisions
    if count > MAX_REVISIONS:
        raise PDFUnusableError(
            f"the PDF has {count} revisions (incremental updates); at most "
            f"{MAX_REVISIONS} are accepted",
            hint=REEXPORT_HINT,
        )


def refuse_issued(reader: PdfFileReader) -> None:
    """Refuse a document that already carries the hub's issue fields filled."""
    found = []
    for name, node in _top_level_fields(reader):
        value = _get(node, "/V")
        if name in fields.ISSUE_FIELDS and _filled(value):
            found.append(name)
        elif name in ISSUE_SIGNATURE_FIELDS and value is not None:
            found.append(name)
    if set(found) == {PERSONAL_SIGNATURE_FIELD}:
        raise PDFAlreadySignedError(
            "the PDF carries a personal signature made by edocx "
            f"({PERSONAL_SIGNATURE_FIELD}) and has not been issued: upload the "
            "unsigned draft instead",
            hint="the hub makes the personal signature itself, on the draft",
        )
    if found:
        raise PDFAlreadyIssuedError(
            "the document has already been issued: it carries "
            + ", ".join(sorted(set(found))),
            hint="forward the issued document instead of issuing it again",
        )


def check_prepared(pdf: bytes) -> None:
    """Make sure the signing steps can read what ``prepare_draft`` produced."""
    try:
        reader = read_strict(pdf)
        unreadable = count_unreadable_references(reader)
        problem = _field_tree_problem(reader)
    except PARSER_FAILURES as e:
        raise PDFUnusableError(
            "the prepared draft cannot be read back strictly", hint=REEXPORT_HINT
        ) from e
    if unreadable:
        problem = f"{unreadable} object(s) cannot be read back strictly"
    if problem is not None:
        raise PDFUnusableError(
            f"the draft cannot be signed: {problem}", hint=REEXPORT_HINT
        )


def _get(container: object, key: str) -> generic.PdfObject | None:
    """Read a dictionary entry, dereferenced; None if absent."""
    if not isinstance(container, generic.DictionaryObject) or key not in container:
        return None
    value: generic.PdfObject = container[key]
    return value


def _filled(value: object) -> bool:
    if value is None or isinstance(value, generic.NullObject):
        return False
    return str(value).strip() not in _PLACEHOLDERS


def _top_level_fields(
    reader: PdfFileReader,
) -> list[tuple[str, generic.DictionaryObject]]:
    form = _get(reader.root, "/AcroForm")
    items = (
        _get(form, "/Fields") if isinstance(form, generic.DictionaryObject) else None
    )
    if not isinstance(items, generic.ArrayObject):
        return []
    found = []
    for index in range(min(len(items), MAX_FIELD_NODES)):
        node = items[index]
        name = _get(node, "/T") if isinstance(node, generic.DictionaryObject) else None
        if isinstance(name, generic.TextStringObject | generic.ByteStringObject):
            found.append((str(name), node))
    return found


def _field_tree_problem(reader: PdfFileReader) -> str | None:
    """Describe the first defect of the form-field tree, if any."""
    form = _get(reader.root, "/AcroForm")
    if form is None:
        return None
    if not isinstance(form, generic.DictionaryObject):
        return "the form dictionary is not a dictionary"
    items = _get(form, "/Fields")
    if items is None:
        return None
    if not isinstance(items, generic.ArrayObject):
        return "the form's field list is not an array"
    stack = [(item, 0) for item in items]
    budget = MAX_FIELD_NODES
    while stack:
        item, depth = stack.pop()
        budget -= 1
        if budget < 0 or depth > MAX_FIELD_DEPTH:
            return "the form-field tree is too large or too deep"
        problem = _node_problem(item)
        if problem is not None:
            return problem
        kids = _get(item.get_object(), "/Kids")
        if isinstance(kids, generic.ArrayObject):
            stack.extend((kid, depth + 1) for kid in kids)
        elif kids is not None:
            return "a form field's /Kids is not an array"
    return None


def _node_problem(item: generic.PdfObject) -> str | None:
    if not isinstance(item, generic.IndirectObject):
        return "a form field is not an indirect object"
    node = item.get_object()
    if not isinstance(node, generic.DictionaryObject):
        return "a form field is not a dictionary"
    name = _get(node, "/T")
    if name is not None and not isinstance(
        name, generic.TextStringObject | generic.ByteStringObject
    ):
        return "a form field's name (/T) is not text"
    return None
