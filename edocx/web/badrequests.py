"""Keep what a malformed HTTP request carried out of the hub's log.

aiohttp's HTTP parser refuses a request with a broken request line or
header field before any middleware runs, and logs the refusal at ERROR with
a traceback whose message quotes the offending line, so a token sent with a
stray control character would land in the log whole. The filter here turns
those records into one WARNING line naming the kind of fault and the
client's address, without the line itself.
"""

from __future__ import annotations

import logging

from aiohttp.http_exceptions import BadHttpMessage

# The logger aiohttp's request handler writes to (aiohttp.log.server_logger).
SERVER_LOGGER = "aiohttp.server"


class MalformedRequestFilter(logging.Filter):
    """Rewrite the parser's refusals; let every other record through as is."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, BadHttpMessage):
            address = record.args[0] if isinstance(record.args, tuple) else "-"
            record.msg = "refused a malformed HTTP request from %s: %s (status %d)"
            record.args = (address, type(error).__name__, error.code)
            record.exc_info = None
            record.exc_text = None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


def install_log_filter() -> None:
    """Add the filter to aiohttp's server logger, once per process."""
    logger = logging.getLogger(SERVER_LOGGER)
    if not any(isinstance(f, MalformedRequestFilter) for f in logger.filters):
        logger.addFilter(MalformedRequestFilter())
