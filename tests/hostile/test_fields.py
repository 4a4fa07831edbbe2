"""JSON with fields unknown or missing, on every operation that takes JSON.

Each operation's JSON (a body, or a part of a multipart upload) is sent
once good but for one unknown field, and once without each required field:
both are refused with the operation's stable problem type, naming the
field, and nothing is kept. A new operation taking JSON without an example
here fails :func:`test_every_json_operation_has_an_example`.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp import ClientResponse, FormData
from pydantic import BaseModel

from edocx.exchange.header import DraftHeader
from edocx.web import copyroutes, duplicateroutes, lifecycle
from edocx.web.deliveryroutes import EndpointIn
from edocx.web.table import ROUTES
from tests.hostile.conftest import refusal, snapshot
from tests.web.hubkit import PROBLEM, A, Hub, header

pytestmark = pytest.mark.asyncio(loop_scope="module")

PDF = b"%PDF-1.7\n"


@dataclass(frozen=True)
class Example:
    """A good JSON value for one operation, and how its refusals read."""

    method: str
    path: str
    who: tuple[str, str]
    model: type[BaseModel]
    good: dict[str, Any]
    unknown: str  # the problem type of an unknown field
    missing: str  # the problem type of a missing one
    part: str | None = None  # the multipart part the JSON goes in

    def form(self, value: dict[str, Any]) -> FormData:
        assert self.part is not None
        form = FormData()
        form.add_field(self.part, json.dumps(value), content_type="application/json")
        form.add_field(
            "file", io.BytesIO(PDF), filename="a.pdf", content_type="application/pdf"
        )
        return form


INTAKE = {"requester": "Nguyễn Văn An", "document_name": "Giấy khai sinh"}
EXAMPLES = {
    "post_status": Example(
        "POST", "/api/v1/documents/{document_id}/statuses", ("a", "clerk"),
        lifecycle.StatusPostIn, {"code": "03"}, "body-field-unknown",
        "request-invalid",
    ),
    "register_push_endpoint": Example(
        "POST", "/api/v1/agencies/{organ_id}/push-endpoint", ("a", "system"),
        EndpointIn, {"url": "https://127.0.0.1:9/push"}, "body-field-unknown",
        "request-invalid",
    ),
    "post_refusal": Example(
        "POST", "/api/v1/copies/refusals", ("a", "certifier"), copyroutes.RefusalIn,
        {**INTAKE, "reason": "altered"}, "body-field-unknown", "request-invalid",
    ),
    "post_revocation": Example(
        "POST", "/api/v1/copies/{code}/revoke", ("a", "certifier"),
        copyroutes.RevokeIn, {"reason": "cấp nhầm"}, "body-field-unknown",
        "request-invalid",
    ),
    "revoke_duplicate": Example(
        "POST", "/api/v1/duplicates/{code}/revoke", ("a", "clerk"),
        duplicateroutes.RevokeIn, {"reason": "cấp nhầm"}, "body-field-unknown",
        "request-invalid",
    ),
    "create_draft": Example(
        "POST", "/api/v1/drafts", ("a", "clerk"), DraftHeader, header(),
        "header-invalid", "header-field-missing", part="header",
    ),
    "post_copy": Example(
        "POST", "/api/v1/copies", ("a", "certifier"), copyroutes.IntakeIn, INTAKE,
        "request-invalid", "request-invalid", part="intake",
    ),
}  # fmt: skip
# Register records have their own tests of unknown and missing fields
# (tests/copies/test_duplicates.py), as a raw JSON body checked by its handler.
ELSEWHERE = {"issue_duplicate"}


async def test_every_json_operation_has_an_example() -> None:
    takes_json = {
        route.operation_id
        for route in ROUTES
        if route.body is not None
        or any(part.kind == "json" for part in route.parts)
        or "application/json" in route.raw_body
    }

    assert takes_json - ELSEWHERE == set(EXAMPLES)


async def send(hub: Hub, example: Example, value: dict[str, Any]) -> ClientResponse:
    path = example.path.format(document_id=1, organ_id=A, code="ZZZZ")
    headers = hub.auth(*example.who)
    if example.part is not None:
        return await hub.client.post(path, data=example.form(value), headers=headers)
    headers["Content-Type"] = "application/json"
    return await hub.client.post(path, data=json.dumps(value), headers=headers)


@pytest.mark.parametrize("operation", sorted(EXAMPLES))
async def test_unknown_field_is_refused_by_name(hub: Hub, operation: str) -> None:
    example = EXAMPLES[operation]
    before = snapshot(hub)

    response = await send(hub, example, {**example.good, "zz_unexpected": 1})

    body = await refusal(response)
    assert body["type"] == PROBLEM + example.unknown, body
    assert "zz_unexpected" in json.dumps(body, ensure_ascii=False), body
    assert before.added(snapshot(hub)) == {}


MISSING = [
    (operation, name)
    for operation, example in sorted(EXAMPLES.items())
    for name in example.model.model_json_schema().get("required", [])
]


@pytest.mark.parametrize(("operation", "name"), MISSING)
async def test_missing_field_is_refused_by_name(
    hub: Hub, operation: str, name: str
) -> None:
    example = EXAMPLES[operation]
    value = {k: v for k, v in example.good.items() if k != name}
    before = snapshot(hub)

    response = await send(hub, example, value)

    body = await refusal(response)
    assert body["type"] == PROBLEM + example.missing, body
    assert name in json.dumps(body, ensure_ascii=False), body
    assert before.added(snapshot(hub)) == {}


# Numbers no 64-bit integer holds, as JSON writes them: each reached SQLite
# and failed there with a 500 before dispatch refused them.
HUGE = [2**63, -(2**63) - 1, 10**40]


@pytest.mark.parametrize("number", HUGE, ids=str)
@pytest.mark.parametrize("operation", ["post_refusal", "post_copy"])
async def test_number_beyond_64_bits_is_refused(
    hub: Hub, operation: str, number: int
) -> None:
    example = EXAMPLES[operation]
    before = snapshot(hub)

    response = await send(hub, example, {**example.good, "fee": number})

    body = await refusal(response)
    assert body["type"] == PROBLEM + "request-invalid", body
    assert "fee" in body["detail"], body
    assert before.added(snapshot(hub)) == {}


# Texts printed on a copy's statement: a NUL, a bidi override or a
# zero-width space in them was taken and printed before.
HIDDEN = ["Nguyễn\x00Văn An", "Nguyễn \u202eVăn An", "Nguyễn\u200bVăn An", "   "]


@pytest.mark.parametrize("text", HIDDEN, ids=repr)
@pytest.mark.parametrize("field", ["requester", "document_name"])
@pytest.mark.parametrize("operation", ["post_refusal", "post_copy"])
async def test_hidden_character_in_a_copy_text_is_refused(
    hub: Hub, operation: str, field: str, text: str
) -> None:
    example = EXAMPLES[operation]
    before = snapshot(hub)

    response = await send(hub, example, {**example.good, field: text})

    body = await refusal(response)
    assert body["type"] == PROBLEM + "request-invalid", body
    assert field in body["detail"], body
    assert before.added(snapshot(hub)) == {}


# (operation, field): free texts shown to others, which may span lines.
PARAGRAPHS = [
    ("post_revocation", "reason"),
    ("revoke_duplicate", "reason"),
    ("post_refusal", "note"),
]


@pytest.mark.parametrize("text", ["cấp\x00nhầm", "cấp \u202enhầm", "  \n "], ids=repr)
@pytest.mark.parametrize(("operation", "field"), PARAGRAPHS)
async def test_hidden_character_in_a_reason_is_refused(
    hub: Hub, operation: str, field: str, text: str
) -> None:
    example = EXAMPLES[operation]
    before = snapshot(hub)

    response = await send(hub, example, {**example.good, field: text})

    body = await refusal(response)
    assert body["type"] == PROBLEM + "request-invalid", body
    assert field in body["detail"], body
    assert before.added(snapshot(hub)) == {}


@pytest.mark.parametrize("operation", ["post_revocation", "revoke_duplicate"])
async def test_reason_over_lines_passes_to_the_handler(
    hub: Hub, operation: str
) -> None:
    example = EXAMPLES[operation]

    response = await send(hub, example, {"reason": "cấp nhầm:\n\tsai tên"})

    # No such copy: the body itself was taken.
    assert (await refusal(response))["status"] == 404
