"""What a later update can draw over, rewrite beside, or leave after the seal.

Each file starts from a document as the hub issues it (personal signature,
number, seal, PAdES B-LT) and adds one thing after the seal: a document
timestamp or another agency's seal with a large opaque picture on page 1,
a rewritten document information dictionary, a seal whose signature value
no longer verifies, bytes after the last revision.
"""

from __future__ import annotations

import io
import re

from asn1crypto import cms
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers, timestamps

from edocx.signing.issue import PERSONAL_FIELD, SEAL_FIELD
from edocx.verification import VerifyOptions, verify_pdf
from edocx.verification.report import (
    ChangeKind,
    ModificationClass,
    SignatureReport,
    ValidationReport,
    Verdict,
)
from tests.verification.pdfs import PKISigner

# A box over most of an A4 page (535 x 480 pt, about half of it).
PAGE_COVER = (30, 300, 565, 780)
# A stamp-sized box, as another agency's seal would be.
STAMP = (300, 400, 500, 460)


def sig(report: ValidationReport, field: str) -> SignatureReport:
    return next(s for s in report.signatures if s.field == field)


def opaque_appearance(writer: IncrementalPdfFileWriter) -> generic.IndirectObject:
    """A white box with forged text: what the page would show under it is gone."""
    box = generic.ArrayObject([generic.NumberObject(v) for v in (0, 0, 535, 480)])
    stream = generic.StreamObject(
        {
            pdf_name("/Type"): pdf_name("/XObject"),
            pdf_name("/Subtype"): pdf_name("/Form"),
            pdf_name("/BBox"): box,
        },
        stream_data=b"1 1 1 rg 0 0 535 480 re f",
    )
    return writer.add_object(stream)


def visible_timestamp(pdf: bytes, tsa_url: str) -> bytes:
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    spec = fields.SigFieldSpec("Cover", on_page=0, box=PAGE_COVER)
    fields.append_signature_field(writer, spec)
    field = next(
        f.get_object()
        for f in writer.root["/AcroForm"]["/Fields"]
        if f.get_object().get("/T") == "Cover"
    )
    field[pdf_name("/AP")] = generic.DictionaryObject(
        {pdf_name("/N"): opaque_appearance(writer)}
    )
    writer.update_container(field)
    stamper = signers.PdfTimeStamper(
        timestamps.HTTPTimeStamper(tsa_url), field_name="Cover"
    )
    out = stamper.timestamp_pdf(writer, "sha256", validation_context=None)
    return bytes(out.getvalue())


def test_a_visible_document_timestamp_after_the_seal_fails(
    issued: bytes, test_signer: PKISigner, offline: VerifyOptions
) -> None:
    report = verify_pdf(visible_timestamp(issued, test_signer.tsa_url), offline)
    seal = sig(report, SEAL_FIELD)
    (change,) = [c for c in seal.changes if c.kind is ChangeKind.TIMESTAMP_ADDED]

    assert report.verdict is Verdict.FAILED
    assert seal.modification_class is ModificationClass.SUSPICIOUS
    assert change.suspicious
    assert "visible box 535×480 pt on page 1" in change.detail
    assert "trang 1" in change.detail_vi


def test_another_seal_over_most_of_the_page_fails(
    issued: bytes, test_signer: PKISigner, offline: VerifyOptions
) -> None:
    covered = test_signer.sign(issued, "seal-b", field="Cover", box=PAGE_COVER)
    report = verify_pdf(covered, offline)
    seal = sig(report, SEAL_FIELD)
    (change,) = [c for c in seal.changes if c.kind is ChangeKind.SIGNATURE_ADDED]

    assert report.verdict is Verdict.FAILED
    assert seal.modification_class is ModificationClass.SUSPICIOUS
    assert change.suspicious
    assert "visible box 535×480 pt on page 1" in change.detail
    assert "of the page" in change.detail


def test_another_seal_partly_off_the_page_fails(
    issued: bytes, test_signer: PKISigner, offline: VerifyOptions
) -> None:
    off_page = test_signer.sign(issued, "seal-b", field="Off", box=(500, 400, 700, 460))
    seal = sig(verify_pdf(off_page, offline), SEAL_FIELD)

    assert seal.modification_class is ModificationClass.SUSPICIOUS
    assert any("outside the page" in c.detail for c in seal.changes)


def test_another_seal_the_size_of_a_stamp_is_named_and_passes(
    issued: bytes, test_signer: PKISigner, offline: VerifyOptions
) -> None:
    stamped = test_signer.sign(issued, "seal-b", field="Stamp", box=STAMP)
    report = verify_pdf(stamped, offline)
    seal = sig(report, SEAL_FIELD)
    (change,) = [c for c in seal.changes if c.kind is ChangeKind.SIGNATURE_ADDED]

    assert report.verdict is Verdict.PASSED, report.verdict
    assert seal.modification_class is ModificationClass.HARMLESS
    assert not change.suspicious
    assert "visible box 200×60 pt on page 1" in change.detail


def test_stamp_sized_seals_tiled_over_the_page_fail_together(
    issued: bytes, test_signer: PKISigner, offline: VerifyOptions
) -> None:
    # Six boxes of 12 % each: none too large alone, 72 % of page 1 together.
    tiled = issued
    for row in range(6):
        box = (0, 300 + 80 * row, 595, 380 + 80 * row)
        tiled = test_signer.sign(tiled, "seal-b", field=f"Tile{row}", box=box)
    report = verify_pdf(tiled, offline)
    seal = sig(report, SEAL_FIELD)

    assert report.verdict is Verdict.FAILED
    assert seal.modification_class is ModificationClass.SUSPICIOUS
    assert any("together cover" in c.detail and c.suspicious for c in seal.changes)


def test_another_seal_hiding_the_hub_signatures_fails(
    issued: bytes, test_signer: PKISigner, offline: VerifyOptions
) -> None:
    # Over both of the hub's boxes at the foot of the page (36-565 x 34-91).
    hiding = test_signer.sign(issued, "seal-b", field="Over", box=(30, 30, 570, 95))
    report = verify_pdf(hiding, offline)
    personal = sig(report, PERSONAL_FIELD)

    assert report.verdict is Verdict.FAILED
    assert any("hides most of" in c.detail for c in personal.changes)


def test_the_hub_seal_is_named_with_its_box(
    issued: bytes, offline: VerifyOptions
) -> None:
    personal = sig(verify_pdf(issued, offline), PERSONAL_FIELD)
    (change,) = [c for c in personal.changes if c.kind is ChangeKind.SIGNATURE_ADDED]

    assert not change.suspicious
    assert re.search(r"visible box \d+×\d+ pt on page 1", change.detail)


def rewrite_info(pdf: bytes) -> bytes:
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    info = writer.trailer["/Info"]
    info[pdf_name("/Title")] = generic.TextStringObject("FORGED TITLE")
    info[pdf_name("/Author")] = generic.TextStringObject("Mallory")
    writer.mark_update(writer.trailer.raw_get("/Info"))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_a_rewritten_document_information_is_listed_and_uncovered(
    issued: bytes, offline: VerifyOptions
) -> None:
    report = verify_pdf(rewrite_info(issued), offline)
    assert report.revision_count is not None
    last = report.revision_count - 1
    seal = sig(report, SEAL_FIELD)

    assert [(c.revision, c.detail) for c in seal.changes] == [
        (last, "document information (/Info) changed: /Author, /Title")
    ]
    assert report.uncovered is not None
    assert report.uncovered.revisions == (last,)
    assert report.uncovered.fully_covered is False


def flip_seal_signature_value(pdf: bytes) -> bytes:
    """Change one byte of the seal's signature value in its CMS."""
    *_, seal_range = re.finditer(rb"/ByteRange\s*\[\s*(\d+) (\d+) (\d+)", pdf)
    start, end = int(seal_range[2]) + 1, int(seal_range[3]) - 1
    der = bytes.fromhex(pdf[start:end].decode())
    signed_data = cms.ContentInfo.load(der.rstrip(b"\0") + b"\0\0")["content"]
    value = signed_data["signer_infos"][0]["signature"].native
    at = start + 2 * (der.index(value) + len(value) - 1)
    flipped = b"00" if pdf[at : at + 2] != b"00" else b"01"
    return pdf[:at] + flipped + pdf[at + 2 :]


def test_the_filling_that_fails_the_personal_signature_is_suspicious(
    issued: bytes, offline: VerifyOptions
) -> None:
    report = verify_pdf(flip_seal_signature_value(issued), offline)
    personal = sig(report, PERSONAL_FIELD)
    filled = [c for c in personal.changes if c.kind is ChangeKind.FORM_FILLED]

    assert personal.modification_class is ModificationClass.SUSPICIOUS
    assert filled and all(c.suspicious for c in filled)
    assert not any(
        c.suspicious for c in personal.changes if c.kind is not ChangeKind.FORM_FILLED
    )


def test_bytes_after_the_last_revision_are_placed_after_it(
    issued: bytes, offline: VerifyOptions
) -> None:
    report = verify_pdf(issued + b"\n1 0 obj (forged) endobj\n", offline)
    assert report.revision_count is not None
    seal = sig(report, SEAL_FIELD)
    (trailing,) = [c for c in seal.changes if "%%EOF" in c.detail]

    assert trailing.revision == report.revision_count
    assert trailing.suspicious
    assert "phiên bản cuối cùng" in trailing.detail_vi
    assert report.uncovered is not None and report.uncovered.trailing_bytes > 0
