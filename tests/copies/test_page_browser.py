"""The checking page at a QR code's address, as Debian's headless Chromium
shows it.

The browser loads ``/c/{code}`` from the running hub (loopback), so the
page's Content-Security-Policy applies; the answer to the page's upload form
is saved and opened from a file. The page must show the facts of the API in
Vietnamese, and a hostile revocation reason or code must stay text.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
from aiohttp import FormData

from edocx.web.copypages import vietnamese_moment
from tests.copies.test_duplicates import CLERK_A, issued
from tests.web.hubkit import Hub

pytestmark = [
    pytest.mark.asyncio(loop_scope="module"),
    # CI installs Chromium, so there the tests run, and fail without it.
    pytest.mark.skipif(
        (shutil.which("chromium") or shutil.which("chromium-browser")) is None
        and not os.environ.get("CI"),
        reason="Debian's chromium is not installed (scripts/test installs it)",
    ),
]

HOSTILE = '<img src=x onerror=alert(1)><script>document.title="owned"</script>'


async def dom(address: str, profile: Path) -> str:
    """The document as Chromium built it, after parsing and any script."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    assert chromium is not None
    # Run beside the loop: the hub serving the page runs on this loop.
    process = await asyncio.create_subprocess_exec(
        chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--disable-background-networking", "--disable-component-update",
        "--disable-sync", f"--user-data-dir={profile}", "--dump-dom", address,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    out, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0
    return out.decode("utf-8")


class Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: object) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(document: str) -> tuple[list[str], str]:
    parser = Elements()
    parser.feed(document)
    return parser.tags, " ".join(" ".join(parser.text).split())


def address(hub: Hub, path: str) -> str:
    return str(hub.client.make_url(path))


async def test_the_page_shows_the_entry_and_status(hub: Hub, tmp_path: Path) -> None:
    out, _ = await issued(hub)
    tags, text = parse(await dom(address(hub, f"/c/{out['code']}"), tmp_path))

    assert "Giấy khai sinh — bản sao điện tử từ sổ gốc" in text
    assert f"Số bản sao {out['number']}" in text
    assert f"Sổ cấp bản sao {out['book']}" in text
    assert "Ủy ban nhân dân tỉnh Nghệ An (000.00.00.H41)" in text
    assert f"Thời điểm cấp {vietnamese_moment(out['issued_at'])}" in text
    assert "Trạng thái: CÒN HIỆU LỰC" in text
    assert out["pdf_sha256"] in text
    assert "form" in tags and "input" in tags
    assert "script" not in tags


async def test_a_revoked_copy_shows_since_when_and_why_as_text(
    hub: Hub, tmp_path: Path
) -> None:
    out, _ = await issued(hub)
    revoked = await hub.post(
        CLERK_A, f"/duplicates/{out['code']}/revoke", json={"reason": HOSTILE}
    )
    assert revoked.status == 200
    since = (await revoked.json())["revoked_at"]

    document = await dom(address(hub, f"/c/{out['code']}"), tmp_path)
    tags, text = parse(document)
    assert "Trạng thái: ĐÃ THU HỒI" in text
    assert f"Thu hồi từ {vietnamese_moment(since)}" in text
    assert f"Lý do thu hồi {HOSTILE}" in text
    assert "img" not in tags and "script" not in tags
    assert "owned" not in document.split("<title>")[1].split("</title>")[0]


async def test_a_hostile_code_stays_text_on_the_not_found_page(
    hub: Hub, tmp_path: Path
) -> None:
    url = address(hub, "/c/") + "%3Cimg%20src=x%20onerror=alert(1)%3E"
    tags, text = parse(await dom(url, tmp_path))
    assert "Không tìm thấy bản sao" in text
    assert "<img src=x onerror=alert(1)>" in text
    assert "img" not in tags


async def test_the_upload_form_answers_with_the_check(hub: Hub, tmp_path: Path) -> None:
    out, pdf = await issued(hub)
    answers = {}
    for name, body in (("same", pdf), ("edited", pdf + b"\n%edited\n")):
        form = FormData()
        form.add_field("file", io.BytesIO(body), filename="x.pdf",
                       content_type="application/pdf")  # fmt: skip
        response = await hub.client.post(f"/c/{out['code']}", data=form)
        assert response.status == 200
        assert response.headers["Content-Security-Policy"].startswith(
            "default-src 'none'"
        )
        page = tmp_path / f"{name}.html"
        page.write_text(await response.text(), "utf-8")
        answers[name] = parse(await dom(page.as_uri(), tmp_path / name))[1]

    assert "Kết quả kiểm tra tệp" in answers["same"]
    assert "đúng là bản sao điện tử đã cấp, không bị sửa đổi" in answers["same"]
    assert "Kết luận kiểm tra chữ ký HỢP LỆ" in answers["same"]
    assert "không phải bản sao điện tử đã cấp" in answers["edited"]


async def certify(hub: Hub, scan: bytes, document_name: str) -> str:
    """Certify ``scan`` as a copy of agency A; return its code."""
    intake = {"requester": "Lê Thị Hoa", "document_name": document_name, "fee": 2000}
    form = FormData()
    form.add_field("intake", json.dumps(intake), content_type="application/json")
    form.add_field("file", io.BytesIO(scan), filename="scan.pdf",
                   content_type="application/pdf")  # fmt: skip
    response = await hub.post(("a", "certifier"), "/copies", data=form)
    assert response.status == 201, await response.text()
    return str((await response.json())["intake"]["code"])


async def test_the_page_of_a_certified_copy_shows_its_entry_as_text(
    hub: Hub, pdfs: Path, tmp_path: Path
) -> None:
    name = "Bằng tốt nghiệp " + HOSTILE
    code = await certify(hub, (pdfs / "empty-two-pages.pdf").read_bytes(), name)
    entry = await (await hub.client.get(f"/api/v1/copies/{code}")).json()

    document = await dom(address(hub, f"/c/{code}"), tmp_path / "certified")
    tags, text = parse(document)
    assert f"{name} — bản sao chứng thực điện tử" in text
    assert f"Số chứng thực {entry['entry']['number_text']}" in text
    assert f"Sổ chứng thực {entry['entry']['book']}" in text
    assert f"Người chứng thực {entry['entry']['certifier_name']}" in text
    assert "Trạng thái: CÒN HIỆU LỰC" in text
    assert "img" not in tags and "script" not in tags

    revoked = await hub.post(
        ("a", "certifier"), f"/copies/{code}/revoke", json={"reason": "Cấp nhầm"}
    )
    assert revoked.status == 200
    _, text = parse(await dom(address(hub, f"/c/{code}"), tmp_path / "revoked"))
    assert "Trạng thái: ĐÃ THU HỒI" in text
    assert "Lý do thu hồi Cấp nhầm" in text


async def test_the_form_checks_a_certified_copy(
    hub: Hub, pdfs: Path, tmp_path: Path
) -> None:
    code = await certify(hub, (pdfs / "empty-two-pages.pdf").read_bytes(), "Học bạ")
    got = await hub.get(("a", "certifier"), f"/copies/{code}/pdf")
    form = FormData()
    form.add_field("file", io.BytesIO(await got.read()), filename="x.pdf",
                   content_type="application/pdf")  # fmt: skip
    response = await hub.client.post(f"/c/{code}", data=form)
    assert response.status == 200
    page = tmp_path / "answer.html"
    page.write_text(await response.text(), "utf-8")

    _, text = parse(await dom(page.as_uri(), tmp_path / "profile"))
    assert "Tệp này đúng là bản sao chứng thực, không bị sửa đổi" in text
    assert "Kết luận kiểm tra chữ ký HỢP LỆ" in text
