"""Configure the ``edocx`` logger (never the root logger).

One handler writes every line the hub logs, in one format: edocx's own
loggers, aiohttp's access log and pyHanko's loggers, in this process and,
relayed by ``edocx.workers.logrelay``, in the worker processes. pyHanko's
routine notes (``ROUTINE_NOTES``) are lowered to DEBUG on the way.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

from edocx.observability.context import RequestIdFilter

LIBRARY_LOGGERS = ("pyhanko", "pyhanko_certvalidator")

# Messages pyHanko logs as warnings although nothing is wrong for the hub:
# the soft-fail note of every B-LT signature, and a foreign file's object
# missing from an older revision (the verification report says what
# matters of it).
ROUTINE_NOTES = (
    "Revocation mode is set to soft-fail",
    "Could not find object",
)


class JSONLineFormatter(logging.Formatter):
    """One JSON object per line, for collectors."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "at": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in ("request_id", "document_id", "agency"):
            value = getattr(record, key, None)
            if value is not None:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            # A record relayed from a worker carries its traceback as text.
            entry["exception"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False)


class TextLineFormatter(logging.Formatter):
    """Time, level, logger and message; the request id when there is one."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802
        line = super().formatMessage(record)
        request_id = getattr(record, "request_id", None)
        return line if request_id is None else f"{line} [request {request_id}]"


class RoutineNotesFilter(logging.Filter):
    """Lower pyHanko's routine notes to DEBUG; keep them only when debugging."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.name.startswith(LIBRARY_LOGGERS):
            return True
        if not str(record.msg).startswith(ROUTINE_NOTES):
            return True
        record.levelno = logging.DEBUG
        record.levelname = logging.getLevelName(logging.DEBUG)
        return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)


def configure_logging(level: str = "INFO", *, as_json: bool = False) -> None:
    """Send edocx's and pyHanko's log lines to stderr, from ``level`` on.

    pyHanko's loggers speak from WARNING on, or from DEBUG when ``level``
    is DEBUG.
    """
    handler = logging.StreamHandler(sys.stderr)
    if as_json:
        handler.setFormatter(JSONLineFormatter())
    else:
        handler.setFormatter(TextLineFormatter())
    handler.addFilter(RoutineNotesFilter())
    handler.addFilter(RequestIdFilter())
    threshold = _level_number(level)
    for name in ("edocx", "aiohttp.access", *LIBRARY_LOGGERS):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(threshold)
        logger.propagate = False
    if threshold != logging.DEBUG:
        _set_library_level(max(threshold, logging.WARNING))


def quiet_library_loggers(log_level: str) -> None:
    """Keep pyHanko's warnings off the terminal unless debugging.

    pyHanko logs every oddity of a foreign file ("Could not find object ...
    in history") as a WARNING; a verification report already says what
    matters. Below DEBUG they are held back to ERROR; at DEBUG every line
    of pyHanko is let through, its routine notes as DEBUG.
    """
    if log_level.upper() == "DEBUG":
        _set_library_level(logging.DEBUG)
        return
    _set_library_level(logging.ERROR)


def _level_number(level: str) -> int:
    number = logging.getLevelNamesMapping().get(level.upper())
    if number is None:
        raise ValueError(f"unknown log level {level!r}")
    return number


def _set_library_level(level: int) -> None:
    for name in LIBRARY_LOGGERS:
        logging.getLogger(name).setLevel(level)
