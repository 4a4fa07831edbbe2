"""Fixtures of the fault tests: a scratch hub's settings, a push receiver."""

from __future__ import annotations

from pathlib import Path

import pytest

from edocx.config import Settings
from edocx.pki.devpki import PKILayout
from edocx.pki.server import PKIServerThread
from tests.delivery.conftest import delivery_settings
from tests.delivery.receiver import PushCA, make_push_ca
from tests.web.hubkit import hub_settings


@pytest.fixture(scope="module")
def push_ca(tmp_path_factory: pytest.TempPathFactory) -> PushCA:
    return make_push_ca(tmp_path_factory.mktemp("push-tls"))


@pytest.fixture
def scratch_settings(
    test_settings: Settings,
    dev_pki: PKILayout,
    pki_server: PKIServerThread,
    tmp_path: Path,
    push_ca: PushCA,
) -> Settings:
    """A hub of its own var dir, pushing to loopback, the run's PKI."""
    base = hub_settings(test_settings, tmp_path / "var")
    push = delivery_settings(push_ca, push_backoff_initial_s=0.2)
    return base.model_copy(update={"delivery": push})


@pytest.fixture(scope="session")
def sample_pdf(test_data_dir: Path) -> bytes:
    return (test_data_dir / "pdf-unsigned" / "sample.pdf").read_bytes()
