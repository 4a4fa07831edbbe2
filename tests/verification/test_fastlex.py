"""The fast name readers give exactly what pyHanko's own readers give."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.misc import PdfReadError
from pyhanko.pdf_utils.reader import PdfFileReader

from edocx.verification import fastlex

TOKENS = {
    "name-then-space": b"/Type /Page",
    "name-then-dict-end": b"/Font>>",
    "name-then-name": b"/A/B",
    "name-then-array": b"/Widths[1 2]",
    "name-then-string": b"/T(x)",
    "name-then-comment": b"/N%c\n",
    "name-then-nul": b"/N\x00x",
    "name-at-end": b"/Last",
    "empty-name": b"/ /X",
    "escaped-space": b"/A#20B /X",
    "escaped-hash": b"/A#23B",
    "utf8-escapes": b"/Ti#E1#BA#BFng ",
    "latin1-escape": b"/caf#E9 ",
    "long": b"/" + b"x" * 5000 + b" ",
    "longer-than-a-chunk-then-end": b"/" + b"y" * 70,
    "operator": b"BT ",
    "number": b"612.5]",
}
BAD_NAMES = {
    "raw-high-byte": b"/caf\xe9 ",
    "short-escape": b"/A#4",
    "bad-escape": b"/A#zz ",
}


def _read_name(read: Callable[[io.BytesIO], object], data: bytes) -> object:
    stream = io.BytesIO(data)
    value = read(stream)
    return value, type(value).__name__, stream.tell()


@pytest.mark.parametrize("data", TOKENS.values(), ids=TOKENS.keys())
def test_token_end_as_pyhanko_finds_it(data: bytes) -> None:
    stock = fastlex._stock_until

    assert _read_name(fastlex.read_until_delimiter, data) == _read_name(stock, data)


NAMES = {key: data for key, data in TOKENS.items() if data.startswith(b"/")}


@pytest.mark.parametrize("data", NAMES.values(), ids=NAMES.keys())
def test_name_as_pyhanko_reads_it(data: bytes) -> None:
    stock = generic.NameObject.read_from_stream(io.BytesIO(data))

    with fastlex.fast_names():
        ours = _read_name(generic.NameObject.read_from_stream, data)

    assert ours == (stock, "NameObject", _read_name(_stock_name, data)[2])


@pytest.mark.parametrize("data", BAD_NAMES.values(), ids=BAD_NAMES.keys())
def test_bad_name_fails_as_pyhanko_does(data: bytes) -> None:
    with pytest.raises(PdfReadError) as stock_error:
        generic.NameObject.read_from_stream(io.BytesIO(data))

    with fastlex.fast_names(), pytest.raises(PdfReadError) as our_error:
        generic.NameObject.read_from_stream(io.BytesIO(data))

    assert str(our_error.value) == str(stock_error.value)


def test_readers_are_pyhankos_outside_the_block() -> None:
    with fastlex.fast_names():
        pass

    assert getattr(generic, "read_until_delimiter") is fastlex._stock_until  # noqa: B009
    assert generic._decode_name is fastlex._stock_decode


def test_real_files_parse_to_the_same_objects(test_data_dir: Path) -> None:
    files = sorted((test_data_dir / "dss-pdf").glob("*.pdf"))[:25]
    files += sorted((test_data_dir / "pdf-unsigned").glob("*.pdf"))[:5]
    assert files, "no PDFs in the test data"

    for path in files:
        data = path.read_bytes()
        stock = _all_objects(data)
        with fastlex.fast_names():
            ours = _all_objects(data)

        assert ours == stock, path.name


def _stock_name(stream: io.BytesIO) -> object:
    return generic.NameObject.read_from_stream(stream)


def _all_objects(data: bytes) -> list[str]:
    """Every object of every revision, as text, or the error reading it."""
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        revisions = reader.xrefs.total_revisions
    except Exception as e:
        return [f"unreadable: {type(e).__name__}: {e}"]
    seen = []
    for revision in range(revisions):
        for ref in sorted(
            reader.xrefs.explicit_refs_in_revision(revision),
            key=lambda r: (r.idnum, r.generation),
        ):
            try:
                value = reader.get_object(ref, revision=revision)
                seen.append(f"{ref.idnum} {revision}: {_text(value)}")
            except Exception as e:
                seen.append(f"{ref.idnum} {revision}: {type(e).__name__}: {e}")
    return seen


def _text(value: object) -> str:
    """The object written out again, with the type of every part."""
    if isinstance(value, generic.DictionaryObject):
        items = ", ".join(f"{k!r}: {_text(v)}" for k, v in value.items())
        data = value.encoded_data if isinstance(value, generic.StreamObject) else b""
        return f"{type(value).__name__}{{{items}}}{data!r}"
    if isinstance(value, generic.ArrayObject):
        return f"[{', '.join(_text(v) for v in value)}]"
    if isinstance(value, generic.IndirectObject):
        return f"{value.idnum} {value.generation} R"
    if isinstance(value, generic.NullObject):
        return "null"
    return f"{type(value).__name__}({value!r})"
