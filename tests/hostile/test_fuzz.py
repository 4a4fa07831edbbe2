"""Property-based fuzzing of the whole API from its OpenAPI document.

Hypothesis draws an operation of GET /api/v1/openapi.json, then its path
parameters, query, credentials, Idempotency-Key and body: JSON bodies from
the operation's own schema (:func:`from_schema`) or any JSON at all,
multipart parts by their documented names with any content, raw bodies of
any bytes. Whatever is drawn, the hub answers below 500, and every refusal
is a problem document without a traceback. The draw is derandomized so CI
runs the same cases every time.
"""

from __future__ import annotations

import io
import json
import re
from typing import Any
from urllib.parse import quote

import pytest
import pytest_asyncio
from aiohttp import FormData
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edocx.web.openapi import build_openapi
from edocx.web.table import ROUTES
from tests.hostile.bombs import make_pdf, one_page, stream
from tests.hostile.conftest import LEAKS
from tests.web.hubkit import PROBLEM, A, B, Hub, header

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.slow]

DOCUMENT = build_openapi(ROUTES)
TINY_PDF = b"%PDF-1.7\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
# Pages meant for people answer in HTML, their refusals too.
HTML_ROUTES = re.compile(r"^/c/")
EXAMPLES = 1200


def resolve(schema: Any, depth: int = 0) -> Any:
    """Inline the document's ``$ref`` links (the schemas are not recursive)."""
    if isinstance(schema, list):
        return [resolve(item, depth) for item in schema]
    if not isinstance(schema, dict):
        return schema
    if "$ref" in schema and depth < 12:
        name = schema["$ref"].rsplit("/", 1)[1]
        return resolve(DOCUMENT["components"]["schemas"][name], depth + 1)
    return {key: resolve(value, depth) for key, value in schema.items()}


def operations() -> list[tuple[str, str, dict[str, Any]]]:
    found = []
    for path, methods in DOCUMENT["paths"].items():
        for method, operation in methods.items():
            found.append((method.upper(), path, operation))
    return found


OPERATIONS = operations()
ANY_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
SEGMENT = st.one_of(
    st.integers(-5, 10**12).map(str),
    st.integers(2**62, 2**70).map(str),
    st.sampled_from(["1", "000.00.00.H41", "x" * 400, "..", "%00", "null"]),
    st.text(max_size=30),
)
BYTES = st.one_of(
    st.binary(max_size=2048), st.just(TINY_PDF), st.just(b""), st.just(b"<edXML/>")
)


def from_schema(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values that mostly fit a JSON schema: its types, bounds and enums.

    Patterns and formats are left out on purpose: values that almost fit
    are the ones that reach deepest before being refused.
    """
    if "const" in schema:
        return st.just(schema["const"])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            return st.one_of([from_schema(option) for option in schema[key]])
    kind = schema.get("type")
    if isinstance(kind, list):
        return st.one_of([from_schema({**schema, "type": k}) for k in kind])
    return _typed(kind, schema)


def _typed(kind: Any, schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    if kind == "object":
        properties = schema.get("properties", {})
        required = set(schema.get("required", []))
        return st.fixed_dictionaries(
            {k: from_schema(v) for k, v in properties.items() if k in required},
            optional={
                k: from_schema(v) for k, v in properties.items() if k not in required
            },
        )
    if kind == "array":
        return st.lists(from_schema(schema.get("items", {})), max_size=4)
    if kind == "string":
        low, high = schema.get("minLength", 0), schema.get("maxLength", 60)
        return st.text(min_size=low, max_size=min(high, low + 60))
    if kind == "integer":
        # Past 64 bits too: such numbers once reached SQLite unchecked.
        return st.integers(schema.get("minimum"), schema.get("maximum")) | (
            st.sampled_from([2**63, -(2**63) - 1, 10**30])
        )
    if kind == "number":
        return st.floats(schema.get("minimum"), schema.get("maximum"))
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    return ANY_JSON


@st.composite
def json_for(draw: st.DrawFn, schema: dict[str, Any] | None) -> Any:
    if schema is None or draw(st.integers(0, 3)) == 0:
        return draw(ANY_JSON)
    return draw(from_schema(resolve(schema)))


@st.composite
def requests(
    draw: st.DrawFn,
    hub_tokens: dict[tuple[str, str], list[str | None]],
    known: list[str],
) -> dict[str, Any]:
    method, template, operation = draw(st.sampled_from(OPERATIONS))
    segment = SEGMENT | st.sampled_from(known)
    path = re.sub(
        r"\{[^}]+\}", lambda _: quote(draw(segment), safe="") or "x", template
    )
    params: dict[str, str] = {}
    headers: dict[str, str] = {}
    for parameter in operation.get("parameters", []):
        if not draw(st.booleans()):
            continue
        value = draw(json_for(parameter.get("schema")))
        if parameter["in"] == "query":
            params[parameter["name"]] = str(value)
        elif parameter["in"] == "header":
            text = str(value)
            if text.isprintable() and text.isascii():
                headers[parameter["name"]] = text
    token = draw(st.sampled_from(hub_tokens[(method, template)]))
    if token is not None:
        headers["Authorization"] = "Bearer " + token
    request: dict[str, Any] = {"method": method, "path": path, "params": params}
    request["headers"] = headers
    request.update(draw(body_for(operation)))
    return request


@st.composite
def body_for(draw: st.DrawFn, operation: dict[str, Any]) -> dict[str, Any]:
    content = operation.get("requestBody", {}).get("content", {})
    if not content or draw(st.integers(0, 9)) == 0:
        return {"raw": draw(BYTES), "media": draw(st.sampled_from(MEDIA))}
    media = draw(st.sampled_from(sorted(content)))
    schema = content[media].get("schema", {})
    if media == "application/json" and schema.get("format") != "binary":
        text = json.dumps(draw(json_for(schema)))
        return {"raw": text.encode(), "media": media}
    if media == "multipart/form-data":
        return {"parts": draw(parts_for(schema))}
    return {"raw": draw(BYTES), "media": media}


MEDIA = ["application/json", "application/pdf", "text/plain", "application/xml"]


@st.composite
def parts_for(draw: st.DrawFn, schema: dict[str, Any]) -> list[tuple[str, bytes, bool]]:
    properties = resolve(schema).get("properties", {})
    names = draw(st.lists(st.sampled_from([*sorted(properties), "junk"]), max_size=4))
    parts = []
    for name in names:
        if properties.get(name, {}).get("format") == "binary":
            parts.append((name, draw(BYTES), True))
        else:
            value = draw(json_for(properties.get(name)))
            parts.append((name, json.dumps(value).encode(), False))
    return parts


def form_of(parts: list[tuple[str, bytes, bool]]) -> FormData:
    form = FormData()
    for name, data, is_file in parts:
        if is_file:
            form.add_field(name, io.BytesIO(data), filename="f.pdf")
        else:
            form.add_field(name, data.decode(), content_type="application/json")
    return form


async def send(hub: Hub, request: dict[str, Any]) -> tuple[int, str, str]:
    kwargs: dict[str, Any] = {"params": request["params"]}
    headers = dict(request["headers"])
    if "parts" in request:
        kwargs["data"] = form_of(request["parts"])
    elif request["method"] != "GET":
        kwargs["data"] = request["raw"]
        headers["Content-Type"] = request["media"]
    response = await hub.client.request(
        request["method"], request["path"], headers=headers, **kwargs
    )
    text = (await response.read()).decode("utf-8", "replace")
    return response.status, response.content_type, text


def check(request: dict[str, Any], status: int, media: str, text: str) -> None:
    where = (request["method"], request["path"], status, text[:300])
    assert status < 500, where
    if status < 400:
        return
    assert not any(word in text for word in LEAKS), where
    if HTML_ROUTES.match(request["path"]):
        return
    assert media == "application/problem+json", where
    assert json.loads(text)["type"].startswith(PROBLEM), where


def tokens_of(hub: Hub) -> dict[tuple[str, str], list[str | None]]:
    """Per operation, the tokens to draw from: mostly those of allowed roles.

    A demo person's key is their role's name (the revoked signer aside).
    """
    people = [
        (person, token)
        for agency in hub.tokens.values()
        for person, token in agency.items()
        if token.startswith("edx_")
    ]
    anyone: list[str | None] = [None, "edx_not-a-token", *[t for _, t in people]]
    chosen = {}
    for route in ROUTES:
        roles = {role.value for role in route.roles or ()}
        allowed = [t for person, t in people if person in roles]
        # Three draws in four go to a caller the route lets in.
        chosen[(route.method, route.path)] = anyone + allowed * 3 * max(
            1, len(anyone) // max(1, len(allowed))
        )
    return chosen


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def issued(hub: Hub) -> str:
    """A document signed by A and issued to B and C, for the draws to name."""
    pdf = make_pdf(one_page(stream(b"", b"BT ET")))
    created = await hub.upload(("a", "signer"), pdf, header())
    assert created.status == 201, await created.text()
    doc_id: str = (await created.json())["document"]["id"]
    signed = await hub.post(("a", "signer"), f"/documents/{doc_id}/sign")
    assert signed.status == 200, await signed.text()
    issued = await hub.post(("a", "clerk"), f"/documents/{doc_id}/issue")
    assert issued.status == 200, await issued.text()
    return doc_id


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@given(data=st.data())
async def test_fuzzed_requests_get_no_server_error(
    hub: Hub, issued: str, data: st.DataObject
) -> None:
    request = data.draw(requests(tokens_of(hub), [issued, A, B]))

    status, media, text = await send(hub, request)

    check(request, status, media, text)
