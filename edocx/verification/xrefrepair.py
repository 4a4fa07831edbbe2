"""Read a PDF whose cross-reference data is damaged, revision by revision.

pyHanko follows the chain of ``startxref`` and ``/Prev`` pointers (ISO
32000-1 §7.5.5, §7.5.6) and gives up when one of them is wrong. Other
readers (PDFBox, under DSS) then search the file for its objects. So does
:func:`rebuilt_reader`, without losing the revisions a signature needs:

* a revision ends at each ``startxref N %%EOF`` marker;
* the objects of a revision are the ``N G obj`` headers between the end of
  the previous revision and its own cross-reference section, at the
  offsets where they really are;
* its trailer is the one written after its ``trailer`` keyword, or its
  cross-reference stream's dictionary.

The reader works on the original bytes: only the map from object numbers
to offsets is rebuilt, so every ByteRange, digest and revision end is
measured on what the file holds. A file read this way is reported as
damaged (see :mod:`edocx.verification.document`).
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.decode_limits import DecodeContext, DecodeLimits
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.xref import (
    TrailerDictionary,
    XRefCache,
    XRefEntry,
    XRefSection,
    XRefSectionData,
    XRefSectionMetaInfo,
    XRefSectionType,
    XRefType,
    parse_xref_stream,
    read_object_header,
)

from edocx.verification.report import Problem, Severity

logger = logging.getLogger(__name__)

REVISION_END = re.compile(rb"startxref\s+(\d{1,12})\s*%%EOF[\r\n]{0,2}")
# An object header at the start of a line (or right after "endobj").
OBJECT_HEADER = re.compile(
    rb"(?:(?<=[\r\n])|(?<=endobj))[ \t]*(\d{1,10})\s+(\d{1,5})\s+obj\b"
)
XREF_KEYWORD = re.compile(rb"(?<![A-Za-z])xref\s")
TRAILER_KEYWORD = re.compile(rb"(?<![A-Za-z])trailer\s*<<")
MAX_OBJECTS = 2_000_000


class RepairError(Exception):
    """The file cannot be read even by searching for its objects."""


@dataclass(frozen=True)
class _Revision:
    start: int
    end: int
    declared_startxref: int


class LenientReader(PdfFileReader):
    """pyHanko's reader, reading a non-dictionary /Encrypt as no encryption.

    ISO 32000-1 §7.3.7 makes ``/Encrypt null`` the same as no entry, and
    PDFBox (under DSS) ignores an /Encrypt that is not a dictionary; pyHanko
    refuses the file. Signature /Contents are never encrypted (§7.6.1), so
    reading such a file as plain text hides nothing a signature depends on;
    the entry is reported (:func:`invalid_encryption_entry`).
    """

    @property
    def encrypt_dict(self) -> generic.DictionaryObject | None:
        try:
            value = self.trailer.raw_get("/Encrypt")
        except KeyError:
            return None
        if isinstance(value, generic.IndirectObject):
            value = self.get_object(value.reference, never_decrypt=True)
        return value if isinstance(value, generic.DictionaryObject) else None


def read_structure(pdf: bytes) -> tuple[PdfFileReader, list[Problem]]:
    """A reader for ``pdf`` and what was wrong with its structure.

    pyHanko's reader first; if it fails, :func:`rebuilt_reader`; if that
    fails too, pyHanko's error is raised.
    """
    problems: list[Problem] = []
    try:
        reader: PdfFileReader = LenientReader(io.BytesIO(pdf), strict=False)
    except Exception as e:
        reader = _rebuilt_or_raise(pdf, e)
        problems.append(_damaged(e))
    if invalid_encryption_entry(reader):
        problems.append(_invalid_encryption())
    return reader, problems


def _rebuilt_or_raise(pdf: bytes, error: Exception) -> PdfFileReader:
    try:
        reader = rebuilt_reader(pdf)
    except Exception as e:
        logger.info("cross-reference data cannot be rebuilt either: %s", e)
        raise error from None
    logger.info("cross-reference data rebuilt after: %s", error)
    return reader


def _damaged(error: Exception) -> Problem:
    return Problem(
        code="damaged-xref",
        message="the cross-reference data is damaged "
        f"({str(error)[:200]}); the revisions were read by searching the file "
        "for its objects, and changes after a signature cannot be vouched for",
        severity=Severity.WARNING,
    )


def _invalid_encryption() -> Problem:
    return Problem(
        code="invalid-encryption-entry",
        message="the trailer's /Encrypt entry is not an encryption dictionary; "
        "the file is read as not encrypted",
        severity=Severity.WARNING,
    )


def invalid_encryption_entry(reader: PdfFileReader) -> bool:
    """The trailer has an /Encrypt entry that is not an encryption dictionary."""
    try:
        reader.trailer.raw_get("/Encrypt")
    except KeyError:
        return False
    return reader.encrypt_dict is None


def is_rebuilt(reader: PdfFileReader) -> bool:
    """The reader's cross-reference data was rebuilt by :func:`rebuilt_reader`."""
    return isinstance(reader, _BareReader)


def rebuilt_reader(pdf: bytes) -> PdfFileReader:
    """A reader over ``pdf`` with its cross-reference data rebuilt; may raise."""
    revisions = _revisions(pdf)
    if not revisions:
        raise RepairError("the file has no startxref/%%EOF marker")
    reader = _BareReader(pdf)
    sections: list[XRefSection] = []
    trailers: list[generic.DictionaryObject] = []
    size = 0
    for revision in revisions:
        section, revision_trailer = _section(reader, pdf, revision, size)
        size = section.meta_info.size
        sections.append(section)
        trailers.append(revision_trailer)

    # pyHanko keeps trailers newest first, sections oldest first.
    trailer = TrailerDictionary()
    trailer.container_ref = generic.TrailerReference(reader)
    for revision_trailer in reversed(trailers):
        trailer.add_trailer_revision(revision_trailer)
    reader.xrefs = XRefCache(reader, sections)
    reader.trailer = trailer
    reader.last_startxref = revisions[-1].declared_startxref
    if "/Root" not in trailer:
        raise RepairError("no trailer names the document catalog")
    return reader


class _BareReader(LenientReader):
    """A reader whose cross-reference data is supplied, not read."""

    def __init__(self, pdf: bytes) -> None:
        # pyHanko's constructor reads the xref chain; this one skips it, and
        # sets what the rest of the reader expects (reader.py, 0.25-0.39).
        self._security_handler = None
        self.strict = False
        self._decode_context = DecodeContext(DecodeLimits(), input_size=len(pdf))
        self.resolved_objects = {}
        self._header_version = None
        self._input_version = None
        self._historical_resolver_cache = {}
        self.stream = io.BytesIO(pdf)
        self._embedded_signatures = None
        self.has_xref_stream = False


def _revisions(pdf: bytes) -> list[_Revision]:
    result: list[_Revision] = []
    start = 0
    for match in REVISION_END.finditer(pdf):
        result.append(_Revision(start, match.end(), int(match.group(1))))
        start = match.end()
    return result


def _section(
    reader: PdfFileReader, pdf: bytes, revision: _Revision, previous_size: int
) -> tuple[XRefSection, generic.DictionaryObject]:
    table = _last(XREF_KEYWORD, pdf, revision.start, revision.end)
    trailer_at = _last(TRAILER_KEYWORD, pdf, revision.start, revision.end)
    data = XRefSectionData()
    if table is not None and trailer_at is not None and table < trailer_at:
        dict_at = pdf.index(b"<<", trailer_at)
        objects_end, end_location = table, dict_at
        trailer = _read_dict(reader, pdf, dict_at)
        kind, stream_ref, start_location = XRefSectionType.STANDARD, None, table
    else:
        found = _xref_stream(reader, pdf, revision)
        if found is None:
            raise RepairError("a revision has neither a trailer nor an xref stream")
        start_location, stream_ref, trailer = found
        objects_end = end_location = revision.end
        kind = XRefSectionType.STREAM
        # Compressed objects are known only from the stream itself.
        data.process_entries(
            (
                e
                for e in parse_xref_stream(trailer, strict=False)  # type: ignore[arg-type]
                if e.xref_type is XRefType.IN_OBJ_STREAM
            ),
            strict=False,
        )
    highest = data.process_entries(
        _entries(_objects(pdf, revision.start, objects_end)), strict=False
    )
    size = max(previous_size, highest + 1, _size(trailer))
    meta = XRefSectionMetaInfo(
        xref_section_type=kind,
        size=size,
        declared_startxref=revision.declared_startxref,
        start_location=start_location,
        end_location=end_location,
        stream_ref=stream_ref,
    )
    return XRefSection(meta, data), trailer


def _objects(pdf: bytes, start: int, end: int) -> dict[int, tuple[int, int]]:
    """Object number -> (generation, offset) of the headers in a byte span."""
    # A later definition in the same revision replaces an earlier one, as
    # a reader that searches the file takes it.
    found: dict[int, tuple[int, int]] = {}
    for match in OBJECT_HEADER.finditer(pdf, start, end):
        found[int(match.group(1))] = (int(match.group(2)), match.start(1))
        if len(found) > MAX_OBJECTS:
            raise RepairError("the file holds too many objects")
    return found


def _entries(objects: dict[int, tuple[int, int]]) -> Iterator[XRefEntry]:
    for idnum, (generation, offset) in objects.items():
        yield XRefEntry(XRefType.STANDARD, offset, idnum, generation)


def _xref_stream(
    reader: PdfFileReader, pdf: bytes, revision: _Revision
) -> tuple[int, generic.Reference, generic.StreamObject] | None:
    objects = _objects(pdf, revision.start, revision.end)
    for _, offset in sorted(objects.values(), key=lambda o: -o[1]):
        if b"/XRef" not in pdf[offset : offset + 200]:
            continue
        stream = io.BytesIO(pdf)
        stream.seek(offset)
        idnum, generation = read_object_header(stream, strict=False)
        ref = generic.Reference(idnum, generation, pdf=reader)
        # An xref stream's /Length is direct (ISO 32000-1 §7.5.8.2).
        value = generic.StreamObject.read_from_stream(stream, ref)
        if isinstance(value, generic.StreamObject):
            value.container_ref = ref
            return offset, ref, value
    return None


def _read_dict(reader: PdfFileReader, pdf: bytes, at: int) -> generic.DictionaryObject:
    stream = io.BytesIO(pdf)
    stream.seek(at)
    value = generic.DictionaryObject.read_from_stream(
        stream, generic.TrailerReference(reader)
    )
    if not isinstance(value, generic.DictionaryObject):
        raise RepairError("a trailer is not a dictionary")
    return value


def _last(pattern: re.Pattern[bytes], pdf: bytes, start: int, end: int) -> int | None:
    found = None
    for match in pattern.finditer(pdf, start, end):
        found = match.start()
    return found


def _size(trailer: generic.DictionaryObject) -> int:
    value = trailer.get("/Size")
    return int(value) if isinstance(value, generic.NumberObject) else 0
