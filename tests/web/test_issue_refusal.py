"""An issue the hub's own verifier fails: refused as final, the number voided.

The draft carries an annotation where the agency seal goes and nowhere
near the personal signature: signing passes, but the seal's widget then
covers an annotation after the personal signature, which fails it. The
same draft fails the same way at every attempt.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader

from edocx.exchange.issue import refused_issue
from edocx.exchange.verdicts import issue_refusal
from edocx.signing.issue import PERSONAL_FIELD, SEAL_FIELD
from edocx.store.db import Database
from edocx.store.register import list_register
from edocx.verification import Verdict, VerifyOptions, verify_pdf

from .hubkit import Hub, header, problem

pytestmark = pytest.mark.asyncio(loop_scope="module")

Box = tuple[float, float, float, float]


async def _issue_path(hub: Hub, pdf: bytes) -> str:
    response = await hub.upload(("a", "clerk"), pdf, header())
    assert response.status == 201, await response.text()
    doc_id: str = (await response.json())["document"]["id"]
    signed = await hub.post(("a", "signer"), f"/documents/{doc_id}/sign")
    assert signed.status == 200, await signed.text()
    return f"/documents/{doc_id}/issue"


def _boxes(pdf: bytes) -> dict[str, Box]:
    page = PdfFileReader(io.BytesIO(pdf)).root["/Pages"]["/Kids"][0]
    found = {}
    for item in page["/Annots"]:
        annot = item.get_object()
        x1, y1, x2, y2 = (float(v) for v in annot["/Rect"])
        found[str(annot.get("/T"))] = (x1, y1, x2, y2)
    return found


def _under_the_seal_only(seal: Box, personal: Box) -> Box:
    """A strip of the seal's box left of the personal signature's."""
    right = min(seal[2], personal[0]) if personal[0] > seal[0] else seal[2]
    box = (seal[0] + 2, seal[1] + 2, min(right - 2, seal[0] + 40), seal[3] - 2)
    assert box[2] > box[0] and box[3] > box[1], (seal, personal)
    return box


def _with_square(pdf: bytes, box: Box) -> bytes:
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    page_ref = writer.root["/Pages"]["/Kids"].raw_get(0)
    square = generic.DictionaryObject(
        {
            pdf_name("/Type"): pdf_name("/Annot"),
            pdf_name("/Subtype"): pdf_name("/Square"),
            pdf_name("/Rect"): generic.ArrayObject(generic.FloatObject(v) for v in box),
            pdf_name("/P"): page_ref,
        }
    )
    page = page_ref.get_object()
    page[pdf_name("/Annots")] = generic.ArrayObject([writer.add_object(square)])
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


async def _register(hub: Hub) -> list[tuple[str, str]]:
    db = Database(hub.settings.storage.db_path)
    await db.open()
    try:
        async with db.read() as reader:
            agency = await reader.fetch_value("SELECT agency_id FROM documents")
            year = await reader.fetch_value("SELECT year FROM number_register")
            entries = await list_register(reader, agency_id=agency, year=year)
    finally:
        await db.close()
    return [(e.state.value, e.reason or "") for e in entries]


async def test_a_document_its_seal_would_break_is_refused_as_final(
    hub: Hub, pdfs: Path
) -> None:
    plain = (pdfs / "EmptyPage.pdf").read_bytes()
    issue = await _issue_path(hub, plain)
    issued = await hub.post(("a", "clerk"), issue)
    assert issued.status == 200, await issued.text()
    download = await hub.get(("a", "clerk"), issue.replace("/issue", "/pdf"))
    boxes = _boxes(await download.read())
    strip = _under_the_seal_only(boxes[SEAL_FIELD], boxes[PERSONAL_FIELD])

    issue = await _issue_path(hub, _with_square(plain, strip))
    for _ in range(2):
        response = await hub.post(("a", "clerk"), issue)
        body = await problem(response, 409, "document-not-issuable")
        assert body["verdict"] == "FAILED"
        assert PERSONAL_FIELD in body["detail"]
    meta = await hub.get(("a", "clerk"), issue.replace("/issue", ""))
    document = await meta.json()

    assert (document["state"], document["number"]) == ("signed", None)
    register = await _register(hub)
    assert [state for state, _ in register] == ["issued", "voided", "voided"]
    assert all(r.startswith("document-not-issuable: ") for _, r in register[1:])


async def test_a_signature_not_checkable_yet_is_refused_for_now(
    hub: Hub, pdfs: Path
) -> None:
    # Without its anchor the verifier cannot tell whether the issued file is
    # good: INDETERMINATE, which another attempt may turn into a pass.
    issue = await _issue_path(hub, (pdfs / "EmptyPage.pdf").read_bytes())
    assert (await hub.post(("a", "clerk"), issue)).status == 200
    download = await hub.get(("a", "clerk"), issue.replace("/issue", "/pdf"))
    untrusted = VerifyOptions(trust_root_paths=(), allow_fetching=False)
    report = verify_pdf(await download.read(), untrusted)
    refusal = issue_refusal(report)

    assert report.verdict is Verdict.INDETERMINATE
    assert refusal is not None
    error = refused_issue(report, refusal)
    assert (error.status, error.code) == (502, "issue-verification-failed")
