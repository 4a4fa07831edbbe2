"""The shared edXML sample packets (EDOCX_TEST_DATA/edxml)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from edocx.config import Settings
from edocx.pki.devpki import PKILayout
from edocx.pki.server import PKIServerThread
from tests.web.hubkit import Hub, hub_settings, running_hub


@pytest.fixture(scope="session")
def edxml_dir(test_data_dir: Path) -> Path:
    path = test_data_dir / "edxml"
    if not path.is_dir():
        pytest.skip(f"no edxml/ folder in the test data at {test_data_dir}")
    return path


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
