"""A hub that dies while its workers work: ``python -m tests.workers.hubgone``.

It starts a pool of three workers, gives one a call that logs a line every
50 ms for 30 s, one a call that sleeps 30 s in silence and leaves the third
idle, says ``calling`` on stdout and kills itself with SIGKILL 0.3 s later,
as a crashed hub goes. Its workers, left behind, write to the same stderr.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import time

from edocx.config import WorkerSettings
from edocx.workers.pool import WorkerPool

logger = logging.getLogger("edocx.tests.hubgone")


def work(chatty: bool) -> str:
    end = time.monotonic() + 30.0
    while time.monotonic() < end:
        if chatty:
            logger.info("still working")
        time.sleep(0.05)
    return "done"


async def main() -> None:
    pool = WorkerPool(WorkerSettings(processes=3, task_timeout_s=60))
    await pool.start()
    await asyncio.gather(*(pool.run(os.getpid) for _ in range(3)))

    calls = [asyncio.create_task(pool.run(work, chatty)) for chatty in (True, False)]
    print("calling", flush=True)
    await asyncio.sleep(0.3)
    os.kill(os.getpid(), signal.SIGKILL)
    await asyncio.gather(*calls)


if __name__ == "__main__":
    # The workers send their INFO lines only if the hub writes them somewhere.
    logging.basicConfig(level=logging.INFO, handlers=[logging.NullHandler()])
    asyncio.run(main())
