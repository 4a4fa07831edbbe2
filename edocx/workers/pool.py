"""A pool of worker processes with a time and a memory bound per call.

``concurrent.futures.ProcessPoolExecutor`` cannot stop a call that runs too
long: the pool here kills the worker that overruns and starts a fresh one,
so one hostile file costs at most ``task_timeout_s`` of one core. Workers
are started with the ``spawn`` method: forking a process that runs an event
loop and threads copies their locks in whatever state they are. A worker's
log lines come back on its pipe and are written here (``logrelay``).
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import multiprocessing.connection
from collections.abc import Callable
from multiprocessing.process import BaseProcess
from typing import Any, TypeVar

from edocx.config import WorkerSettings
from edocx.errors import (
    EdocxError,
    ServiceStoppingError,
    WorkerError,
    WorkerMemoryError,
    WorkerTimeoutError,
)
from edocx.workers import child
from edocx.workers.logrelay import LOG, parent_levels, relay

logger = logging.getLogger(__name__)

T = TypeVar("T")
_ctx = multiprocessing.get_context("spawn")


class _Worker:
    """One child process and the parent's end of its pipe."""

    def __init__(self, memory_limit_bytes: int) -> None:
        parent_end, child_end = _ctx.Pipe()
        self.conn = parent_end
        self.process: BaseProcess = _ctx.Process(
            target=child.serve,
            args=(child_end, memory_limit_bytes, parent_levels()),
            daemon=True,
            name="edocx-worker",
        )
        self.process.start()
        child_end.close()

    def call(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> Any:
        """Send one call and wait for its outcome (blocking: run in a thread).

        The worker's log lines that arrive before the outcome are written
        on the way.
        """
        self.conn.send((fn, args))
        while True:
            message = self.conn.recv()
            if message[0] != LOG:
                return message
            relay(message[1])

    def kill(self) -> None:
        self.process.kill()
        self.process.join(timeout=5)
        self.conn.close()


class WorkerPool:
    """Run picklable top-level functions in bounded worker processes."""

    def __init__(self, settings: WorkerSettings) -> None:
        self._settings = settings
        self._memory = settings.memory_limit_mb * 1024 * 1024
        self._idle: asyncio.Queue[_Worker] = asyncio.Queue()
        self._all: set[_Worker] = set()
        self._closed = False

    @property
    def size(self) -> int:
        return self._settings.processes

    async def start(self) -> None:
        for _ in range(self._settings.processes):
            worker = await asyncio.to_thread(_Worker, self._memory)
            self._all.add(worker)
            self._idle.put_nowait(worker)
        logger.info("started %d worker processes", self._settings.processes)

    async def run(
        self, fn: Callable[..., T], *args: Any, timeout_s: float | None = None
    ) -> T:
        """Run ``fn(*args)`` in a worker; raise what it raised, bounded.

        ``timeout_s`` replaces the pool's time bound for this call.
        """
        if self._closed:
            raise ServiceStoppingError("the worker pool is closed")
        bound = timeout_s or self._settings.task_timeout_s
        worker = await self._take()
        try:
            outcome = await asyncio.wait_for(
                asyncio.to_thread(worker.call, fn, args), timeout=bound
            )
        except TimeoutError:
            await self._replace(worker)
            raise WorkerTimeoutError(f"processing exceeded {bound:g} s") from None
        except (EOFError, OSError, BrokenPipeError) as e:
            await self._replace(worker)
            if self._closed:
                raise ServiceStoppingError("the service stopped during the call") from e
            raise WorkerError("a worker process died during the call") from e
        except BaseException:
            await self._replace(worker)
            raise
        self._idle.put_nowait(worker)
        return _unwrap(outcome, fn)  # type: ignore[no-any-return]

    async def _take(self) -> _Worker:
        # A worker killed while idle is found here, before a call (an issue
        # with its reserved number, say) is lost on it.
        while True:
            worker = await self._idle.get()
            if worker.process.is_alive():
                return worker
            await self._replace(worker)

    async def _replace(self, worker: _Worker) -> None:
        self._all.discard(worker)
        await asyncio.to_thread(worker.kill)
        if self._closed:
            return
        fresh = await asyncio.to_thread(_Worker, self._memory)
        self._all.add(fresh)
        self._idle.put_nowait(fresh)
        logger.warning(
            "replaced a worker process (exit code %s)", worker.process.exitcode
        )

    def census(self) -> tuple[int, int]:
        """Return how many of the pool's processes are alive, and how many dead.

        A worker that died while idle (killed from outside) stays in the
        pool until a call would pick it, which replaces it first; a health
        check sees it here before that.
        """
        alive = sum(1 for worker in self._all if worker.process.is_alive())
        return alive, len(self._all) - alive

    async def close(self) -> None:
        self._closed = True
        workers, self._all = self._all, set()
        for worker in workers:
            await asyncio.to_thread(worker.kill)


def _unwrap(outcome: tuple[str, Any], fn: Callable[..., Any]) -> Any:
    kind, value = outcome
    if kind == "ok":
        return value
    if kind == "memory":
        raise WorkerMemoryError("processing needed more memory than allowed")
    if kind == "error" and isinstance(value, EdocxError):
        raise value
    raise WorkerError(f"worker call failed: {value}")
