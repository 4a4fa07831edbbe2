"""Look inside signed PDFs the way a verifier and a reader would.

Validation uses pyHanko with the test PKI's root as the only trust anchor.
Text checks decode the glyphs an appearance stream draws through the font's
ToUnicode map, so they see what a reader sees, not what a field claims.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import (
    DocumentSecurityStore,
    EmbeddedPdfSignature,
    validate_pdf_signature,
)
from pyhanko.sign.validation.status import PdfSignatureStatus
from pyhanko_certvalidator import ValidationContext

_FONT_OP = re.compile(rb"/([A-Za-z0-9_.]+)\s+[\d.]+\s+Tf")
_TJ_OP = re.compile(rb"\[([^\]]*)\]\s*TJ")
_HEX = re.compile(rb"<([0-9A-Fa-f]*)>")
_BFCHAR = re.compile(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>")
_BFRANGE = re.compile(
    rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*(<[0-9A-Fa-f]+>|\[[^\]]*\])"
)


def read(pdf: bytes) -> PdfFileReader:
    """Parse in strict mode: every file the hub issues must pass it."""
    return PdfFileReader(io.BytesIO(pdf), strict=True)


def signature(reader: PdfFileReader, field_name: str) -> EmbeddedPdfSignature:
    for sig in reader.embedded_signatures:
        if sig.field_name == field_name:
            assert isinstance(sig, EmbeddedPdfSignature)
            return sig
    raise AssertionError(f"no signature in field {field_name}")


def validate(
    sig: EmbeddedPdfSignature, root_path: Path, *, fetch: bool = True
) -> PdfSignatureStatus:
    """Validate online (OCSP and CRL fetched from the loopback PKI)."""
    context = ValidationContext(
        trust_roots=[load_cert_from_pemder(str(root_path))],
        allow_fetching=fetch,
        revocation_mode="hard-fail" if fetch else "soft-fail",
    )
    return validate_pdf_signature(sig, context, ts_validation_context=context)


def validate_offline(
    reader: PdfFileReader, sig: EmbeddedPdfSignature, root_path: Path
) -> PdfSignatureStatus:
    """Validate with nothing but the file's DSS: no fetching, hard-fail."""
    dss = DocumentSecurityStore.read_dss(reader)
    context = dss.as_validation_context(
        {
            "trust_roots": [load_cert_from_pemder(str(root_path))],
            "allow_fetching": False,
            "revocation_mode": "hard-fail",
        }
    )
    return validate_pdf_signature(sig, context, ts_validation_context=context)


def assert_passes(status: PdfSignatureStatus) -> None:
    """Assert a signature is intact, valid, trusted and only form-filled after."""
    assert status.intact, status.pretty_print_details()
    assert status.valid, status.pretty_print_details()
    assert status.trusted, status.pretty_print_details()
    assert status.docmdp_ok, status.pretty_print_details()
    assert status.modification_level is not None
    assert status.modification_level <= ModificationLevel.FORM_FILLING
    assert status.timestamp_validity is not None
    assert status.timestamp_validity.trusted
    assert status.bottom_line, status.pretty_print_details()


def field(reader: PdfFileReader, name: str) -> generic.DictionaryObject:
    for ref in reader.root["/AcroForm"]["/Fields"]:
        candidate = ref.get_object()
        if candidate.get("/T") == name:
            assert isinstance(candidate, generic.DictionaryObject)
            return candidate
    raise AssertionError(f"no field {name}")


def page_of(reader: PdfFileReader, widget: generic.DictionaryObject) -> int:
    """Return the index of the page whose /Annots holds ``widget``."""
    count = int(reader.root["/Pages"]["/Count"])
    for ix in range(count):
        page_ref, _ = reader.find_page_for_modification(ix)
        for annot in page_ref.get_object().get("/Annots", ()):
            if annot.get_object() is widget or annot.get_object() == widget:
                return ix
    raise AssertionError("widget is on no page")


def drawn_text(xobject: generic.StreamObject) -> list[str]:
    """Return the text each text-showing operator of an appearance draws."""
    lines: list[str] = []
    resources = xobject.get("/Resources", generic.DictionaryObject())
    fonts = resources.get("/Font", generic.DictionaryObject())
    current: dict[int, str] = {}
    data = xobject.data
    for match in re.finditer(_FONT_OP.pattern + rb"|" + _TJ_OP.pattern, data):
        if match.group(1) is not None:
            current = _to_unicode(fonts["/" + match.group(1).decode()])
        else:
            glyphs = b"".join(_HEX.findall(match.group(2)))
            lines.append(_decode(glyphs, current))
    for inner in resources.get("/XObject", generic.DictionaryObject()).values():
        lines.extend(drawn_text(inner.get_object()))
    return lines


def _to_unicode(font: generic.DictionaryObject) -> dict[int, str]:
    cmap = font["/ToUnicode"].get_object().data
    table: dict[int, str] = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", cmap, re.S):
        for cid, uni in _BFCHAR.findall(block):
            table[int(cid, 16)] = _utf16(uni)
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", cmap, re.S):
        for first, last, target in _BFRANGE.findall(block):
            cids = range(int(first, 16), int(last, 16) + 1)
            if target.startswith(b"["):
                # One destination string per code.
                for cid, uni in zip(cids, _HEX.findall(target), strict=True):
                    table[cid] = _utf16(uni)
            else:
                start = int(target.strip(b"<>"), 16)
                for offset, cid in enumerate(cids):
                    table[cid] = chr(start + offset)
    return table


def _utf16(hex_text: bytes) -> str:
    return bytes.fromhex(hex_text.decode()).decode("utf-16-be")


def _decode(hex_glyphs: bytes, table: dict[int, str]) -> str:
    text = hex_glyphs.decode()
    cids = [int(text[i : i + 4], 16) for i in range(0, len(text), 4)]
    return "".join(table.get(cid, "\ufffd") for cid in cids)
