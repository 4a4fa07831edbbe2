"""Bad input gets its own problem type, never a 500, and stores nothing."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import FormData

from edocx.config import Settings

from .hubkit import Hub, header, problem, running_hub

pytestmark = pytest.mark.asyncio(loop_scope="module")

TABLES = ("documents", "document_revisions", "number_register", "deliveries")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def small_hub(module_settings: Settings) -> AsyncIterator[Hub]:
    """A hub that takes uploads of at most 1 MB."""
    http = module_settings.http.model_copy(update={"max_upload_mb": 1})
    async with running_hub(module_settings.model_copy(update={"http": http})) as hub:
        yield hub


async def _footprint(hub: Hub) -> tuple[int, ...]:
    return (*[await hub.count(t) for t in TABLES], hub.blob_count())


async def _refused(
    hub: Hub, response: Any, status: int, code: str, before: tuple[int, ...]
) -> dict[str, Any]:
    body = await problem(response, status, code)
    assert await _footprint(hub) == before, "a refused request stored something"
    return body


@pytest.mark.parametrize(
    ("name", "password", "code"),
    [
        ("EmptyPage-corrupted.pdf", None, "pdf-unusable"),
        ("EmptyPage-corrupted2.pdf", None, "pdf-unusable"),
        ("protected_open_protected.pdf", None, "pdf-password-required"),
        ("protected_protected_two_empty_fields.pdf", None, "pdf-password-required"),
        ("protected_open_protected.pdf", "wrong", "pdf-password-required"),
    ],
)
async def test_unusable_pdfs(
    small_hub: Hub, pdfs: Path, name: str, password: str | None, code: str
) -> None:
    before = await _footprint(small_hub)
    pdf = (pdfs / name).read_bytes()
    response = await small_hub.upload(("a", "clerk"), pdf, header(), password=password)
    await _refused(small_hub, response, 422, code, before)


@pytest.mark.parametrize("data", [b"", b"GIF89a not a pdf", b"%PDF-1.7\n" + b"x" * 500])
async def test_not_pdfs(small_hub: Hub, data: bytes) -> None:
    before = await _footprint(small_hub)
    response = await small_hub.upload(("a", "clerk"), data, header())
    await _refused(small_hub, response, 422, "pdf-unusable", before)


async def test_header_problems(small_hub: Hub, pdfs: Path) -> None:
    pdf = (pdfs / "EmptyPage.pdf").read_bytes()
    before = await _footprint(small_hub)
    no_subject = header()
    del no_subject["subject"]
    no_signer_name = header(signer={"position": "Chủ tịch"})
    cases: list[tuple[dict[str, Any] | str, int, str]] = [
        (header(recipients=["000.00.00.Z99"]), 422, "recipient-unknown"),
        (no_subject, 422, "header-field-missing"),
        (no_signer_name, 422, "header-field-missing"),
        (header(type="Bản cam kết"), 422, "document-type-unknown"),
        (header(priority=7), 422, "header-invalid"),
        (header(recipients=[]), 422, "header-invalid"),
        ("{not json", 422, "header-invalid"),
        ('{"type":' + "[" * 100_000 + "]" * 100_000 + "}", 422, "header-invalid"),
        (header(priority="1"), 422, "header-invalid"),
        (header(priority=True), 422, "header-invalid"),
        (header(subject="V/v \u202egnitset"), 422, "header-invalid"),
        (header(signer={"name": "A\x00", "position": "B"}), 422, "header-invalid"),
    ]
    for unit in ("VP\r\nX-Evil: 1", "VP\x00", 'VP"; x="y', "A/B/../C", "   "):
        cases.append((header(type="Công văn", drafting_unit=unit), 422,
                      "header-invalid"))  # fmt: skip
    for head, status, code in cases:
        response = await small_hub.upload(("a", "clerk"), pdf, head)
        body = await _refused(small_hub, response, status, code, before)
        if code == "header-field-missing":
            assert body["fields"] in (["subject"], ["signer.name"])
        if code == "recipient-unknown":
            assert body["recipients"] == ["000.00.00.Z99"]


async def test_deeply_nested_json_is_refused(small_hub: Hub, pdfs: Path) -> None:
    before = await _footprint(small_hub)
    deep = "[" * 20_000 + "]" * 20_000
    somewhere = f"/documents/{uuid.uuid4()}/statuses"
    for body in (deep, '{"code":' + deep + "}"):
        response = await small_hub.post(
            ("b", "clerk"), somewhere, data=body,
            headers={"Content-Type": "application/json", "Idempotency-Key": "deep"},
        )  # fmt: skip
        await _refused(small_hub, response, 400, "request-invalid", before)

    pdf = (pdfs / "EmptyPage.pdf").read_bytes()
    head = '{"type":' + "[" * 100_000 + "]" * 100_000 + "}"
    upload = await small_hub.upload(("a", "clerk"), pdf, head, key="deep-header")
    await _refused(small_hub, upload, 422, "header-invalid", before)


async def test_query_integers_are_bounded(small_hub: Hub) -> None:
    auditor = ("hub", "auditor")
    for after in ("99999999999999999999999", "9" * 5000, "-1", "1e3"):
        response = await small_hub.get(auditor, f"/audit/events?after={after}")
        await problem(response, 400, "request-invalid")

    largest = await small_hub.get(auditor, f"/audit/events?after={2**63 - 1}")
    assert largest.status == 200, await largest.text()
    assert (await largest.json())["items"] == []


async def test_status_on_a_document_without_deliveries(
    small_hub: Hub, pdfs: Path
) -> None:
    response = await small_hub.upload(
        ("a", "clerk"), (pdfs / "EmptyPage.pdf").read_bytes(), header()
    )
    assert response.status == 201, await response.text()
    path = f"/documents/{(await response.json())['document']['id']}/statuses"
    before = (await small_hub.count("delivery_statuses"),
              await small_hub.count("audit_events"))  # fmt: skip

    for who, body in [
        (("a", "clerk"), {"code": "13", "description": "Sai số liệu"}),
        (("a", "system"), {"code": "01"}),
        (("a", "clerk"), {"code": "03"}),
    ]:
        posted = await small_hub.post(who, path, json=body)
        await problem(posted, 409, "document-state-conflict")

    # Unknown fields alone: the problem type every JSON body shares.
    extra = await small_hub.post(("b", "clerk"), path, json={"code": "03", "foo": 1})
    body = await problem(extra, 422, "body-field-unknown")
    assert body["fields"] == ["foo"]
    mixed = await small_hub.post(("b", "clerk"), path, json={"code": "99", "foo": 1})
    await problem(mixed, 400, "request-invalid")
    after = (await small_hub.count("delivery_statuses"),
             await small_hub.count("audit_events"))  # fmt: skip
    assert after == before


async def test_malformed_requests(small_hub: Hub, pdfs: Path) -> None:
    before = await _footprint(small_hub)
    as_json = await small_hub.post(("a", "clerk"), "/drafts", json=header())
    await _refused(small_hub, as_json, 415, "media-type-unsupported", before)

    form = FormData()
    form.add_field("file", b"%PDF", filename="x.pdf", content_type="application/pdf")
    no_header = await small_hub.post(("a", "clerk"), "/drafts", data=form)
    await _refused(small_hub, no_header, 400, "request-invalid", before)

    big = b"%PDF-1.7\n" + b"0" * (1024 * 1024 + 200 * 1024)
    too_big = await small_hub.upload(("a", "clerk"), big, header())
    await _refused(small_hub, too_big, 413, "upload-too-large", before)

    garbage = await small_hub.client.post(
        "/api/v1/drafts",
        data=b"--x\r\nnonsense",
        headers={
            **small_hub.auth("a", "clerk"),
            "Content-Type": "multipart/form-data; boundary=x",
        },
    )
    assert garbage.status in (400, 422)
    assert garbage.content_type == "application/problem+json"
    assert await _footprint(small_hub) == before

    unknown = await small_hub.get(("a", "clerk"), "/no-such-thing")
    await problem(unknown, 404, "not-found")


async def test_tokens_and_roles(small_hub: Hub, pdfs: Path) -> None:
    pdf = (pdfs / "EmptyPage.pdf").read_bytes()
    before = await _footprint(small_hub)

    anonymous = await small_hub.client.get("/api/v1/inbox")
    missing = await problem(anonymous, 401, "unauthenticated")
    wrong = await small_hub.client.get(
        "/api/v1/inbox", headers={"Authorization": "Bearer edx_not-a-token"}
    )
    assert await problem(wrong, 401, "unauthenticated") == missing
    assert wrong.headers["WWW-Authenticate"] == "Bearer"

    for who in (("hub", "auditor"), ("hub", "admin"), ("a", "certifier")):
        response = await small_hub.upload(who, pdf, header())
        await _refused(small_hub, response, 403, "role-not-allowed", before)

    audit = await small_hub.get(("a", "clerk"), "/audit/events")
    await problem(audit, 403, "role-not-allowed")

    # The role is checked before the document is looked up.
    somewhere = f"/documents/{uuid.uuid4()}"
    issue = await small_hub.post(("a", "signer"), somewhere + "/issue")
    await problem(issue, 403, "role-not-allowed")
    sign = await small_hub.post(("a", "clerk"), somewhere + "/sign")
    await problem(sign, 403, "role-not-allowed")


async def test_another_agencys_document(small_hub: Hub, pdfs: Path) -> None:
    response = await small_hub.upload(
        ("a", "signer"), (pdfs / "EmptyPage.pdf").read_bytes(), header()
    )
    assert response.status == 201, await response.text()
    doc_id = (await response.json())["document"]["id"]
    path = f"/documents/{doc_id}"

    # Not even a recipient sees a draft; the answer is that of a random id.
    absent = await problem(
        await small_hub.get(("b", "clerk"), f"/documents/{uuid.uuid4()}"),
        404,
        "document-not-found",
    )
    for who, method, suffix in [
        (("b", "clerk"), "get", ""),
        (("b", "system"), "get", "/pdf"),
        (("c", "signer"), "post", "/sign"),
        (("b", "clerk"), "post", "/issue"),
        (("b", "clerk"), "get", "/statuses"),
    ]:
        if method == "get":
            response = await small_hub.get(who, path + suffix)
        else:
            response = await small_hub.post(who, path + suffix)
        body = await problem(response, 404, "document-not-found")
        assert body["title"] == absent["title"]

    malformed = await small_hub.get(("a", "clerk"), "/documents/not-a-uuid")
    await problem(malformed, 404, "document-not-found")

    # The agency itself: issuing a draft that is not signed is a conflict.
    unsigned = await small_hub.post(("a", "clerk"), path + "/issue")
    await problem(unsigned, 409, "document-state-conflict")
    assert (await small_hub.get(("hub", "auditor"), path)).status == 200


async def test_openapi_is_made_from_the_route_table(small_hub: Hub) -> None:
    from edocx.web.table import ROUTES

    response = await small_hub.client.get("/api/v1/openapi.json")
    assert response.status == 200
    spec = await response.json()
    assert spec["openapi"].startswith("3.1")
    for route in ROUTES:
        operation = spec["paths"][route.path][route.method.lower()]
        roles = None if route.roles is None else sorted(r.value for r in route.roles)
        assert operation.get("x-roles") == roles
    draft = spec["paths"]["/api/v1/drafts"]["post"]
    assert "multipart/form-data" in draft["requestBody"]["content"]
    problems = spec["x-problem-types"]
    for code in ("recipient-unknown", "header-field-missing", "role-not-allowed",
                 "document-not-found", "pdf-unusable", "pdf-password-required",
                 "signature-invalid", "status-regression",
                 "idempotency-key-conflict", "pdf-already-issued",
                 "signer-mismatch", "http-error"):  # fmt: skip
        assert "https://edocx.example/problems/" + code in problems
