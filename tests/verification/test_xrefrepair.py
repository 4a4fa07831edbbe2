"""Files pyHanko refuses, read by searching for their objects."""

from __future__ import annotations

import io
import re

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.writer import PdfFileWriter

from edocx.verification.document import open_document
from edocx.verification.xrefrepair import is_rebuilt

Name = generic.NameObject


def _two_revisions() -> bytes:
    writer = PdfFileWriter()
    writer.insert_page(
        generic.DictionaryObject(
            {
                Name("/Type"): Name("/Page"),
                Name("/MediaBox"): generic.ArrayObject(
                    generic.NumberObject(v) for v in (0, 0, 200, 200)
                ),
            }
        )
    )
    first = io.BytesIO()
    writer.write(first)
    update = IncrementalPdfFileWriter(io.BytesIO(first.getvalue()))
    update.root[Name("/DSS")] = update.add_object(generic.DictionaryObject())
    update.update_root()
    out = io.BytesIO()
    update.write(out)
    return out.getvalue()


def _break_prev(pdf: bytes) -> bytes:
    # Same length, so every other offset stays right.
    match = list(re.finditer(rb"/Prev (\d+)", pdf))[-1]
    broken = b"/Prev 0".ljust(match.end() - match.start())
    return pdf[: match.start()] + broken + pdf[match.end() :]


def test_sound_file_is_read_by_pyhanko() -> None:
    doc = open_document(_two_revisions(), None)

    assert not is_rebuilt(doc.reader)
    assert doc.problems == []
    assert doc.revisions == 2


def test_broken_prev_pointer_is_rebuilt_and_reported() -> None:
    pdf = _break_prev(_two_revisions())

    doc = open_document(pdf, None)

    assert is_rebuilt(doc.reader)
    assert doc.revisions == 2
    assert [p.code for p in doc.problems] == ["damaged-xref"]
    assert "/DSS" in doc.reader.root
    assert "/DSS" not in doc.reader.get_historical_root(0)


def test_encrypt_null_is_read_as_plain_and_reported() -> None:
    pdf = _two_revisions()
    # In the last trailer (an xref stream's dictionary), after which no
    # object starts: no offset moves.
    at = pdf.rindex(b"/Root")
    pdf = pdf[:at] + b"/Encrypt null " + pdf[at:]

    doc = open_document(pdf, None)

    assert not doc.encrypted
    assert "invalid-encryption-entry" in [p.code for p in doc.problems]
