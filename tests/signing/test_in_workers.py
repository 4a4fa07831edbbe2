"""The pipeline as the hub runs it: in spawned worker processes."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
from collections.abc import AsyncIterator, Awaitable
from pathlib import Path
from typing import TypeVar

import pytest

from edocx.config import Settings
from edocx.errors import PDFUnusableError, WorkerError
from edocx.exchange.compute import Compute, SigningSetup
from edocx.pki.devpki import PKILayout
from edocx.signing import prepare_draft, sign_personal
from edocx.signing.issue import PERSONAL_FIELD
from edocx.workers.pool import WorkerPool
from tests.signing import pdfcheck
from tests.signing.conftest import JobFactory

T = TypeVar("T")


@pytest.fixture
async def pool(test_settings: Settings) -> AsyncIterator[WorkerPool]:
    workers = WorkerPool(test_settings.workers.model_copy(update={"processes": 1}))
    await workers.start()
    yield workers
    await workers.close()


@pytest.fixture
async def compute(
    test_settings: Settings, dev_pki: PKILayout, passphrase: bytes
) -> AsyncIterator[tuple[Compute, set[int]]]:
    """The hub's door to a one-process pool, and the processes alive before it."""
    before = {p.pid for p in multiprocessing.active_children() if p.pid}
    workers = WorkerPool(test_settings.workers.model_copy(update={"processes": 1}))
    await workers.start()
    yield (
        Compute(workers, SigningSetup.from_settings(test_settings, passphrase)),
        before,
    )
    await workers.close()


async def crashing_during(call: Awaitable[T], before: set[int]) -> T:
    """Await ``call`` while the pool's worker dies under it (a native crash).

    The worker is frozen first, so that the call reaches it and waits (a
    dead idle worker would be replaced before any call), then killed.
    """
    mine = [p for p in multiprocessing.active_children() if p.pid not in before]
    assert len(mine) == 1 and mine[0].pid is not None
    os.kill(mine[0].pid, signal.SIGSTOP)
    running = asyncio.ensure_future(call)
    await asyncio.sleep(0.5)
    mine[0].kill()
    mine[0].join(timeout=5)
    return await running


async def test_pipeline_runs_in_a_worker(
    pool: WorkerPool, jobs: JobFactory, unsigned_dir: Path
) -> None:
    corrupted = (unsigned_dir / "EmptyPage-corrupted.pdf").read_bytes()
    with pytest.raises(PDFUnusableError) as caught:
        await pool.run(prepare_draft, corrupted, None)
    assert caught.value.hint

    draft = await pool.run(
        prepare_draft, (unsigned_dir / "sample.pdf").read_bytes(), None
    )
    signed = await pool.run(sign_personal, draft.pdf, jobs.personal("doc-worker"))

    # pyHanko's synchronous validation runs its own event loop: not on ours.
    reader = pdfcheck.read(signed)
    status = await asyncio.to_thread(
        pdfcheck.validate,
        pdfcheck.signature(reader, PERSONAL_FIELD),
        jobs.pki.root_cert_path,
    )
    pdfcheck.assert_passes(status)


async def test_worker_crash_on_an_upload_is_a_client_error(
    compute: tuple[Compute, set[int]], unsigned_dir: Path
) -> None:
    door, before = compute
    pdf = (unsigned_dir / "sample.pdf").read_bytes()

    with pytest.raises(PDFUnusableError) as prepared:
        await crashing_during(door.prepare(pdf, None), before)
    with pytest.raises(PDFUnusableError) as verified:
        await crashing_during(door.verify(pdf), before)

    for caught in (prepared, verified):
        assert caught.value.status == 422
        assert caught.value.detail == "the PDF could not be processed"
        assert type(caught.value.__cause__) is WorkerError
    # The pool replaced the worker it lost.
    assert (await door.prepare(pdf, None)).page_count == 1


async def test_worker_crash_on_the_hubs_own_document_stays_a_server_error(
    compute: tuple[Compute, set[int]], unsigned_dir: Path
) -> None:
    door, before = compute
    pdf = (unsigned_dir / "sample.pdf").read_bytes()

    with pytest.raises(WorkerError) as caught:
        await crashing_during(door.verify(pdf, own_document=True), before)

    assert caught.value.status >= 500
