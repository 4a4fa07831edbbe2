"""A worker's log lines reach the hub's handler in the hub's own format."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from edocx.config import WorkerSettings
from edocx.logsetup import LIBRARY_LOGGERS, configure_logging
from edocx.workers.pool import WorkerPool

TEXT_LINE = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (?P<level>[A-Z]+) (?P<name>\S+): "
    r"(?P<message>.*)$"
)
CONFIGURED = ("edocx", "aiohttp.access", *LIBRARY_LOGGERS)


def log_downgrade(document_id: str) -> bool:
    """Log as the signing code does, in the worker."""
    logging.getLogger("edocx.signing.probe").warning(
        "document %s signed at B-B", document_id, extra={"document_id": document_id}
    )
    return True


def read_foreign_pdf(path: Path) -> int:
    """Read every signature's revision of a foreign file, as verification does.

    pyHanko warns on this file that an object is missing from a revision.
    """
    from edocx.verification import VerifyOptions, verify_pdf

    report = verify_pdf(
        path.read_bytes(), VerifyOptions(trust_root_paths=(), allow_fetching=False)
    )
    return len(report.signatures)


@pytest.fixture
def restore_loggers() -> Iterator[None]:
    saved = [
        (logger, logger.handlers[:], logger.level, logger.propagate)
        for logger in map(logging.getLogger, CONFIGURED)
    ]
    yield
    for logger, handlers, level, propagate in saved:
        logger.handlers[:] = handlers
        logger.setLevel(level)
        logger.propagate = propagate


async def _pool_run(fn: object, *args: object) -> object:
    pool = WorkerPool(WorkerSettings(processes=1, task_timeout_s=60))
    await pool.start()
    try:
        return await pool.run(fn, *args)  # type: ignore[arg-type]
    finally:
        await pool.close()


async def test_a_worker_line_is_written_as_the_parents(
    restore_loggers: None, capfd: pytest.CaptureFixture[str]
) -> None:
    configure_logging("INFO")
    logging.getLogger("edocx.signing.here").info("a line of the parent")

    assert await _pool_run(log_downgrade, "doc-7")

    lines = capfd.readouterr().err.splitlines()
    matched = [TEXT_LINE.match(line) for line in lines]
    assert all(matched), lines
    found = {(m["level"], m["name"], m["message"]) for m in matched if m}
    assert ("INFO", "edocx.signing.here", "a line of the parent") in found
    assert ("WARNING", "edocx.signing.probe", "document doc-7 signed at B-B") in found


async def test_a_worker_line_is_json_when_the_parent_writes_json(
    restore_loggers: None, capfd: pytest.CaptureFixture[str]
) -> None:
    configure_logging("INFO", as_json=True)

    assert await _pool_run(log_downgrade, "doc-8")

    entries = [json.loads(line) for line in capfd.readouterr().err.splitlines()]
    probe = [e for e in entries if e["logger"] == "edocx.signing.probe"]
    assert len(probe) == 1, entries
    assert probe[0]["level"] == "WARNING"
    assert probe[0]["document_id"] == "doc-8"
    assert probe[0]["at"].endswith("+00:00")


@pytest.mark.parametrize("level", ["INFO", "DEBUG"])
async def test_pyhanko_routine_notes_are_ours_and_debug_only(
    restore_loggers: None,
    capfd: pytest.CaptureFixture[str],
    test_data_dir: Path,
    level: str,
) -> None:
    pdf = test_data_dir / "dss-pdf" / "AD-RB.pdf"
    if not pdf.is_file():
        pytest.skip(f"{pdf} is not there (set EDOCX_TEST_DATA)")
    configure_logging(level)

    assert await _pool_run(read_foreign_pdf, pdf)

    lines = capfd.readouterr().err.splitlines()
    notes = [line for line in lines if "Could not find object" in line]
    # Never raw: every line carries time, level and logger.
    assert all(TEXT_LINE.match(line) for line in lines), lines
    if level == "INFO":
        assert notes == []
    else:
        assert notes, lines
        assert all(" DEBUG pyhanko." in line for line in notes), notes
