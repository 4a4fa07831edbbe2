"""The audit log's answer headers: ``Audit-Index`` and ``Audit-Tree-Head``.

``Audit-Index`` lists, comma-separated, the leaf indices of the audit
entries a successful changing call (POST, PUT, PATCH, DELETE answered 2xx)
appended, in the order they were appended; a call that changed nothing has
none. ``record_event`` adds each index to the list this middleware puts in
:data:`edocx.audit.events.AUDIT_INDICES` for the request.

``Audit-Tree-Head`` (:mod:`edocx.audit.offer`) offers the hub's latest
signed tree head to every caller that sent credentials and was answered
without error, so that copies of it live in every agency's system. The
head is read from the database at most once per :data:`REFRESH_S` seconds,
not on every request.
"""

from __future__ import annotations

import time

from aiohttp import web
from aiohttp.typedefs import Handler

from edocx.audit.events import AUDIT_INDICES
from edocx.audit.offer import HEADER as TREE_HEAD_HEADER
from edocx.audit.offer import latest_offer, offer_value
from edocx.audit.treehead import SignedTreeHead
from edocx.store.db import Database
from edocx.web.keys import DB

INDEX_HEADER = "Audit-Index"
CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
REFRESH_S = 1.0


class TreeHeadCache:
    """The latest signed tree head's header value, reread now and then."""

    def __init__(self) -> None:
        self._value: str | None = None
        self._read_at = float("-inf")

    def offer(self, sth: SignedTreeHead) -> None:
        """Answer ``sth`` from now on (a head just made here)."""
        self._value = offer_value(sth)
        self._read_at = time.monotonic()

    async def value(self, db: Database) -> str | None:
        if time.monotonic() - self._read_at >= REFRESH_S:
            async with db.read(snapshot=False) as reader:
                self._value = await latest_offer(reader)
            self._read_at = time.monotonic()
        return self._value


TREE_HEADS = web.AppKey("audit_tree_heads", TreeHeadCache)
_INDICES = web.RequestKey("audit_indices", list)


def install_audit_headers(app: web.Application) -> None:
    """Give ``app`` the tree head cache and the headers on every answer."""
    app[TREE_HEADS] = TreeHeadCache()
    app.on_response_prepare.append(_answer_headers)


@web.middleware
async def audit_index_middleware(
    request: web.Request, handler: Handler
) -> web.StreamResponse:
    """Collect the audit indices the request appends."""
    indices: list[int] = []
    request[_INDICES] = indices
    token = AUDIT_INDICES.set(indices)
    try:
        return await handler(request)
    finally:
        AUDIT_INDICES.reset(token)


async def _answer_headers(request: web.Request, response: web.StreamResponse) -> None:
    # On prepare, so that streamed answers (a PDF) carry the headers too.
    indices = request.get(_INDICES)
    ok = 200 <= response.status < 300
    if indices and ok and request.method in CHANGING:
        response.headers[INDEX_HEADER] = ",".join(str(i) for i in indices)

    cache, db = request.app.get(TREE_HEADS), request.app.get(DB)
    if cache is None or db is None or "Authorization" not in request.headers:
        return
    if response.status < 400:
        value = await cache.value(db)
        if value is not None:
            response.headers[TREE_HEAD_HEADER] = value
