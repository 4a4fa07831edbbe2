"""Fixtures shared by the whole suite: settings, the test PKI and its services.

One development PKI is made per test run, in a temporary directory, for a
free loopback port; its OCSP, CRL and RFC 3161 services run for the whole
run on the address its certificates name.
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import pytest_asyncio

from edocx.config import Settings
from edocx.demo.agencies import demo_subscribers
from edocx.pki.devpki import PKILayout, init_pki, load_architecture, tsa_url
from edocx.pki.server import PKIServerThread
from edocx.pki.softhsm import find_module
from edocx.signing import asn1fix
from edocx.web.server import free_loopback_port
from tests.pki.devtoken import DevToken, make_dev_token
from tests.signing.conftest import JobFactory
from tests.web.hubkit import Hub, hub_settings, running_hub

REPO_ROOT = Path(__file__).resolve().parent.parent
TEST_PASSPHRASE = b"test passphrase, not a secret"


def _data_dir() -> Path:
    default = REPO_ROOT.parent / "shared" / "data"
    return Path(os.environ.get("EDOCX_TEST_DATA", default))


def pytest_report_header() -> str:
    data = _data_dir()
    if data.is_dir():
        return f"edocx test data: {data}"
    return (
        f"edocx test data: NOT FOUND at {data}; the tests on real PDFs will be "
        "skipped (set EDOCX_TEST_DATA)"
    )


def free_port() -> int:
    return free_loopback_port()


@pytest.fixture(scope="session")
def test_data_dir() -> Path:
    """The shared real-world inputs (EDOCX_TEST_DATA, default ../shared/data)."""
    path = _data_dir()
    if not path.is_dir():
        pytest.skip(f"test data not found at {path} (set EDOCX_TEST_DATA)")
    return path


@pytest.fixture(scope="session")
def passphrase() -> bytes:
    return TEST_PASSPHRASE


@pytest.fixture(scope="session")
def pki_port() -> int:
    return free_port()


@pytest.fixture(scope="session")
def test_settings(tmp_path_factory: pytest.TempPathFactory, pki_port: int) -> Settings:
    """Settings for the run: a temporary var dir and a loopback public URL."""
    var = tmp_path_factory.mktemp("var")
    passphrase_file = var / "key-passphrase"
    passphrase_file.write_bytes(TEST_PASSPHRASE)
    return Settings(
        demo=True,
        http={
            "host": "127.0.0.1",
            "port": pki_port,
            "public_url": f"http://127.0.0.1:{pki_port}/",
        },
        storage={"var_dir": var},
        pki={"dir": var / "pki", "template": REPO_ROOT / "certs/edocx-dev-pki.yml"},
        keys={"passphrase_file": passphrase_file},
        workers={"processes": 2, "task_timeout_s": 60, "memory_limit_mb": 1536},
    )


@pytest.fixture(scope="session")
def dev_pki(test_settings: Settings, passphrase: bytes) -> PKILayout:
    return init_pki(test_settings, passphrase, demo_subscribers(), at=datetime.now(UTC))


@pytest.fixture(scope="session")
def pki_server(
    dev_pki: PKILayout, test_settings: Settings, passphrase: bytes
) -> Iterator[PKIServerThread]:
    """OCSP, CRL and TSA on the address the test certificates name."""
    arch = load_architecture(test_settings, passphrase)
    server = PKIServerThread(arch, test_settings.pki_url)
    server.start()
    yield server
    server.stop()


# A hub per test module, on a free loopback port, against the session's PKI;
# a folder's own conftest overrides module_settings for its configuration.
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


@pytest.fixture(scope="session")
def dev_token(
    tmp_path_factory: pytest.TempPathFactory, dev_pki: PKILayout, passphrase: bytes
) -> Iterator[DevToken]:
    """A SoftHSM2 token with development keys; SOFTHSM2_CONF names it meanwhile."""
    module = find_module()
    if module is None:
        reason = "SoftHSM2 is not installed (Debian: softhsm2; scripts/test adds it)"
        # CI installs it, so there a missing module is a broken machine.
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    token = make_dev_token(
        module, tmp_path_factory.mktemp("softhsm"), dev_pki, passphrase
    )
    before = os.environ.get("SOFTHSM2_CONF")
    os.environ["SOFTHSM2_CONF"] = str(token.conf_path)
    yield token
    if before is None:
        os.environ.pop("SOFTHSM2_CONF", None)
    else:
        os.environ["SOFTHSM2_CONF"] = before


@pytest.fixture(scope="session")
def jobs(
    dev_pki: PKILayout,
    pki_server: PKIServerThread,
    passphrase: bytes,
    test_settings: Settings,
) -> JobFactory:
    """Signing jobs with the test PKI's keys and TSA, for any test folder."""
    return JobFactory(dev_pki, passphrase, tsa_url(test_settings))


@pytest.fixture(autouse=True)
def library_encoder() -> Iterator[None]:
    """Start every test with asn1crypto's own ``dump``.

    ``edocx.cli.main`` installs the correction for its whole process, as the
    command does; a test that calls it must not change what later tests see.
    """
    yield
    asn1fix.uninstall()


class _Collected(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@pytest.fixture(autouse=True)
def answers_kept_with_their_change() -> Iterator[None]:
    """Fail a test in which a handler's answer missed its change's transaction.

    A handler that says how its answer is made (``answering``) has its
    change hand the result over in the transaction that completes it; one
    that does not leaves a key a stop would turn into a rerun.
    """
    collected = _Collected()
    watched = logging.getLogger("edocx.web.idempotency")
    watched.addHandler(collected)
    try:
        yield
    finally:
        watched.removeHandler(collected)
    missed = [m for m in collected.messages if "not kept with its change" in m]
    assert not missed, missed
