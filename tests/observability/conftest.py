"""A closed port and a sample PDF for the observability tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from edocx.web.server import free_loopback_port


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on."""
    return free_loopback_port()


@pytest.fixture(scope="session")
def sample_pdf(test_data_dir: Path) -> bytes:
    return (test_data_dir / "pdf-unsigned" / "sample.pdf").read_bytes()
