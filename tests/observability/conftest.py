"""A hub of the test PKI for the observability tests, and a closed port."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from edocx.config import Settings
from edocx.pki.devpki import PKILayout
from edocx.pki.server import PKIServerThread
from edocx.web.server import free_loopback_port
from tests.web.hubkit import Hub, hub_settings, running_hub


@pytest.fixture(scope="module")
def module_settings(
    test_settings: Settings,
    dev_pki: PKILayout,
    pki_server: PKIServerThread,
    tmp_path_factory: pytest.TempPathFactory,
) -> Settings:
    return hub_settings(test_settings, tmp_path_factory.mktemp("hub"))


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def hub(module_settings: Settings) -> AsyncIterator[Hub]:
    async with running_hub(module_settings) as running:
        yield running


@pytest.fixture(scope="session")
def pdfs(test_data_dir: Path) -> Path:
    return test_data_dir / "pdf-unsigned"


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on."""
    return free_loopback_port()


@pytest.fixture(scope="session")
def sample_pdf(test_data_dir: Path) -> bytes:
    return (test_data_dir / "pdf-unsigned" / "sample.pdf").read_bytes()
