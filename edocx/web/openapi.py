"""The OpenAPI 3.1 document of the API, made from the route table.

Each operation lists its success answer, a 429 when the public rate limit
covers it (:mod:`edocx.web.ratelimit`), and every other refusal as the
``default`` problem answer naming its types.
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any

from pydantic import BaseModel

from edocx import __version__
from edocx.web.bodies import Part
from edocx.web.problems import (
    HTTP_ERROR,
    HTTP_PROBLEMS,
    PROBLEM_BASE,
    PROBLEM_MEDIA_TYPE,
    AuthorizationAmbiguousError,
    known_problems,
)
from edocx.web.ratelimit import RateLimitedError, limited_routes
from edocx.web.routing import Route
from edocx.web.table import ROUTES

_REF = "#/components/schemas/{model}"

_DESCRIPTION = (
    "Signing desk and exchange hub for official e-documents. Every call but"
    " this document and POST /api/v1/verify needs 'Authorization: Bearer"
    " <token>'; x-roles lists the roles allowed on each operation. Errors"
    " are RFC 9457 problems whose"
    f" type starts with {PROBLEM_BASE} (all listed under x-problem-types)."
    " A document of another agency is answered exactly like a document that"
    " does not exist (404 document-not-found), so ids reveal nothing. POSTs"
    " that create something honour Idempotency-Key."
)

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "format": "uri"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "hint": {"type": "string"},
    },
}


class _Schemas:
    """Collects model schemas into ``components.schemas``."""

    def __init__(self) -> None:
        self.found: dict[str, Any] = {"Problem": PROBLEM_SCHEMA}

    def ref(self, model: type[BaseModel]) -> dict[str, str]:
        schema = model.model_json_schema(ref_template=_REF)
        self.found.update(schema.pop("$defs", {}))
        self.found[model.__name__] = schema
        return {"$ref": _REF.format(model=model.__name__)}


def build_openapi(routes: tuple[Route, ...]) -> dict[str, Any]:
    schemas = _Schemas()
    limited = limited_routes(routes)
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        operation = _operation(route, schemas, (route.method, route.path) in limited)
        paths.setdefault(route.path, {})[route.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "edocx hub API",
            "version": __version__,
            "description": _DESCRIPTION,
        },
        "paths": paths,
        "components": {
            "schemas": schemas.found,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "x-problem-types": _problem_types(),
    }


def _operation(route: Route, schemas: _Schemas, limited: bool) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": route.operation_id,
        "summary": route.summary,
        "responses": _responses(route, schemas, limited),
    }
    if route.roles is None:
        operation["security"] = []
    else:
        operation["security"] = [{"bearer": []}]
        operation["x-roles"] = sorted(role.value for role in route.roles)

    parameters = _parameters(route)
    if parameters:
        operation["parameters"] = parameters
    if route.body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": schemas.ref(route.body)}},
        }
    elif route.parts:
        operation["requestBody"] = _multipart(route.parts, schemas)
    elif route.raw_body:
        raw = {"type": "string", "format": "binary"}
        operation["requestBody"] = {
            "required": True,
            "content": {media: {"schema": raw} for media in route.raw_body},
        }
    return operation


def _parameters(route: Route) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if "{document_id}" in route.path:
        found.append({"name": "document_id", "in": "path", "required": True,
                      "schema": {"type": "string", "format": "uuid"}})  # fmt: skip
    # Every other segment of the template ({code}, {index}, ...) as a string:
    # an OpenAPI path must declare each of its parameters.
    for name in re.findall(r"\{(\w+)\}", route.path):
        if name != "document_id":
            found.append({"name": name, "in": "path", "required": True,
                          "schema": {"type": "string"}})  # fmt: skip
    if route.creates:
        found.append({"name": "Idempotency-Key", "in": "header", "required": False,
                      "schema": {"type": "string", "maxLength": 255}})  # fmt: skip
    if route.query is not None:
        schema = route.query.model_json_schema()
        for name, prop in schema.get("properties", {}).items():
            found.append({"name": name, "in": "query", "required": False,
                          "schema": prop})  # fmt: skip
    return found


def _multipart(parts: tuple[Part, ...], schemas: _Schemas) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    encoding: dict[str, Any] = {}
    for part in parts:
        if part.kind == "json" and part.model is not None:
            properties[part.name] = {**schemas.ref(part.model)}
            encoding[part.name] = {"contentType": "application/json"}
        elif part.kind == "binary":
            properties[part.name] = {"type": "string", "format": "binary"}
            encoding[part.name] = {"contentType": "application/pdf"}
        else:
            properties[part.name] = {"type": "string"}
        properties[part.name]["description"] = part.description
    schema = {
        "type": "object",
        "properties": properties,
        "required": [p.name for p in parts if p.required],
    }
    return {
        "required": True,
        "content": {"multipart/form-data": {"schema": schema, "encoding": encoding}},
    }


_JSON_BODY_PROBLEMS = (
    "body-field-unknown", "request-invalid", "media-type-unsupported",
)  # fmt: skip
# Every multipart body is refused the same ways too (read_parts).
_MULTIPART_PROBLEMS = (
    "request-invalid", "media-type-unsupported", "upload-too-large",
    "file-name-unsafe",
)  # fmt: skip


def _responses(route: Route, schemas: _Schemas, limited: bool) -> dict[str, Any]:
    ok: dict[str, Any] = {"description": route.summary}
    if route.response is not None:
        ok["content"] = {route.media_type: {"schema": schemas.ref(route.response)}}
    elif route.media_type != "application/json":
        binary = {"type": "string", "format": "binary"}
        ok["content"] = {route.media_type: {"schema": binary}}
    for media_type in route.alternatives:
        ok.setdefault("content", {})[media_type] = {"schema": {"type": "string"}}
    named = list(route.problems)
    if route.roles is not None or limited:
        # Any route that reads a token (a limited public one to spare its
        # caller the limit) refuses two Authorization fields (edocx.web.auth).
        named.append(AuthorizationAmbiguousError.code)
    if route.body is not None:
        # Every JSON body is refused the same ways (edocx.web.bodies).
        named += [p for p in _JSON_BODY_PROBLEMS if p not in named]
    if route.parts:
        named += [p for p in _MULTIPART_PROBLEMS if p not in named]
    if route.creates and "storage-full" not in named:
        # Anything stored may meet a full disk (edocx.errors.storage_full).
        named.append("storage-full")
    problem = {
        "description": "a problem: " + ", ".join(named or ("see type",)),
        "content": _PROBLEM_CONTENT,
    }
    answers = {str(route.status): ok, "default": problem}
    if limited:
        answers["429"] = _RATE_LIMITED
    return answers


_PROBLEM_CONTENT = {
    PROBLEM_MEDIA_TYPE: {"schema": {"$ref": _REF.format(model="Problem")}}
}
_RATE_LIMITED: dict[str, Any] = {
    "description": f"{RateLimitedError.code}: more public requests from this"
    " client address than the rate limit allows (ratelimit.public_per_minute"
    " after ratelimit.burst); a caller with a valid token is not limited",
    "headers": {
        "Retry-After": {
            "description": "seconds until the next request is allowed",
            "schema": {"type": "integer", "minimum": 1},
        }
    },
    "content": _PROBLEM_CONTENT,
}


def _problem_types() -> dict[str, dict[str, Any]]:
    found = {
        PROBLEM_BASE + cls.code: {"title": cls.title, "status": cls.status}
        for cls in known_problems()
    }
    for status, (code, title) in HTTP_PROBLEMS.items():
        found.setdefault(PROBLEM_BASE + code, {"title": title, "status": status})
    # Any other refusal aiohttp raises itself carries its own status.
    found.setdefault(
        PROBLEM_BASE + HTTP_ERROR, {"title": "HTTP error", "status": "4xx"}
    )
    return found


@functools.cache
def openapi_json() -> bytes:
    return json.dumps(build_openapi(ROUTES), ensure_ascii=False, indent=1).encode()
