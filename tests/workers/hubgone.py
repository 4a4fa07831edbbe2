"""A hub that dies during a worker's call: ``python -m tests.workers.hubgone``.

It starts a pool of one worker, lets it run ``work`` (which logs a line
every 50 ms for 30 s when ``chatty``, else sleeps 1 s and logs nothing),
says ``calling`` on stdout and kills itself with SIGKILL 0.3 s later, as a
crashed hub would go. Its worker, left behind, writes to the same stderr.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
import time

from edocx.config import WorkerSettings
from edocx.workers.pool import WorkerPool

logger = logging.getLogger("edocx.tests.hubgone")


def work(chatty: bool) -> str:
    end = time.monotonic() + (30.0 if chatty else 1.0)
    while time.monotonic() < end:
        if chatty:
            logger.info("still working")
        time.sleep(0.05)
    return "done"


async def main(chatty: bool) -> None:
    pool = WorkerPool(WorkerSettings(processes=1, task_timeout_s=60))
    await pool.start()
    await pool.run(os.getpid)

    call = asyncio.create_task(pool.run(work, chatty))
    print("calling", flush=True)
    await asyncio.sleep(0.3)
    os.kill(os.getpid(), signal.SIGKILL)
    await call


if __name__ == "__main__":
    # The worker sends its INFO lines only if the hub writes them somewhere.
    logging.basicConfig(level=logging.INFO, handlers=[logging.NullHandler()])
    asyncio.run(main(sys.argv[1:] == ["chatty"]))
