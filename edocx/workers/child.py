"""The loop a worker process runs: receive a call, run it, send the outcome.

Runs in the child process only. The address-space limit turns a hostile
document's runaway allocation into a ``MemoryError`` here instead of taking
the machine down. Log lines go up the same pipe (``logrelay``). A worker
ends as soon as its hub is gone, idle or in the middle of a call: nothing
else would stop a call left without its hub's time bound.
"""

from __future__ import annotations

import logging
import multiprocessing
import pickle
import resource
import signal
import threading
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection, wait
from typing import Any

from edocx.errors import EdocxError
from edocx.signing.asn1fix import install as install_asn1_correction
from edocx.workers.logrelay import PIPE_GONE, SendLock, exit_hub_gone, install_relay

logger = logging.getLogger(__name__)

Outcome = tuple[str, Any]


def serve(
    conn: Connection, memory_limit_bytes: int, log_levels: dict[str, int]
) -> None:
    """Answer calls on ``conn`` until the parent closes it.

    ``log_levels`` are the parent's levels of the loggers it writes.
    """
    # The parent handles Ctrl-C; a worker must not die mid-call on SIGINT.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _watch_hub()
    send = SendLock(conn.send)
    install_relay(send, log_levels)
    _limit_memory(memory_limit_bytes)
    # Signing and timestamping here: asn1crypto's encoder, corrected.
    install_asn1_correction()

    while True:
        try:
            fn, args = conn.recv()
        except (EOFError, OSError):
            return  # the hub closed the pipe, or died between calls
        outcome = _call(fn, args)
        try:
            send(outcome)
        except PIPE_GONE:
            exit_hub_gone()


def _watch_hub() -> None:
    hub = multiprocessing.parent_process()
    if hub is None:
        return
    # The sentinel becomes ready when the hub's process is gone, whatever
    # this worker is doing.
    watcher = threading.Thread(
        target=_exit_when_gone, args=(hub.sentinel,), name="hub-watch", daemon=True
    )
    watcher.start()


def _exit_when_gone(sentinel: int) -> None:
    wait([sentinel])
    exit_hub_gone()


def _limit_memory(limit: int) -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _call(fn: Callable[..., Any], args: tuple[Any, ...]) -> Outcome:
    try:
        return ("ok", fn(*args))
    except MemoryError:
        return ("memory", None)
    except EdocxError as e:
        return ("error", _picklable(e))
    except Exception as e:
        logger.error("worker call %s failed:\n%s", _name(fn), traceback.format_exc())
        return ("crash", f"{type(e).__name__} in {_name(fn)}")


def _picklable(error: EdocxError) -> EdocxError | str:
    try:
        pickle.loads(pickle.dumps(error))
    except Exception:
        return f"{type(error).__name__}: {error.detail}"
    return error


def _name(fn: Callable[..., Any]) -> str:
    return getattr(fn, "__qualname__", repr(fn))
