"""Configure the ``edocx`` logger (never the root logger)."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime


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
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(level: str = "INFO", *, as_json: bool = False) -> None:
    """Send edocx's log lines to stderr at ``level``."""
    handler = logging.StreamHandler(sys.stderr)
    if as_json:
        handler.setFormatter(JSONLineFormatter())
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
        )
    for name in ("edocx", "aiohttp.access"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(level.upper())
        logger.propagate = False


LIBRARY_LOGGERS = ("pyhanko", "pyhanko_certvalidator")


def quiet_library_loggers(log_level: str) -> None:
    """Keep pyHanko's warnings off the terminal unless debugging.

    pyHanko logs every oddity of a foreign file ("Could not find object ...
    in history") as a WARNING; a verification report already says what
    matters. Below DEBUG they are held back to ERROR.
    """
    if log_level.upper() == "DEBUG":
        return
    for name in LIBRARY_LOGGERS:
        logging.getLogger(name).setLevel(logging.ERROR)
