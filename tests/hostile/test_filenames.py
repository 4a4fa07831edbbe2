"""What makes a file name unsafe to hand on (edocx.filenames)."""

from __future__ import annotations

import pytest

from edocx.filenames import unsafe_file_name
from tests.hostile.test_names import SAFE, UNSAFE


@pytest.mark.parametrize("name", UNSAFE, ids=repr)
def test_unsafe_name_is_told(name: str) -> None:
    assert unsafe_file_name(name) is not None


@pytest.mark.parametrize("name", SAFE)
def test_plain_name_passes(name: str) -> None:
    assert unsafe_file_name(name) is None
