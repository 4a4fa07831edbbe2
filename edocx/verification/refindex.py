"""Which objects a later revision cannot have touched, read from raw bytes.

The difference analysis (:mod:`edocx.verification.objdiff`) walks both
revisions from the catalog and parses every object it meets, fonts and
images included. An object whose cross-reference entry is the same in both
revisions is read from the same bytes, so it parses the same; what could
still differ lies below it, in an object a later revision rewrote, freed or
added. :class:`RefIndex` says of an unchanged object whether any such object
is reachable from it; if none is, its whole subtree can be skipped.

Reachability is taken on an over-approximation of the reference graph: every
``N G R`` anywhere in an object's text (inside strings too) is an edge, so
an error can only skip less. An object's text runs from its cross-reference
offset to the end of its value, which a small tokenizer finds the way
pyHanko's parser does (literal strings with escapes and nesting,
hexadecimal strings, names, dictionaries, arrays, a stream whose /Length
ends at ``endstream``), and must be followed by ``endobj``: a fake header or
``endobj`` inside a string cannot cut the text short and hide a reference
behind it. An indirect /Length is used only when no later revision touched
it (pyHanko reads it in the newest revision, whichever revision it reads
the stream in). Anything unusual (a comment, an object in an object stream,
a name with ``#`` escapes, a token pyHanko would not read, a bound reached)
makes the object, and every object that reaches it, never skipped. An
encrypted file or one whose cross-reference data had to be rebuilt gets no
index at all.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.xref import XRefSectionData

from edocx.verification.xrefrepair import is_rebuilt

RefKey = tuple[int, int]
_Length = int | RefKey

# Objects whose bytes one index may read, and text bytes per object (stream
# data is skipped, not read): beyond them nothing more is skipped (the full
# walk has its own bounds).
MAX_OBJECTS = 20_000
MAX_SPAN = 1 << 20
# Where the header, "stream", "endstream" and "endobj" must be found: a few
# separating bytes away, not after a long run of whitespace.
_NEAR = 1024
# Objects expanded by all searches together: past it nothing more is
# skipped, whatever the shape of the graph.
MAX_WORK = 4 * MAX_OBJECTS

_WS = b"\x00\t\n\x0b\x0c\r "
_PDF_WS = b"\x00\t\n\x0c\r "
_DELIMS = b"()<>[]{}/%"
_W = b"[" + re.escape(_WS) + b"]"
_PW = b"[" + re.escape(_PDF_WS) + b"]"
_REGULAR = b"[^" + re.escape(_PDF_WS + _DELIMS) + b"]"

_HEADER = re.compile(rb"([0-9]+)" + _PW + rb"+([0-9]+)" + _PW + rb"+obj")
_SKIP = re.compile(_PW + b"*")
_TOKEN = re.compile(
    rb"(<<|>>|\[|\]|\()|(<[0-9A-Fa-f" + re.escape(_PDF_WS) + rb"]*>)"
    rb"|(/" + _REGULAR + rb"*)|(" + _REGULAR + rb"+)"
)
_STRING_STOP = re.compile(rb"[()\\]")
_NUMBER = re.compile(rb"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)")
_KEYWORDS = frozenset({b"true", b"false", b"null", b"R"})
# Every "N G R" a reader might take as a reference, whitespace in the
# widest sense (pyHanko's pattern uses \s, PDF adds NUL).
_REFERENCE = re.compile(rb"(?<![0-9])([0-9]+)" + _W + rb"+([0-9]+)" + _W + rb"+R")
# Whitespace every reader agrees on, for the /Length entry and its object.
_SP = rb"[\t\n\x0c\r ]"
_LENGTH_VALUE = re.compile(
    _SP
    + rb"*(?:([0-9]+)|([0-9]+)"
    + _SP
    + rb"+([0-9]+)"
    + _SP
    + rb"+R)"
    + _SP
    + rb"*(?:/|>>)"
)
_LENGTH_OBJECT = re.compile(
    rb"([0-9]+)"
    + _SP
    + rb"+([0-9]+)"
    + _SP
    + rb"+obj"
    + _SP
    + rb"+([0-9]+)"
    + _SP
    + rb"+endobj"
)
_STREAM_EOL = re.compile(rb"stream(?:\r\n|\n)")
_END_STREAM = re.compile(_PW + rb"*endstream")
_END_OBJ = re.compile(_PW + rb"*endobj(?![^" + re.escape(_PDF_WS + _DELIMS) + b"])")


class _UnusualError(Exception):
    """The object's bytes are not in the plain form the index vouches for."""

    def __init__(self, message: str, read: int = 0) -> None:
        super().__init__(message)
        self.read = read  # bytes of the object's text read before giving up


class RefIndex:
    """Unchanged objects from which no later-touched object is reachable."""

    def __init__(self, data: bytes, reader: PdfFileReader, signed: int) -> None:
        self.data = data
        self.reader = reader
        self.signed = signed
        self.touched = _touched_ids(reader, signed)
        self.edges: dict[RefKey, frozenset[RefKey] | None] = {}
        self.verdict: dict[RefKey, bool] = {}
        self.work = MAX_WORK
        # Fake objects nested in strings could make the spans overlap: the
        # bytes read by all objects together are bounded too.
        self.bytes_left = 4 * len(data) + MAX_SPAN

    def prunable(self, ref: RefKey) -> bool:
        """No object a later revision wrote or freed is reachable from ``ref``."""
        if ref not in self.verdict:
            self._judge(ref)
        return self.verdict[ref]

    def _judge(self, start: RefKey) -> None:
        # Depth-first over the closure; "parent" leads back from a node that
        # cannot be vouched for to the start, and every node on that way
        # reaches it too, so a chain is never searched twice.
        parent: dict[RefKey, RefKey | None] = {start: None}
        todo = [start]
        while todo:
            ref = todo.pop()
            self.work -= 1
            edges = None if self.verdict.get(ref) is False else self._edges(ref)
            if edges is None or self.work < 0:
                self._refuse(ref, parent)
                return
            fresh = [r for r in edges if r not in parent and not self.verdict.get(r)]
            parent.update(dict.fromkeys(fresh, ref))
            todo.extend(fresh)

        # Whatever a member reaches, the start reaches: the whole closure
        # is clean.
        self.verdict.update(dict.fromkeys(parent, True))

    def _refuse(self, ref: RefKey, parent: dict[RefKey, RefKey | None]) -> None:
        node: RefKey | None = ref
        while node is not None:
            self.verdict[node] = False
            node = parent[node]

    def _edges(self, ref: RefKey) -> frozenset[RefKey] | None:
        """The references in an unchanged object's bytes; None if not vouched."""
        if ref not in self.edges:
            self.edges[ref] = self._read_edges(ref)
        return self.edges[ref]

    def _read_edges(self, ref: RefKey) -> frozenset[RefKey] | None:
        if ref[0] in self.touched or len(self.edges) >= MAX_OBJECTS:
            return None
        where = self.reader.xrefs.get_historical_ref(
            generic.Reference(*ref), self.signed
        )
        if where is None:
            # Absent in both revisions: read as null, nothing below it.
            return frozenset()
        if not isinstance(where, int):
            return None  # in an object stream
        if self.bytes_left < 0:
            return None
        try:
            found, read = object_references(self.data, where, ref, self._length)
        except _UnusualError as error:
            self.bytes_left -= error.read + _NEAR
            return None
        self.bytes_left -= read
        return frozenset(found)

    def _length(self, ref: RefKey) -> int:
        # pyHanko reads an indirect /Length in the newest revision whichever
        # revision it reads the stream in: untouched, that is this one.
        where = self.reader.xrefs.get_historical_ref(
            generic.Reference(*ref), self.signed
        )
        if ref[0] in self.touched or not isinstance(where, int):
            raise _UnusualError("an indirect /Length a later revision may change")
        number = _LENGTH_OBJECT.match(self.data, where)
        if number is None or (int(number[1]), int(number[2])) != ref:
            raise _UnusualError("an indirect /Length that is not a plain number")
        return int(number[3])


def build_index(reader: PdfFileReader, signed: int) -> RefIndex | None:
    """An index for comparing revision ``signed`` with later ones, if possible."""
    if is_rebuilt(reader) or _encrypted(reader):
        return None
    stream = reader.stream
    if not isinstance(stream, io.BytesIO):
        return None
    return RefIndex(stream.getvalue(), reader, signed)


def object_references(
    data: bytes, offset: int, ref: RefKey, length_of: Callable[[RefKey], int]
) -> tuple[set[RefKey], int]:
    """Every ``N G R`` in the object at ``offset``, and the bytes its text took.

    ``length_of`` gives the value of an indirect /Length (or raises).
    Raise _UnusualError, with the bytes read so far, if the bytes are not
    plain enough to be sure.
    """
    header = _HEADER.match(data, offset, offset + _NEAR)
    if header is None or (int(header[1]), int(header[2])) != ref:
        raise _UnusualError("no header for the object at its offset", _NEAR)
    start, stop, _ = _object_text(data, header.end(), length_of)

    found: set[RefKey] = set()
    for match in _REFERENCE.finditer(data, start, stop):
        found.add((int(match[1]), int(match[2])))
    return found, stop - offset


def _object_text(
    data: bytes, pos: int, length_of: Callable[[RefKey], int]
) -> tuple[int, int, int]:
    """The object's text (stream data left out), checked to end at ``endobj``.

    Return where the text starts and ends, and where the object (with its
    stream data) ends before ``endobj``.
    """
    start = _skip(data, pos, pos + _NEAR)
    reach = [start]
    try:
        pos, lengths = _value(data, start, start + MAX_SPAN, reach)
    except _UnusualError as error:
        raise _UnusualError(str(error), reach[0] - start) from None

    text_end = pos
    stream = _STREAM_EOL.match(data, _skip(data, pos, pos + _NEAR), pos + _NEAR)
    if stream is not None:
        if not data.startswith(b"<<", start) or len(lengths) != 1:
            raise _UnusualError("stream without one /Length", pos - start)
        length = lengths[0]
        if isinstance(length, tuple):
            length = length_of(length)
        pos = _stream_end(data, stream.end(), length)
    if _END_OBJ.match(data, pos, pos + _NEAR) is None:
        raise _UnusualError("the object does not end at its endobj", text_end - start)
    return start, text_end, pos


def _stream_end(data: bytes, start: int, length: int) -> int:
    end = _END_STREAM.match(data, start + length, start + length + _NEAR)
    if start + length > len(data) or end is None:
        raise _UnusualError("stream data does not end at endstream")
    return end.end()


def _value(
    data: bytes, pos: int, limit: int, reach: list[int]
) -> tuple[int, list[_Length]]:
    """Read one value before ``limit``; return its end and its /Length entries.

    ``reach`` is kept at the farthest byte read, for the caller's budget.
    """
    depth: list[bytes] = []
    lengths: list[_Length] = []
    while True:
        reach[0] = limit  # until the token is read, assume the worst
        token = _TOKEN.match(data, _skip(data, pos, limit), limit)
        if token is None:
            raise _UnusualError("a byte pyHanko would not read here")
        pos = token.end()
        opener, _, name, regular = token.groups()
        if opener is not None:
            pos = _open(data, opener, pos, depth, limit)
        elif name is not None:
            _name(data, name, pos, depth, lengths)
        elif regular is not None:
            _regular(data, regular, token.start(), depth)
        reach[0] = pos
        if not depth:
            return pos, lengths


def _regular(data: bytes, regular: bytes, start: int, depth: list[bytes]) -> None:
    if not (regular in _KEYWORDS or _NUMBER.fullmatch(regular)):
        raise _UnusualError("an unknown keyword")
    if not depth and _REFERENCE.match(data, start, start + _NEAR):
        # An object that is only a reference to another one: rare enough
        # not to be worth vouching for.
        raise _UnusualError("an object that is a reference")


def _skip(data: bytes, pos: int, limit: int) -> int:
    skipped = _SKIP.match(data, pos, limit)
    assert skipped is not None
    return skipped.end()


def _open(data: bytes, opener: bytes, pos: int, depth: list[bytes], limit: int) -> int:
    if opener == b"(":
        return _string_end(data, pos, limit)
    if opener in (b"<<", b"["):
        depth.append(opener)
        return pos
    closes = b"<<" if opener == b">>" else b"["
    if not depth or depth.pop() != closes:
        raise _UnusualError("unbalanced dictionary or array")
    return pos


def _name(
    data: bytes, name: bytes, pos: int, depth: list[bytes], lengths: list[_Length]
) -> None:
    if b"#" in name:
        raise _UnusualError("a name with escapes")
    if name != b"/Length":
        return
    value = _LENGTH_VALUE.match(data, pos, pos + _NEAR)
    if depth != [b"<<"] or value is None:
        raise _UnusualError("a /Length that is not a direct number of the object")
    if value[1] is not None:
        lengths.append(int(value[1]))
    else:
        lengths.append((int(value[2]), int(value[3])))


def _string_end(data: bytes, pos: int, limit: int) -> int:
    """After the ``)`` closing a literal string opened before ``pos``."""
    nesting = 1
    while nesting:
        stop = _STRING_STOP.search(data, pos, limit)
        if stop is None:
            raise _UnusualError("unterminated string")
        pos = stop.end()
        char = stop[0]
        if char == b"\\":
            pos += 1  # the escaped byte, whatever it is
        else:
            nesting += 1 if char == b"(" else -1
    return pos


def _touched_ids(reader: PdfFileReader, signed: int) -> set[int]:
    """Object numbers any section after ``signed`` mentions, in any way."""
    result: set[int] = set()
    for revision in range(signed + 1, reader.xrefs.total_revisions):
        section: XRefSectionData | None = reader.xrefs.get_xref_data(revision)
        while section is not None:
            result.update(section.standard_xrefs, section.xrefs_in_objstm)
            result.update(section.freed)
            section = section.hybrid.xref_data if section.hybrid else None
    return result


def _encrypted(reader: PdfFileReader) -> bool:
    if reader.encrypted:
        return True
    try:
        reader.trailer.raw_get("/Encrypt")
    except KeyError:
        return False
    return True
