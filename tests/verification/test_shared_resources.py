"""An object listed in a harmless place and used where it shows.

The form's default resources (``/AcroForm /DR``) may change after a
signature: a form filler adds the fonts it needs there. A font the page's
content also uses is judged as part of that page, whichever place the
comparison comes to first.
"""

from __future__ import annotations

import io

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.writer import PdfFileWriter
from pyhanko.sign.diff_analysis import ModificationLevel

from edocx.verification.diffpolicy import review_revisions

D = generic.DictionaryObject


def _font(name: str) -> generic.DictionaryObject:
    return D(
        {
            pdf_name("/Type"): pdf_name("/Font"),
            pdf_name("/Subtype"): pdf_name("/Type1"),
            pdf_name("/BaseFont"): pdf_name(name),
        }
    )


def _signed(*, shared: bool) -> bytes:
    """A page that writes with /F1; the form's /DR lists /F1 or a font of its own."""
    writer = PdfFileWriter()
    font = writer.add_object(_font("/Helvetica"))
    text = b"BT /F1 12 Tf 20 250 Td (Pay 100) Tj ET"
    page = D(
        {
            pdf_name("/Type"): pdf_name("/Page"),
            pdf_name("/MediaBox"): generic.ArrayObject(
                generic.NumberObject(v) for v in (0, 0, 300, 300)
            ),
            pdf_name("/Resources"): D({pdf_name("/Font"): D({pdf_name("/F1"): font})}),
            pdf_name("/Contents"): writer.add_object(
                generic.StreamObject(stream_data=text)
            ),
        }
    )
    writer.insert_page(page)
    form_font = font if shared else writer.add_object(_font("/Courier"))
    resources = D({pdf_name("/Font"): D({pdf_name("/F1"): form_font})})
    form = D({pdf_name("/Fields"): generic.ArrayObject(), pdf_name("/DR"): resources})
    writer.root[pdf_name("/AcroForm")] = writer.add_object(form)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _form_font_changed(pdf: bytes) -> PdfFileReader:
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    ref = writer.root["/AcroForm"]["/DR"]["/Font"].raw_get("/F1")
    ref.get_object()[pdf_name("/BaseFont")] = pdf_name("/Symbol")
    writer.mark_update(ref)
    out = io.BytesIO()
    writer.write(out)
    return PdfFileReader(io.BytesIO(out.getvalue()))


def test_a_form_font_the_page_uses_is_judged_with_the_page() -> None:
    result = review_revisions(_form_font_changed(_signed(shared=True)), 0)

    assert result.suspicious == "page /Resources changed"
    assert result.level is ModificationLevel.OTHER


def test_a_font_of_the_form_alone_may_change() -> None:
    result = review_revisions(_form_font_changed(_signed(shared=False)), 0)

    assert result.suspicious is None
    assert [c.detail for c in result.changes] == ["form settings /DR updated"]
