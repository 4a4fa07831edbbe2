"""Drafts with name trees that point at their pages: issued, and still guarded.

A named destination (``/Names /Dests``) or a Web Capture content set
(``/IDS``, ``/URLS``) refers to a page; the seal adds its widget to that
page. The page is judged where it sits in the page tree, so the seal is the
usual signature change; a change of the name tree itself, made after the
signatures, still fails them.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.generic import pdf_name, pdf_string
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.writer import PdfFileWriter, copy_into_new_writer
from pyhanko.sign.diff_analysis import ModificationLevel

from edocx.signing import number_and_seal, prepare_draft, sign_personal
from edocx.signing.issue import PERSONAL_FIELD, SEAL_FIELD
from edocx.verification import VerifyOptions, render_text, verify_pdf
from edocx.verification.diffpolicy import review_revisions
from edocx.verification.report import ModificationClass, Verdict
from tests.signing.conftest import JobFactory
from tests.verification.pdfs import A4
from tests.verification.test_later_updates import Update, last_revision, updated

D = generic.DictionaryObject
A = generic.ArrayObject
WEB_CAPTURE = "unsignedPDFWithSignatureFieldButInvisible.pdf"


def _with_named_destination(pdf: bytes) -> bytes:
    """The draft with one named destination to its first page, rewritten whole."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    page = writer.root["/Pages"]["/Kids"].raw_get(0)
    tree = D(
        {pdf_name("/Names"): A([pdf_string("chapter1"), A([page, pdf_name("/Fit")])])}
    )
    writer.root[pdf_name("/Names")] = D({pdf_name("/Dests"): tree})
    writer.update_root()
    out = io.BytesIO()
    writer.write(out)
    whole = copy_into_new_writer(PdfFileReader(io.BytesIO(out.getvalue())))
    rewritten = io.BytesIO()
    whole.write(rewritten)
    return rewritten.getvalue()


def _issue(jobs: JobFactory, draft: bytes, name: str, number: int) -> bytes:
    prepared = prepare_draft(draft, None)
    signed = sign_personal(prepared.pdf, jobs.personal(name))
    return number_and_seal(signed, jobs.seal(name, number))


@pytest.fixture(scope="module")
def unsigned_dir(test_data_dir: Path) -> Path:
    folder = test_data_dir / "pdf-unsigned"
    if not (folder / WEB_CAPTURE).is_file():
        pytest.skip(f"{folder / WEB_CAPTURE} not found")
    return folder


@pytest.fixture(scope="module")
def named_dests(jobs: JobFactory, unsigned_dir: Path) -> bytes:
    draft = _with_named_destination((unsigned_dir / "EmptyPage.pdf").read_bytes())
    return _issue(jobs, draft, "doc-named-dests", 61)


@pytest.fixture(scope="module")
def web_capture(jobs: JobFactory, unsigned_dir: Path) -> bytes:
    return _issue(jobs, (unsigned_dir / WEB_CAPTURE).read_bytes(), "doc-web", 62)


@pytest.fixture(scope="module")
def options(jobs: JobFactory) -> VerifyOptions:
    return VerifyOptions(
        trust_root_paths=(jobs.pki.root_cert_path,), allow_fetching=False
    )


@pytest.mark.parametrize("issued_name", ["named_dests", "web_capture"])
def test_a_draft_whose_name_tree_points_at_its_page_is_issued(
    request: pytest.FixtureRequest, options: VerifyOptions, issued_name: str
) -> None:
    issued: bytes = request.getfixturevalue(issued_name)
    report = verify_pdf(issued, options)

    assert report.verdict is Verdict.PASSED, render_text(report)
    assert [s.field for s in report.signatures] == [PERSONAL_FIELD, SEAL_FIELD]
    personal = report.signatures[0]
    assert personal.modification_class is ModificationClass.HARMLESS
    assert not any(c.suspicious for c in personal.changes)
    assert not any("name tree" in c.detail for c in personal.changes)


def _dests(writer: IncrementalPdfFileWriter) -> generic.ArrayObject:
    names = writer.root["/Names"]
    leaf = names["/Dests"]
    writer.update_container(leaf)
    writer.update_container(names)
    return leaf["/Names"]  # type: ignore[no-any-return]


def add_destination(writer: IncrementalPdfFileWriter) -> None:
    page = writer.root["/Pages"]["/Kids"].raw_get(0)
    _dests(writer).extend([pdf_string("chapter2"), A([page, pdf_name("/Fit")])])


def rewrite_destination(writer: IncrementalPdfFileWriter) -> None:
    page = writer.root["/Pages"]["/Kids"].raw_get(0)
    view = [generic.NumberObject(0), generic.NumberObject(0), generic.NumberObject(4)]
    _dests(writer)[1] = A([page, pdf_name("/XYZ"), *view])


def add_script(writer: IncrementalPdfFileWriter) -> None:
    action = D(
        {
            pdf_name("/S"): pdf_name("/JavaScript"),
            pdf_name("/JS"): pdf_string('app.alert("revoked")'),
        }
    )
    tree = D({pdf_name("/Names"): A([pdf_string("a"), writer.add_object(action)])})
    names = writer.root["/Names"]
    names[pdf_name("/JavaScript")] = tree
    writer.update_container(names)


@pytest.mark.parametrize(
    "update",
    [add_destination, rewrite_destination, add_script],
    ids=lambda f: f.__name__,
)
def test_a_change_to_the_name_tree_after_issue_fails(
    named_dests: bytes, options: VerifyOptions, update: Update
) -> None:
    report = verify_pdf(updated(named_dests, update), options)
    last = last_revision(report)

    assert report.verdict is Verdict.FAILED
    for sig in report.signatures:
        assert sig.modification_class is ModificationClass.SUSPICIOUS
        assert any(
            c.revision == last and c.suspicious and "name tree" in c.detail
            for c in sig.changes
        ), render_text(report)


def _twin_pages() -> bytes:
    """Two pages alike but for their place, one named destination to the first."""
    writer = PdfFileWriter()
    content = writer.add_object(generic.StreamObject(stream_data=b"0 0 1 rg"))
    for _ in range(2):
        page = D(
            {
                pdf_name("/Type"): pdf_name("/Page"),
                pdf_name("/MediaBox"): A(generic.NumberObject(v) for v in A4),
                pdf_name("/Resources"): D(),
                pdf_name("/Contents"): content,
            }
        )
        writer.insert_page(page)
    first = writer.root["/Pages"]["/Kids"].raw_get(0)
    tree = D(
        {pdf_name("/Names"): A([pdf_string("start"), A([first, pdf_name("/Fit")])])}
    )
    writer.root[pdf_name("/Names")] = D({pdf_name("/Dests"): tree})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def retarget_destination(writer: IncrementalPdfFileWriter) -> None:
    second = writer.root["/Pages"]["/Kids"].raw_get(1)
    _dests(writer)[1] = A([second, pdf_name("/Fit")])


def test_a_destination_sent_to_a_page_alike_is_a_name_tree_change() -> None:
    # The two pages differ in nothing but their place in the page tree: the
    # destination's reference is what changed.
    reader = PdfFileReader(io.BytesIO(updated(_twin_pages(), retarget_destination)))
    result = review_revisions(reader, 0)

    assert result.suspicious == "document name tree changed"
    assert result.level is ModificationLevel.OTHER
