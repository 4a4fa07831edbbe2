"""Every package of edocx can be the first one a program imports.

A cycle between packages shows only in a fresh interpreter that imports
one of them first (the verifier and the signing package read each other's
small modules); each package is imported alone in its own process.
"""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import pytest

import edocx
from tests.conftest import REPO_ROOT

PACKAGES = sorted(
    f"edocx.{info.name}" for info in pkgutil.iter_modules(edocx.__path__) if info.ispkg
)


@pytest.mark.parametrize("package", PACKAGES)
def test_a_package_imported_first_loads(package: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", f"import {package}"],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip

    assert done.returncode == 0, done.stderr[-2000:]
