"""The checking page's answer to an upload speaks Vietnamese throughout.

The verdict, each signature's outcome and role, the problems of the file
and the dates are in Vietnamese (dates as "ngày 05/12/2026 lúc 10:41"); an
upload over the limit is answered with a page, not a problem document.
"""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from aiohttp import FormData

from edocx.config import Settings, VerificationSettings
from tests.copies.test_certify import _certify, _pdf
from tests.web.hubkit import Hub, running_hub

pytestmark = pytest.mark.asyncio(loop_scope="module")

ENGLISH = ("PASSED", "TOTAL-", "INDETERMINATE", "edocx_", "the file", "QR payload")
MOMENT = re.compile(r"ngày \d\d/\d\d/\d{4} lúc \d\d:\d\d")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def hub(module_settings: Settings) -> AsyncIterator[Hub]:
    """A hub whose public checks take files of at most 1 MB."""
    bounds = VerificationSettings(max_upload_mb=1)
    settings = module_settings.model_copy(update={"verification": bounds})
    async with running_hub(settings) as running:
        yield running


async def _posted(hub: Hub, code: str, pdf: bytes) -> tuple[int, str, str]:
    form = FormData()
    form.add_field(
        "file", io.BytesIO(pdf), filename="x.pdf", content_type="application/pdf"
    )
    response = await hub.client.post(f"/c/{code}", data=form)
    return response.status, response.content_type, await response.text()


async def _copy(hub: Hub, pdfs: Path) -> tuple[str, bytes]:
    status, body = await _certify(hub, (pdfs / "empty-two-pages.pdf").read_bytes())
    assert status == 201, body
    code = body["intake"]["code"]
    return code, await _pdf(hub, code)


async def test_a_checked_copy_reads_in_vietnamese(hub: Hub, pdfs: Path) -> None:
    code, pdf = await _copy(hub, pdfs)
    status, kind, page = await _posted(hub, code, pdf)
    assert (status, kind) == (200, "text/html")
    assert "HỢP LỆ" in page and "Chữ ký số cá nhân" in page
    assert "Chữ ký số của cơ quan (con dấu)" in page
    assert MOMENT.search(page), page
    assert not re.search(r"\d\d:\d\d:\d\d\.\d", page)
    for word in ENGLISH:
        assert word not in page, word


async def test_an_edited_copy_lists_its_problems_in_vietnamese(
    hub: Hub, pdfs: Path
) -> None:
    code, _ = await _copy(hub, pdfs)
    _, other = await _copy(hub, pdfs)
    status, _, page = await _posted(hub, code, other)
    assert status == 200
    assert "không phải bản sao chứng thực đã cấp" in page
    assert "Mã QR ghi một bản sao khác" in page
    for word in ENGLISH:
        assert word not in page, word


async def test_an_upload_over_the_limit_is_answered_with_a_page(
    hub: Hub, pdfs: Path
) -> None:
    code, pdf = await _copy(hub, pdfs)
    status, kind, page = await _posted(hub, code, pdf + b"\n" * (1024 * 1024))
    assert (status, kind) == (413, "text/html")
    assert "Tệp quá lớn" in page and "1 MB" in page
