"""Carry the log lines of a worker process to the hub's own handlers.

A spawned worker starts with no logging configured: its lines would reach
stderr raw, without time, level or logger, and pyHanko's routine notes with
them. Instead each worker sends its records up the pipe it answers on, as
``(LOG, fields)`` messages between the outcomes, and the parent hands them
to its logger of the same name, whose handlers format them as the parent's
own lines (text or JSON). One pipe per worker: a worker killed mid-line
garbles only its own pipe, which dies with it.

A worker whose pipe is gone (the hub died or was killed alone) ends at
once, saying so in one line on stderr: nothing it does can reach anyone.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from typing import Any, NoReturn

from edocx.logsetup import LIBRARY_LOGGERS

LOG = "log"

# The loggers whose levels a worker copies from the parent when it starts,
# so that it sends only the lines the parent would write.
MIRRORED = ("edocx", *LIBRARY_LOGGERS)

_PLAIN = (str, int, float, bool, type(None))

# What a send on a pipe whose other end is closed raises.
PIPE_GONE = (BrokenPipeError, ConnectionResetError)

# Held by the thread that ends the worker: one line, even when two threads
# learn at once that the hub is gone.
_LEAVING = threading.Lock()


def parent_levels() -> dict[str, int]:
    """Return the effective levels of the mirrored loggers, in the parent."""
    return {name: logging.getLogger(name).getEffectiveLevel() for name in MIRRORED}


class RelayHandler(logging.Handler):
    """Send each record as plain fields through ``send`` (in a worker)."""

    def __init__(self, send: Callable[[tuple[str, Any]], None]) -> None:
        super().__init__()
        self._send = send

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self._send((LOG, portable(record)))
        except PIPE_GONE:
            # Not handleError: its traceback would repeat for every line
            # the rest of the call logs, for no reader.
            exit_hub_gone()
        except Exception:
            self.handleError(record)


def install_relay(
    send: Callable[[tuple[str, Any]], None], levels: dict[str, int]
) -> None:
    """Route every record of this worker to ``send``, at the parent's levels."""
    root = logging.getLogger()
    root.handlers[:] = [RelayHandler(send)]
    for name, level in levels.items():
        logger = logging.getLogger(name)
        logger.setLevel(level)
        logger.propagate = True


def portable(record: logging.LogRecord) -> dict[str, Any]:
    """Return the record's fields that cross a pipe: the message made, the
    traceback as text, plain values only (``extra`` ids among them)."""
    fields = dict(record.__dict__)
    fields["msg"] = record.getMessage()
    fields["args"] = None
    if record.exc_info and not record.exc_text:
        fields["exc_text"] = logging.Formatter().formatException(record.exc_info)
    fields["exc_info"] = None
    return {key: value for key, value in fields.items() if isinstance(value, _PLAIN)}


def relay(fields: dict[str, Any]) -> None:
    """Hand a worker's record to this process's logger of the same name."""
    record = logging.makeLogRecord(fields)
    logger = logging.getLogger(record.name)
    if logger.isEnabledFor(record.levelno):
        logger.handle(record)


class SendLock:
    """Serialise the sends of a worker's outcomes and log lines on one pipe."""

    def __init__(self, send: Callable[[Any], None]) -> None:
        self._send = send
        self._lock = threading.RLock()

    def __call__(self, message: Any) -> None:
        with self._lock:
            self._send(message)


def exit_hub_gone() -> NoReturn:
    """End this worker now, with one line on stderr: its hub is gone.

    The call under way is dropped: its outcome has nowhere to go. Nothing
    is left to clean up that the end of the process does not release.
    """
    with _LEAVING:
        line = f"edocx worker {os.getpid()}: the hub is gone; exiting\n"
        try:
            os.write(2, line.encode())
        except OSError:
            pass  # stderr went with the hub
        os._exit(0)
