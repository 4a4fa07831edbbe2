"""Unsigned updates after the hub's signatures: named, judged, placed, uncovered.

The document is issued as the hub issues it (personal signature, number,
seal, PAdES B-LT); each test appends one incremental update with pyHanko's
writer and checks what the report says of it: whether it is suspicious,
which revision made it, and whether the file reports it as covered by no
signature.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.generic import pdf_name, pdf_string
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from edocx.signing.issue import SEAL_FIELD
from edocx.verification import VerifyOptions, verify_pdf
from edocx.verification.report import ModificationClass, ValidationReport, Verdict
from tests.verification.pdfs import PKISigner

Update = Callable[[IncrementalPdfFileWriter], None]
D = generic.DictionaryObject
A = generic.ArrayObject


def updated(pdf: bytes, update: Update) -> bytes:
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    update(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def add_script(writer: IncrementalPdfFileWriter) -> None:
    action = D(
        {
            pdf_name("/S"): pdf_name("/JavaScript"),
            pdf_name("/JS"): pdf_string('app.alert("revoked")'),
        }
    )
    tree = D({pdf_name("/Names"): A([pdf_string("a"), writer.add_object(action)])})
    writer.root[pdf_name("/Names")] = D({pdf_name("/JavaScript"): tree})
    writer.update_root()


def add_attachment(writer: IncrementalPdfFileWriter) -> None:
    data = generic.StreamObject(
        {pdf_name("/Type"): pdf_name("/EmbeddedFile")}, stream_data=b"MZ"
    )
    spec = D(
        {
            pdf_name("/Type"): pdf_name("/Filespec"),
            pdf_name("/F"): pdf_string("x.exe"),
            pdf_name("/EF"): D({pdf_name("/F"): writer.add_object(data)}),
        }
    )
    tree = D({pdf_name("/Names"): A([pdf_string("x.exe"), writer.add_object(spec)])})
    writer.root[pdf_name("/Names")] = D({pdf_name("/EmbeddedFiles"): tree})
    writer.update_root()


def add_destination(writer: IncrementalPdfFileWriter) -> None:
    page = writer.root["/Pages"]["/Kids"].raw_get(0)
    target = A([page, pdf_name("/Fit")])
    tree = D({pdf_name("/Names"): A([pdf_string("x"), target])})
    writer.root[pdf_name("/Names")] = D({pdf_name("/Dests"): tree})
    writer.update_root()


def add_info(writer: IncrementalPdfFileWriter) -> None:
    info = D({pdf_name("/Title"): pdf_string("Forged title")})
    writer.trailer[pdf_name("/Info")] = writer.add_object(info)


def add_xmp(writer: IncrementalPdfFileWriter) -> None:
    xmp = generic.StreamObject(
        {
            pdf_name("/Type"): pdf_name("/Metadata"),
            pdf_name("/Subtype"): pdf_name("/XML"),
        },
        stream_data=b'<x:xmpmeta xmlns:x="adobe:ns:meta/"></x:xmpmeta>',
    )
    writer.root[pdf_name("/Metadata")] = writer.add_object(xmp)
    writer.update_root()


def last_revision(report: ValidationReport) -> int:
    assert report.revision_count is not None
    return report.revision_count - 1


@pytest.mark.parametrize(
    "update", [add_script, add_attachment, add_destination], ids=lambda f: f.__name__
)
def test_a_name_tree_added_after_signing_fails(
    issued: bytes, offline: VerifyOptions, update: Update
) -> None:
    report = verify_pdf(updated(issued, update), offline)
    last = last_revision(report)

    assert report.verdict is Verdict.FAILED
    for sig in report.signatures:
        assert sig.modification_class is ModificationClass.SUSPICIOUS
        assert any(c.revision == last and c.suspicious for c in sig.changes)
    assert report.uncovered is not None
    assert report.uncovered.revisions == (last,)


@pytest.mark.parametrize(
    "update",
    [add_info, add_xmp, add_script, add_attachment, add_destination],
    ids=lambda f: f.__name__,
)
def test_an_unsigned_update_is_uncovered(
    issued: bytes, offline: VerifyOptions, update: Update
) -> None:
    report = verify_pdf(updated(issued, update), offline)
    uncovered = report.uncovered

    assert uncovered is not None
    assert uncovered.fully_covered is False
    assert uncovered.revisions == (last_revision(report),)
    assert str(last_revision(report) + 1) not in uncovered.detail


def test_the_issued_document_is_fully_covered(
    issued: bytes, offline: VerifyOptions
) -> None:
    report = verify_pdf(issued, offline)

    assert report.verdict is Verdict.PASSED
    assert report.uncovered is not None and report.uncovered.fully_covered


def test_validation_data_after_the_last_signature_stays_covered(
    signed_bt: bytes, test_signer: PKISigner, offline: VerifyOptions
) -> None:
    with_dss = test_signer.add_crl_to_dss(signed_bt, "seal-b")
    report = verify_pdf(with_dss, offline)

    assert report.revision_count == 3
    assert report.uncovered is not None
    assert report.uncovered.fully_covered, report.uncovered


def test_each_change_is_placed_in_the_revision_that_made_it(
    issued: bytes, test_signer: PKISigner, offline: VerifyOptions
) -> None:
    # Revision 4 (0-based) rewrites the catalog for /DSS, revision 5
    # rewrites it again for a script: neither change may take the other's
    # revision, and none may be placed at or before the signed one.
    with_dss = test_signer.add_crl_to_dss(issued, "seal-a")
    report = verify_pdf(updated(with_dss, add_script), offline)
    seal = next(s for s in report.signatures if s.field == SEAL_FIELD)
    placed = {(c.revision, c.kind.value, c.suspicious) for c in seal.changes}

    assert seal.signed_revision == 3
    assert placed == {(4, "revocation-data-added", False), (5, "other", True)}
    for sig in report.signatures:
        assert sig.signed_revision is not None
        assert all(c.revision > sig.signed_revision for c in sig.changes)


def corpus_file(test_data_dir: Path, name: str) -> Path:
    path = test_data_dir / "dss-pdf" / name
    if not path.is_file():
        pytest.skip(f"{path} not found")
    return path


def test_a_signature_over_a_linearized_file_signs_its_last_revision(
    test_data_dir: Path, offline: VerifyOptions
) -> None:
    path = corpus_file(test_data_dir, "adbe_ocsp_signed.pdf")
    manifest = json.loads((path.parent / "manifest.json").read_text())
    entry = next(e for e in manifest if e["file"] == path.name)
    report = verify_pdf(path.read_bytes(), offline)
    (sig,) = report.signatures

    assert sig.covers_whole_file is True
    assert sig.signed_revision == entry["signatures"][0]["signed_revision"] == 1
    assert report.uncovered is not None and report.uncovered.fully_covered


def test_later_changes_follow_the_signed_revision_in_a_real_file(
    test_data_dir: Path, offline: VerifyOptions
) -> None:
    path = corpus_file(test_data_dir, "pades-multiple-pages-annots-overlap.pdf")
    report = verify_pdf(path.read_bytes(), offline)
    second = next(s for s in report.signatures if s.field == "Sign1345267312")

    assert second.signed_revision == 3
    assert (4, "revocation-data-added") in {
        (c.revision, c.kind.value) for c in second.changes
    }
    for sig in report.signatures:
        assert sig.signed_revision is not None
        assert all(c.revision > sig.signed_revision for c in sig.changes)


def test_a_structure_element_listed_twice_is_not_a_change(
    test_data_dir: Path, offline: VerifyOptions
) -> None:
    # Its /ParentTree arrays list some structure elements twice; the later
    # revisions only add a signature, validation data and a timestamp.
    path = corpus_file(test_data_dir, "pades-multiple-pages-annots-overlap.pdf")
    report = verify_pdf(path.read_bytes(), offline)
    first = next(s for s in report.signatures if s.field == "Sign1868207534")

    assert [(c.revision, c.kind.value) for c in first.changes] == [
        (3, "signature-added"),
        (4, "revocation-data-added"),
        (5, "timestamp-added"),
    ]
