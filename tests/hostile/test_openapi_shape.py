"""The OpenAPI document the fuzzing reads declares what its paths take."""

from __future__ import annotations

import re

import pytest

from edocx.web.openapi import build_openapi
from edocx.web.table import ROUTES

DOCUMENT = build_openapi(ROUTES)
OPERATIONS = [
    (method.upper(), path, operation)
    for path, methods in DOCUMENT["paths"].items()
    for method, operation in methods.items()
]


@pytest.mark.parametrize(
    ("method", "path", "operation"), OPERATIONS, ids=lambda v: str(v)[:40]
)
def test_every_path_parameter_is_declared(
    method: str, path: str, operation: dict[str, object]
) -> None:
    declared = {
        p["name"]
        for p in operation.get("parameters", [])  # type: ignore[attr-defined]
        if p["in"] == "path"
    }

    assert declared == set(re.findall(r"\{(\w+)\}", path)), (method, path)


@pytest.mark.parametrize(
    ("method", "path", "operation"),
    [op for op in OPERATIONS if "multipart/form-data" in str(op[2])],
    ids=lambda v: str(v)[:40],
)
def test_multipart_operations_name_the_file_name_refusal(
    method: str, path: str, operation: dict[str, object]
) -> None:
    described = str(operation["responses"])

    assert "file-name-unsafe" in described, (method, path)
