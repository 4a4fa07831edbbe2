"""The worker pool bounds time and memory and survives a bad call."""

from __future__ import annotations

import asyncio
import os
import signal
import time

import pytest

from edocx.config import WorkerSettings
from edocx.errors import (
    InputError,
    ServiceStoppingError,
    WorkerMemoryError,
    WorkerTimeoutError,
)
from edocx.workers.pool import WorkerPool

STARTUP_S = 60


def worker_pid() -> int:
    return os.getpid()


def sleep_for(seconds: float) -> str:
    time.sleep(seconds)
    return "woke"


def allocate(megabytes: int) -> int:
    block = bytearray(megabytes * 1024 * 1024)
    return len(block)


def _wait_until_dead(pid: int) -> None:
    # The pool's own process is the parent: the child is reaped by it.
    for _ in range(500):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.01)
        if not _alive_in_proc(pid):
            return


def _alive_in_proc(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


def refuse(detail: str) -> None:
    raise InputError(detail, hint="send another file")


@pytest.fixture
async def pool():
    settings = WorkerSettings(processes=1, task_timeout_s=2, memory_limit_mb=256)
    pool = WorkerPool(settings)
    await pool.start()
    # Starting Python and importing edocx is not what the 2 s bound is for:
    # on a loaded machine it alone may take that long.
    await pool.run(worker_pid, timeout_s=STARTUP_S)
    yield pool
    await pool.close()


async def test_runs_in_another_process(pool: WorkerPool) -> None:
    assert await pool.run(worker_pid) != os.getpid()


async def test_overrun_is_killed_and_worker_replaced(pool: WorkerPool) -> None:
    first = await pool.run(worker_pid)

    with pytest.raises(WorkerTimeoutError):
        await pool.run(sleep_for, 30)

    # The first call of the fresh worker includes its start.
    assert await pool.run(sleep_for, 0, timeout_s=STARTUP_S) == "woke"
    assert await pool.run(worker_pid) != first


async def test_a_worker_killed_while_idle_is_replaced_before_a_call(
    pool: WorkerPool,
) -> None:
    first = await pool.run(worker_pid)
    os.kill(first, signal.SIGKILL)
    await asyncio.to_thread(_wait_until_dead, first)
    assert pool.census() == (0, 1)

    # The call goes to a fresh worker instead of failing on the dead one.
    assert await pool.run(worker_pid, timeout_s=STARTUP_S) != first
    assert pool.census() == (1, 0)


async def test_memory_bound(pool: WorkerPool) -> None:
    with pytest.raises(WorkerMemoryError):
        await pool.run(allocate, 1024)

    assert await pool.run(allocate, 8) == 8 * 1024 * 1024


async def test_domain_error_crosses_with_hint(pool: WorkerPool) -> None:
    with pytest.raises(InputError) as caught:
        await pool.run(refuse, "bad file")

    assert caught.value.detail == "bad file"
    assert caught.value.hint == "send another file"


async def test_closed_pool_says_the_service_is_stopping() -> None:
    pool = WorkerPool(WorkerSettings(processes=1, task_timeout_s=5))
    await pool.start()
    await pool.close()

    with pytest.raises(ServiceStoppingError) as caught:
        await pool.run(worker_pid)

    assert caught.value.status == 503
