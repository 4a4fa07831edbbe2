"""Problem responses carry the headers a client acts on."""

from __future__ import annotations

import json

from edocx.web.problems import (
    IdempotencyKeyInUseError,
    UnauthenticatedError,
    error_response,
)


def test_a_key_in_use_says_when_to_retry() -> None:
    response = error_response(IdempotencyKeyInUseError("still running"))
    assert response.status == 409
    assert response.headers["Retry-After"] == "1"
    assert isinstance(response.body, bytes)
    assert json.loads(response.body)["type"].endswith("/idempotency-key-in-use")


def test_other_problems_carry_no_retry_after() -> None:
    response = error_response(UnauthenticatedError("no token"))
    assert "Retry-After" not in response.headers
    assert response.headers["WWW-Authenticate"] == "Bearer"
