"""Request ids, request latency, ``GET /healthz`` and ``GET /metrics``.

Every request gets an id: the client's ``X-Request-Id`` when it is short
and printable (:func:`~edocx.observability.context.valid_request_id`),
else a new one. The id is answered in ``X-Request-Id``, problems included,
and every log line written while the request is handled carries it.

``/healthz`` needs no login and answers 200 when every check passes, 503
naming the failing checks otherwise. ``/metrics`` answers anyone when
``observability.metrics_public`` is on, else loopback clients only.
"""

from __future__ import annotations

import ipaddress
import time

from aiohttp import web
from aiohttp.typedefs import Handler
from pydantic import BaseModel

from edocx.errors import EdocxError
from edocx.observability.context import new_request_id, request_id_var, valid_request_id
from edocx.observability.health import Check, Parts, run_checks
from edocx.observability.metrics import (
    CONTENT_TYPE,
    HTTPMetrics,
    business_families,
    exposition,
)
from edocx.observability.tsaprobe import TSAProbe
from edocx.web.auditheaders import audit_index_middleware
from edocx.web.keys import POOL, SETTINGS
from edocx.web.routing import Call

HTTP_METRICS = web.AppKey("http_metrics", HTTPMetrics)
TSA_PROBE = web.AppKey("tsa_probe", TSAProbe)
REQUEST_ID = web.RequestKey("request_id", str)
HEADER = "X-Request-Id"
UNMATCHED = "unmatched"


class MetricsNotPublicError(EdocxError):
    code = "metrics-not-public"
    status = 403
    title = "The metrics answer loopback clients only"


class CheckOut(BaseModel):
    ok: bool
    detail: str
    seconds: float


class HealthOut(BaseModel):
    status: str
    checks: dict[str, CheckOut]
    failing: list[str]


def install_observability(app: web.Application) -> None:
    """Give ``app`` its metrics, its TSA probe and the request id header."""
    settings = app[SETTINGS].observability
    app[HTTP_METRICS] = HTTPMetrics()
    app[TSA_PROBE] = TSAProbe(
        timeout_s=settings.tsa_check_timeout_s, cache_s=settings.tsa_check_cache_s
    )
    app.on_response_prepare.append(_answer_request_id)


@web.middleware
async def request_id_middleware(
    request: web.Request, handler: Handler
) -> web.StreamResponse:
    """Name the request; keep its id in the context while it is handled."""
    request_id = valid_request_id(request.headers.get(HEADER)) or new_request_id()
    request[REQUEST_ID] = request_id
    token = request_id_var.set(request_id)
    try:
        return await handler(request)
    finally:
        # A kept-alive connection's next request must not inherit the id.
        request_id_var.reset(token)


async def _answer_request_id(
    request: web.Request, response: web.StreamResponse
) -> None:
    # On prepare, so that streamed answers and problems carry it too.
    request_id = request.get(REQUEST_ID)
    if request_id is not None:
        response.headers[HEADER] = request_id


@web.middleware
async def latency_middleware(
    request: web.Request, handler: Handler
) -> web.StreamResponse:
    """Time every request by route template (bounded labels), method, status."""
    start = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as e:
        status = e.status
        raise
    finally:
        metrics = request.app.get(HTTP_METRICS)
        if metrics is not None:
            seconds = time.perf_counter() - start
            metrics.observe(_route(request), request.method, status, seconds)


def _route(request: web.Request) -> str:
    # The template (/api/v1/documents/{document_id}), never the raw path:
    # one series per operation whatever ids clients send.
    resource = request.match_info.route.resource
    return UNMATCHED if resource is None else resource.canonical


# The audit indices are collected inside the timing, outside the problems.
MIDDLEWARES = (request_id_middleware, latency_middleware, audit_index_middleware)


async def healthz(call: Call) -> web.Response:
    """Check the database, blob store, TSA and workers; 200 or 503."""
    app = call.request.app
    parts = Parts(
        db=call.hub.db,
        blob_dir=call.hub.blobs.root,
        pool=app[POOL],
        tsa_urls=call.hub.compute.setup.tsa_urls,
        tsa_probe=app[TSA_PROBE],
    )
    checks = await run_checks(parts)
    body = _health(checks)
    return web.Response(
        status=200 if not body.failing else 503,
        text=body.model_dump_json(),
        content_type="application/json",
        headers={"Cache-Control": "no-store"},
    )


def _health(checks: list[Check]) -> HealthOut:
    failing = [check.name for check in checks if not check.ok]
    return HealthOut(
        status="fail" if failing else "pass",
        checks={c.name: CheckOut(ok=c.ok, detail=c.detail, seconds=c.seconds)
                for c in checks},
        failing=failing,
    )  # fmt: skip


async def metrics(call: Call) -> web.Response:
    """The metrics in Prometheus' text format."""
    if not call.settings.observability.metrics_public and not _loopback(call):
        raise MetricsNotPublicError(
            "the metrics are served to loopback clients only",
            hint="set observability.metrics_public to serve them to anyone",
        )
    families = await business_families(call.hub.db)
    text = exposition(call.request.app[HTTP_METRICS], families)
    response = web.Response(body=text)
    # aiohttp refuses a charset inside content_type; the header is set whole.
    response.headers["Content-Type"] = CONTENT_TYPE
    return response


def _loopback(call: Call) -> bool:
    remote = call.request.remote
    try:
        return remote is not None and ipaddress.ip_address(remote).is_loopback
    except ValueError:
        return False
