"""The level of a signature on a linearized file, whose first revision is partial.

pyHanko counts a linearized file's two cross-reference sections as two
revisions: the main section at the end of the file is revision 0, and the
first-page section, which holds the catalog, revision 1. Revision 0 then
has no catalog of its own; the verifier must still find the revision that
added the validation data.
"""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfReadError
from pyhanko.pdf_utils.reader import PdfFileReader

from edocx.signing import Level, prepare_draft, sign_personal_outcome
from edocx.verification import Indication, VerifyOptions, render_text, verify_pdf
from edocx.verification.level import short_level
from tests.signing.conftest import JobFactory

HEADER = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
FILE_ID = b"<5EDC0A11D0C0FFEE5EDC0A11D0C0FFEE>"


@pytest.fixture(scope="module")
def empty_page(test_data_dir: Path) -> bytes:
    path = test_data_dir / "pdf-unsigned" / "EmptyPage.pdf"
    if not path.is_file():
        pytest.skip(f"{path} not found: the linearized sample of the test data")
    return path.read_bytes()


def sign_at(pdf: bytes, level: Level, jobs: JobFactory) -> bytes:
    job = replace(jobs.personal(f"doc-linearized-{level}"), level=level)
    outcome = sign_personal_outcome(prepare_draft(pdf, None).pdf, job)
    assert outcome.level is level
    return outcome.pdf


def assert_first_revision_partial(pdf: bytes) -> None:
    """What makes these files hard: pyHanko cannot rebuild revision 0."""
    reader = PdfFileReader(io.BytesIO(pdf), strict=True)
    assert reader.xrefs.total_revisions >= 3
    with pytest.raises((KeyError, PdfReadError)):
        reader.get_historical_root(0)
    assert "/DSS" in reader.root


def test_a_b_lt_signature_on_the_linearized_sample_is_b_lt(
    jobs: JobFactory, offline: VerifyOptions, empty_page: bytes
) -> None:
    signed = sign_at(empty_page, Level.B_LT, jobs)
    assert_first_revision_partial(signed)

    report = verify_pdf(signed, offline)

    (signature,) = report.signatures
    assert signature.indication is Indication.TOTAL_PASSED, render_text(report)
    assert short_level(signature.level) == "B-LT"


@pytest.mark.parametrize("level", [Level.B_LT, Level.B_LTA], ids=str)
def test_a_linearized_file_made_here_gets_its_level(
    jobs: JobFactory, offline: VerifyOptions, level: Level
) -> None:
    signed = sign_at(linearized_pdf(), level, jobs)
    assert_first_revision_partial(signed)

    report = verify_pdf(signed, offline)

    signature = report.signatures[0]
    assert signature.indication is Indication.TOTAL_PASSED, render_text(report)
    assert short_level(signature.level) == str(level)
    assert report.doc_timestamp_count == (1 if level.archival else 0)


def test_the_file_made_here_is_laid_out_as_a_linearized_one() -> None:
    pdf = linearized_pdf()
    reader = PdfFileReader(io.BytesIO(pdf), strict=True)

    assert reader.xrefs.total_revisions == 2
    # The dictionary comes first and gives the file's length (Annex F.2).
    assert pdf.index(b"/Linearized 1/L %-10d" % len(pdf)) < 40
    assert reader.root["/Pages"]["/Count"] == 1
    assert "/Pages" in reader.get_historical_root(1)
    with pytest.raises(KeyError):
        reader.get_historical_root(0)


def linearized_pdf() -> bytes:
    """One page laid out as ISO 32000-1 Annex F lays out a linearized file.

    The linearization dictionary and the first-page cross-reference section
    open the file; the catalog and the page follow; the page tree and the
    document information come last, with the main section, which the
    first-page trailer's /Prev names.
    """
    first_page = [
        _obj(4, b"<</Type/Catalog/Pages 1 0 R>>"),
        _obj(
            5,
            b"<</Type/Page/Parent 1 0 R/MediaBox[0 0 595 842]"
            b"/Resources<<>>/Contents 6 0 R>>",
        ),
        _stream(6, b"0 0 1 rg 100 600 200 200 re f"),
        # The primary hint stream (Annex F.3), its tables empty: readers
        # that do not fetch pages ahead never look at it.
        _stream(7, bytes(16), b"/S 8"),
    ]
    rest = [
        _obj(1, b"<</Type/Pages/Kids[5 0 R]/Count 1>>"),
        _obj(2, b"<</Producer(edocx tests)>>"),
    ]

    # Every number the opening holds has a fixed width, so its length is
    # known before the offsets it names.
    first_xref_at = len(HEADER) + len(_linearization(0, (0, 0), 0, 0))
    opening_rest = len(_xref(3, [0] * 5)) + len(_first_trailer(0))
    placed = _offsets(first_xref_at + opening_rest, first_page)
    end = placed[-1] + len(first_page[-1])
    main_at = end + sum(map(len, rest))
    main = _xref(0, _offsets(end, rest), free=True) + (
        b"trailer\n<</Size 8>>\nstartxref\n%d\n%%%%EOF\n" % first_xref_at
    )

    hint = (placed[-1], len(first_page[-1]))
    # /T: the end-of-line before the main section's first entry.
    first_entry = main_at + len(b"xref\n0 3")
    lin = _linearization(main_at + len(main), hint, end, first_entry)
    opening = HEADER + lin + _xref(3, [len(HEADER), *placed])
    return opening + _first_trailer(main_at) + b"".join(first_page + rest) + main


def _obj(number: int, body: bytes) -> bytes:
    return b"%d 0 obj\n%s\nendobj\n" % (number, body)


def _stream(number: int, data: bytes, extra: bytes = b"") -> bytes:
    head = b"<<%s/Length %d>>" % (extra, len(data))
    return _obj(number, head + b"\nstream\n" + data + b"\nendstream")


def _offsets(start: int, objects: list[bytes]) -> list[int]:
    found = []
    for obj in objects:
        found.append(start)
        start += len(obj)
    return found


def _xref(first: int, offsets: list[int], *, free: bool = False) -> bytes:
    rows = [b"0000000000 65535 f \n"] if free else []
    rows += [b"%010d 00000 n \n" % at for at in offsets]
    return b"xref\n%d %d\n" % (first, len(rows)) + b"".join(rows)


def _linearization(length: int, hint: tuple[int, int], end: int, main: int) -> bytes:
    numbers = (length, *hint, end, main)
    body = b"<</Linearized 1/L %-10d/H[%-10d %-10d]/O 5/E %-10d/N 1/T %-10d>>"
    return _obj(3, body % numbers)


def _first_trailer(main_at: int) -> bytes:
    return (
        b"trailer\n<</Size 8/Root 4 0 R/Info 2 0 R/Prev %-10d/ID[%s %s]>>\n"
        b"startxref\n0\n%%%%EOF\n" % (main_at, FILE_ID, FILE_ID)
    )


def test_validation_data_a_later_revision_dropped_still_counts(
    jobs: JobFactory, offline: VerifyOptions
) -> None:
    signed = sign_at(linearized_pdf(), Level.B_LT, jobs)
    writer = IncrementalPdfFileWriter(io.BytesIO(signed), strict=True)
    writer.root["/DSS"] = writer.add_object(generic.DictionaryObject())
    writer.update_root()
    out = io.BytesIO()
    writer.write(out)

    report = verify_pdf(out.getvalue(), offline)

    # The emptied store is a later change; the data it held stays in the file.
    signature = report.signatures[0]
    assert short_level(signature.level) == "B-LT", render_text(report)
