"""Refusals of POST /api/v1/verify say what is wrong in words, not in code."""

from __future__ import annotations

import re

import pytest

from .hubkit import Hub, problem

pytestmark = pytest.mark.asyncio(loop_scope="module")

VERIFY = "/api/v1/verify"
# A Python exception's class name, e.g. "ValueError" or "InvalidHeader".
CLASS_NAME = re.compile(r"\b[A-Z][a-z]+(?:[A-Z][a-z]+)+\b|\b\w+Error\b")


@pytest.mark.parametrize(
    "body",
    [
        b'--b\r\nContent-Disposition: form-data; name="file"\r\n\r\n%PDF',
        b"--b\r\nno header separator\r\n--b--\r\n",
        b"--other\r\n\r\n--other--\r\n",
    ],
)
async def test_a_malformed_multipart_body_is_described_in_words(
    hub: Hub, body: bytes
) -> None:
    response = await hub.client.post(
        VERIFY,
        data=body,
        headers={"Content-Type": "multipart/form-data; boundary=b"},
    )

    found = await problem(response, 400, "request-invalid")
    assert "multipart/form-data" in found["detail"]
    assert CLASS_NAME.search(found["detail"]) is None, found["detail"]
