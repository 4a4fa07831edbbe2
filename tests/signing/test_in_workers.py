"""The pipeline as the hub runs it: in spawned worker processes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from edocx.config import Settings
from edocx.errors import PDFUnusableError
from edocx.signing import prepare_draft, sign_personal
from edocx.signing.issue import PERSONAL_FIELD
from edocx.workers.pool import WorkerPool
from tests.signing import pdfcheck
from tests.signing.conftest import JobFactory


@pytest.fixture
async def pool(test_settings: Settings) -> AsyncIterator[WorkerPool]:
    workers = WorkerPool(test_settings.workers.model_copy(update={"processes": 1}))
    await workers.start()
    yield workers
    await workers.close()


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
