"""The shared edXML sample packets (EDOCX_TEST_DATA/edxml)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def edxml_dir(test_data_dir: Path) -> Path:
    path = test_data_dir / "edxml"
    if not path.is_dir():
        pytest.skip(f"no edxml/ folder in the test data at {test_data_dir}")
    return path
