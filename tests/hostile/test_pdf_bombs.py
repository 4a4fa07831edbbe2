"""PDFs that loop the parser or inflate to gigabytes, bounded in the workers.

Each bomb goes to the routes that read a PDF (verify, a draft, a copy's
intake, an edXML packet's attachment). The answer is a 2xx (the reader
never touched the trap) or a 4xx problem; it comes within the workers' time
bound; the hub's own process does not grow by the bomb's size, and a
refusal keeps nothing.
"""

from __future__ import annotations

import base64
import io
import itertools
import json
import resource
import time
from collections.abc import Awaitable, Callable

import pytest
from aiohttp import ClientResponse, FormData

from edocx.config import Settings
from tests.edxml.packets import document_packet
from tests.hostile.bombs import BOMBS, black_png
from tests.hostile.conftest import answer, snapshot
from tests.web.hubkit import Hub, header

pytestmark = pytest.mark.asyncio(loop_scope="module")

TIMEOUT_S = 8.0
# The hub's process may grow by less than any bomb would need.
GROWTH_MB = 300


@pytest.fixture(scope="module")
def module_settings(module_settings: Settings) -> Settings:
    """Tighter worker bounds than the suite's, so a bomb costs seconds."""
    workers = module_settings.workers.model_copy(
        update={"task_timeout_s": TIMEOUT_S, "memory_limit_mb": 768}
    )
    verification = module_settings.verification.model_copy(
        update={"timeout_s": TIMEOUT_S}
    )
    return module_settings.model_copy(
        update={"workers": workers, "verification": verification}
    )


def file_form(pdf: bytes, *, intake: bool = False) -> FormData:
    form = FormData()
    if intake:
        fields = {"requester": "Nguyễn Văn An", "document_name": "Giấy khai sinh"}
        form.add_field("intake", json.dumps(fields), content_type="application/json")
    form.add_field(
        "file", io.BytesIO(pdf), filename="x.pdf", content_type="application/pdf"
    )
    return form


async def verify(hub: Hub, pdf: bytes) -> ClientResponse:
    return await hub.post(("a", "clerk"), "/verify", data=file_form(pdf))


async def draft(hub: Hub, pdf: bytes) -> ClientResponse:
    return await hub.upload(("a", "clerk"), pdf, header())


async def intake(hub: Hub, pdf: bytes) -> ClientResponse:
    return await hub.post(
        ("a", "certifier"), "/copies", data=file_form(pdf, intake=True)
    )


PACKETS = itertools.count(7000)


async def packet(hub: Hub, pdf: bytes) -> ClientResponse:
    # From B to A, carrying the bomb as its attachment; a number of its own.
    number = next(PACKETS)
    data = document_packet(encoded=base64.b64encode(pdf).decode())
    data = data.replace(b">12<", b">%d<" % number).replace(b",12/", b",%d/" % number)
    return await hub.post(
        ("b", "system"), "/edxml", data=io.BytesIO(data),
        headers={"Content-Type": "application/xml"},
    )  # fmt: skip


ROUTES: dict[str, Callable[[Hub, bytes], Awaitable[ClientResponse]]] = {
    "verify": verify,
    "draft": draft,
    "intake": intake,
    "packet": packet,
}


def max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@pytest.mark.parametrize("route", sorted(ROUTES))
@pytest.mark.parametrize("bomb", sorted(BOMBS))
async def test_bomb_is_bounded(hub: Hub, bomb: str, route: str) -> None:
    pdf = BOMBS[bomb]()
    before, rss = snapshot(hub), max_rss_mb()
    started = time.monotonic()

    problem = await answer(await ROUTES[route](hub, pdf))

    # A route may run two worker calls (read, then check) on one file.
    assert time.monotonic() - started < 2 * TIMEOUT_S + 10
    assert max_rss_mb() - rss < GROWTH_MB
    if problem is not None:
        assert before.added(snapshot(hub)) == {}, problem


INFLATING = ("content-2GiB", "image-10GB", "object-stream-2GiB")


@pytest.mark.parametrize("bomb", INFLATING)
async def test_bomb_taken_as_a_draft_is_signed_and_verified_within_bounds(
    hub: Hub, bomb: str
) -> None:
    # The upload does not inflate the streams; signing (the stamp, the
    # hub's own check of the result) and verifying the signed file may.
    created = await draft(hub, BOMBS[bomb]())
    assert created.status == 201, await created.text()
    doc_id = (await created.json())["document"]["id"]
    rss = max_rss_mb()
    started = time.monotonic()

    signed = await hub.post(("a", "signer"), f"/documents/{doc_id}/sign")
    problem = await answer(signed)
    if problem is None:
        pdf = await (await hub.get(("a", "signer"), f"/documents/{doc_id}/pdf")).read()
        assert await answer(await verify(hub, pdf)) is None

    assert time.monotonic() - started < 3 * TIMEOUT_S + 15
    assert max_rss_mb() - rss < GROWTH_MB


def pages_form(pages: list[bytes]) -> FormData:
    form = FormData()
    fields = {"requester": "Nguyễn Văn An", "document_name": "Giấy khai sinh"}
    form.add_field("intake", json.dumps(fields), content_type="application/json")
    for n, png in enumerate(pages, start=1):
        form.add_field(
            "file" if n == 1 else f"page{n}", io.BytesIO(png),
            filename=f"p{n}.png", content_type="image/png",
        )  # fmt: skip
    return form


# Scans as image pages: a header claiming 4 gigapixels, and pages each just
# under the pixel limit, together more than the worker may hold decoded.
IMAGE_BOMBS = {
    "gigapixel-header": lambda: [black_png(65_535, 65_535)],
    "pages-under-the-limit": lambda: [black_png(7_700, 7_700)] * 6,
}


@pytest.mark.parametrize("bomb", sorted(IMAGE_BOMBS))
async def test_image_pages_are_bounded(hub: Hub, bomb: str) -> None:
    form = pages_form(IMAGE_BOMBS[bomb]())
    before, rss = snapshot(hub), max_rss_mb()
    started = time.monotonic()

    response = await hub.post(("a", "certifier"), "/copies", data=form)
    problem = await answer(response)

    assert time.monotonic() - started < 2 * TIMEOUT_S + 10
    assert max_rss_mb() - rss < GROWTH_MB
    assert problem is not None
    assert problem["type"].rsplit("/", 1)[1] in IMAGE_REFUSALS, problem
    if bomb == "gigapixel-header":
        assert "too many pixels" in problem["detail"], problem
    assert before.added(snapshot(hub)) == {}


IMAGE_REFUSALS = {"copy-scan-unusable", "worker-memory", "worker-timeout"}
