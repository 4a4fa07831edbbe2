"""The request id of the work in progress, and the log filter that shows it.

The web layer sets the id when a request arrives (taken from a valid
``X-Request-Id`` header, else made); every log line written while the
request is handled carries it, including the lines a worker process relays
back (the relay runs in a thread started from the request's context, which
``asyncio.to_thread`` copies).
"""

from __future__ import annotations

import contextvars
import logging
import re
import secrets

# Short and printable: the id is echoed in headers and written in logs, so
# it must not carry a line break, a quote or a megabyte of anything.
_VALID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "edocx_request_id", default=None
)


def current_request_id() -> str | None:
    """Return the id of the request being handled, or None outside one."""
    return request_id_var.get()


def valid_request_id(value: str | None) -> str | None:
    """Return ``value`` when it may serve as a request id, else None."""
    if value is None or not _VALID.match(value):
        return None
    return value


def new_request_id() -> str:
    """Make a request id: 16 random bytes in hex."""
    return secrets.token_hex(16)


class RequestIdFilter(logging.Filter):
    """Give every record the current request id (None outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = request_id_var.get()
        return True
