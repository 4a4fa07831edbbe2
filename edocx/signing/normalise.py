"""Structural checks and fixes made to a draft before its first signature.

pyHanko's difference analysis, which every verifier of the hub's documents
runs, is stricter than the PDF standard in two places:

- it walks every page's annotation array whenever a signature field is
  added, and rejects an array that holds an annotation dictionary directly
  instead of by reference (ISO 32000-2, 12.5.2 allows both). The seal would
  then mark the personal signature as altered. Drafts are therefore
  normalised in the prepare revision: every directly embedded annotation
  becomes an indirect object.
- it follows the references of each new trailer and fails on one to an
  object that does not exist (the standard reads it as null). Such drafts,
  e.g. LibreOffice's hybrid PDFs naming an unwritten ODF stream, are found
  here and rewritten in full. So are drafts holding an object that only a
  lenient reader takes (a dictionary defining a key twice, for one): every
  later step reads the draft strictly.
"""

from __future__ import annotations

import logging

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfReadError
from pyhanko.pdf_utils.reader import PdfFileReader

from edocx.signing.reading import PARSER_FAILURES

logger = logging.getLogger(__name__)


def index_annotations(writer: IncrementalPdfFileWriter) -> int:
    """Make every page's directly embedded annotations indirect objects.

    Returns the number of annotations moved.
    """
    moved = 0
    for page_ref in _page_refs(writer):
        moved += _index_page_annotations(writer, page_ref)
    if moved:
        logger.info("%d embedded annotation(s) made indirect", moved)
    return moved


def _index_page_annotations(
    writer: IncrementalPdfFileWriter, page_ref: generic.IndirectObject
) -> int:
    page = page_ref.get_object()
    try:
        annots_raw = page.raw_get("/Annots")
    except KeyError:
        return 0
    annots = annots_raw.get_object()
    if not isinstance(annots, generic.ArrayObject):
        return 0

    direct = [
        i for i, item in enumerate(annots) if isinstance(item, generic.DictionaryObject)
    ]
    for i in direct:
        annots[i] = writer.add_object(annots[i])

    if direct:
        indirect = isinstance(annots_raw, generic.IndirectObject)
        writer.mark_update(annots_raw if indirect else page_ref)
    return len(direct)


def count_unreadable_references(reader: PdfFileReader) -> int:
    """Count references reachable from the trailer that ``reader`` cannot read.

    That is, references to missing objects, and, with a strict reader, to
    objects that break the standard.
    """
    unreadable = 0
    seen: set[generic.Reference] = set()
    stack: list[generic.PdfObject] = [reader.trailer_view]
    while stack:
        obj = stack.pop()
        if isinstance(obj, generic.IndirectObject):
            if obj.reference in seen:
                continue
            seen.add(obj.reference)
            try:
                obj = obj.get_object()
            except PARSER_FAILURES:
                unreadable += 1
                continue
        if isinstance(obj, generic.DictionaryObject):
            stack.extend(obj.values())
        elif isinstance(obj, generic.ArrayObject):
            stack.extend(obj)
    return unreadable


def _page_refs(writer: IncrementalPdfFileWriter) -> list[generic.IndirectObject]:
    refs: list[generic.IndirectObject] = []
    seen: set[generic.Reference] = set()

    def walk(node_ref: generic.IndirectObject) -> None:
        if node_ref.reference in seen:
            raise PdfReadError("circular reference in the page tree")
        seen.add(node_ref.reference)
        node = node_ref.get_object()
        if node.get("/Type") == "/Page" or "/Kids" not in node:
            refs.append(node_ref)
            return
        for kid in node["/Kids"]:
            if isinstance(kid, generic.IndirectObject):
                walk(kid)

    root_pages = writer.root.raw_get("/Pages")
    if isinstance(root_pages, generic.IndirectObject):
        walk(root_pages)
    return refs
