"""Download names: an ASCII fallback and the UTF-8 name, nothing injectable."""

from __future__ import annotations

import pytest
from aiohttp.multipart import content_disposition_filename, parse_content_disposition

from edocx.web.disposition import attachment


def _names(value: str) -> tuple[str, str | None]:
    kind, params = parse_content_disposition(value)
    assert kind == "attachment"
    assert set(params) == {"filename", "filename*"}, params
    return params["filename"], content_disposition_filename(params)


@pytest.mark.parametrize(
    ("stem", "fallback", "name"),
    [
        ("05/QĐ-UBND", "05-QD-UBND.pdf", "05-QĐ-UBND.pdf"),
        ("27/UBND-TCCBỘ", "27-UBND-TCCBO.pdf", "27-UBND-TCCBỘ.pdf"),
        ("7816/VPCP-TTĐT", "7816-VPCP-TTDT.pdf", "7816-VPCP-TTĐT.pdf"),
        ("a708f2c4-0000-4000-8000-000000000000",
         "a708f2c4-0000-4000-8000-000000000000.pdf",
         "a708f2c4-0000-4000-8000-000000000000.pdf"),
    ],
)  # fmt: skip
def test_notations_keep_their_letters(stem: str, fallback: str, name: str) -> None:
    assert _names(attachment(stem, ".pdf")) == (fallback, name)


@pytest.mark.parametrize(
    "stem",
    ["27/UBND-VP\r\nX-Evil: 1", 'VP"; x="y', "VP\x00\x7f", "A/B/../C", "VP\u202eFDP",
     "VP\\", "VP;filename=x", "   "],
    ids=repr,
)  # fmt: skip
def test_nothing_escapes_the_parameters(stem: str) -> None:
    value = attachment(stem, ".pdf")
    assert value.isascii() and value.isprintable(), value
    fallback, name = _names(value)
    assert name is not None and name.endswith(".pdf")
    for text in (fallback, name):
        assert not set(text) & set('/\\";\r\n\x00'), text
