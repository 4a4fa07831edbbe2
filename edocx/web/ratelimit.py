"""A rate limit on the public operations, per client address.

Verification and the checks of copies and duplicates need no login, so
anyone may make the hub parse and validate PDFs: each client address gets a
token bucket of ``ratelimit.burst`` requests, refilled at
``ratelimit.public_per_minute``; beyond it the answer is 429 with
Retry-After, before the body is read. The service's description, health
and metrics are not limited (they cost nothing, and monitors poll them);
nor is a caller who sends a valid token (an agency's system verifying what
it receives is accountable by its token); a wrong token counts as none.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from dataclasses import dataclass

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from edocx.config import RateLimitSettings
from edocx.errors import EdocxError
from edocx.web.auth import authenticate
from edocx.web.keys import DB
from edocx.web.problems import UnauthenticatedError
from edocx.web.routing import Route

# Cheap to answer, polled by monitors: never limited.
UNLIMITED = frozenset({"/api/v1/openapi.json", "/healthz", "/metrics"})
# At most this many client addresses are remembered; the least recently
# seen is forgotten first (it would have a full bucket again soon anyway).
MAX_CLIENTS = 10_000


class RateLimitedError(EdocxError):
    code = "rate-limited"
    status = 429
    title = "Too many requests from this address"

    def __init__(
        self, detail: str, *, hint: str | None = None, retry_after_s: int
    ) -> None:
        super().__init__(detail, hint=hint)
        # Sent as Retry-After by the problem middleware.
        self.retry_after_s = retry_after_s


@dataclass
class _Bucket:
    tokens: float
    at: float


class RateLimiter:
    """Token buckets per client address, for a rate per minute and a burst."""

    def __init__(self, settings: RateLimitSettings) -> None:
        self.rate_per_s = settings.public_per_minute / 60.0
        self.burst = float(settings.burst)
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def wait_s(self, client: str, *, now: float) -> float:
        """Take one request from the client's bucket; return 0 if allowed,
        else the seconds until one will be."""
        bucket = self._buckets.pop(client, None) or _Bucket(self.burst, now)
        self._buckets[client] = bucket
        if len(self._buckets) > MAX_CLIENTS:
            self._buckets.popitem(last=False)

        elapsed = max(0.0, now - bucket.at)
        bucket.tokens = min(self.burst, bucket.tokens + elapsed * self.rate_per_s)
        bucket.at = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return 0.0
        return (1.0 - bucket.tokens) / self.rate_per_s


def limited_routes(routes: tuple[Route, ...]) -> frozenset[tuple[str, str]]:
    """The (method, path) of every public operation that is limited."""
    return frozenset(
        (route.method, route.path)
        for route in routes
        if route.roles is None and route.path not in UNLIMITED
    )


def rate_limit_middleware(
    settings: RateLimitSettings, routes: tuple[Route, ...]
) -> Middleware:
    """Return a middleware that limits the public operations of ``routes``."""
    limiter = RateLimiter(settings)
    limited = limited_routes(routes)

    @web.middleware
    async def limit(request: web.Request, handler: Handler) -> web.StreamResponse:
        if (
            settings.public_per_minute
            and _is_limited(request, limited)
            and not await _logged_in(request)
        ):
            client = request.remote or "unknown"
            wait = limiter.wait_s(client, now=time.monotonic())
            if wait > 0:
                raise RateLimitedError(
                    f"more than {settings.public_per_minute} public requests a"
                    " minute from this address",
                    hint="send the next request after Retry-After seconds",
                    retry_after_s=max(1, math.ceil(wait)),
                )
        return await handler(request)

    return limit


async def _logged_in(request: web.Request) -> bool:
    if "Authorization" not in request.headers:
        return False
    try:
        await authenticate(request, request.app[DB])
    except UnauthenticatedError:
        return False
    return True


def _is_limited(request: web.Request, limited: frozenset[tuple[str, str]]) -> bool:
    resource = request.match_info.route.resource
    if resource is None:
        return False
    return (request.method, resource.canonical) in limited
