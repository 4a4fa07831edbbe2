"""The access line: a request's path can forge nothing in the log."""

from __future__ import annotations

import logging

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from edocx.web.server import RedactingAccessLogger


def _line(path: str, caplog: pytest.LogCaptureFixture) -> str:
    logger = logging.getLogger("edocx.test.access")
    access = RedactingAccessLogger(logger, "")
    with caplog.at_level(logging.INFO, logger=logger.name):
        access.log(make_mocked_request("GET", path), web.Response(status=401), 0.001)
    (record,) = caplog.records
    return record.getMessage()


def test_an_encoded_line_break_in_the_path_stays_encoded(
    caplog: pytest.LogCaptureFixture,
) -> None:
    line = _line("/api/v1/documents/x%0a2026-12-05%20FAKE%20CRITICAL/pdf", caplog)

    assert "\n" not in line
    assert "/api/v1/documents/x%0a2026-12-05%20FAKE%20CRITICAL/pdf" in line


def test_query_values_are_left_out(caplog: pytest.LogCaptureFixture) -> None:
    line = _line("/api/v1/me?token=s3cr3t-value&page=2", caplog)

    assert "s3cr3t-value" not in line
    assert "/api/v1/me?page&token" in line
