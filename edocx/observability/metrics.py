"""The hub's metrics in Prometheus' text format (exposition format 0.0.4).

Two kinds, for two reasons:

- business counters (documents sent, delivered and failed by agency;
  status transitions by code; verification verdicts) are counted in the
  database at scrape time. They survive restarts and agree with the
  records by construction, since each is a count of append-only rows (the
  status history, the validation reports, the push attempts) or of
  deliveries whose progress never goes back. The deliveries waiting and
  the dead letters are gauges: both lists shrink;
- request latency is measured in the process (a histogram by route
  template, method and status), as only the process sees it; it starts from
  zero at each start, which Prometheus' ``rate`` expects of a counter.

The push tables (migration 0004) are counted when they exist; without
them those families are empty.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector

from edocx.store.db import Database, Reader

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

# Seconds: from a directory read (milliseconds) to a B-LTA signature with
# revocation fetching (tens of seconds).
LATENCY_BUCKETS = (
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
)  # fmt: skip

_SENT = """
SELECT a.organ_id, COUNT(DISTINCT d.document_id)
FROM deliveries d
JOIN documents doc ON doc.id = d.document_id
JOIN agencies a ON a.id = doc.agency_id
GROUP BY a.organ_id
"""
_DELIVERED = """
SELECT a.organ_id, COUNT(*) FROM deliveries d
JOIN agencies a ON a.id = d.recipient_agency_id
WHERE d.progress_status IS NOT NULL
GROUP BY a.organ_id
"""
_WAITING = """
SELECT a.organ_id, COUNT(*) FROM deliveries d
JOIN agencies a ON a.id = d.recipient_agency_id
WHERE d.progress_status IS NULL
GROUP BY a.organ_id
"""
_FAILED_ATTEMPTS = """
SELECT a.organ_id, m.kind, COUNT(*) FROM push_attempts t
JOIN push_messages m ON m.id = t.message_id
JOIN agencies a ON a.id = m.agency_id
WHERE t.outcome NOT GLOB '2[0-9][0-9]*'
GROUP BY a.organ_id, m.kind
"""
_DEAD_LETTERS = """
SELECT a.organ_id, m.kind, COUNT(*) FROM push_messages m
JOIN agencies a ON a.id = m.agency_id
WHERE m.state = 'dead'
GROUP BY a.organ_id, m.kind
"""
_NOTHING = "SELECT NULL, NULL, 0 WHERE 0"
# A repeat or a late status is kept in the history but moved nothing.
_TRANSITIONS = (
    "SELECT code, COUNT(*) FROM delivery_statuses WHERE outcome = 'applied'"
    " GROUP BY code"
)
_VERDICTS = """
SELECT context, verdict, COUNT(*) FROM validation_reports
GROUP BY context, verdict
"""


@dataclass(frozen=True)
class Family:
    """One metric family: its kind, name, help, label names and samples."""

    kind: str  # "counter" or "gauge"
    name: str
    documentation: str
    labels: tuple[str, ...]
    samples: tuple[tuple[tuple[str, ...], float], ...]

    def metric(self) -> Metric:
        make = CounterMetricFamily if self.kind == "counter" else GaugeMetricFamily
        family = make(self.name, self.documentation, labels=self.labels)
        for values, value in self.samples:
            family.add_metric(list(values), value)
        return family


async def business_families(db: Database) -> list[Family]:
    """Count the business events in the database, as metric families."""
    async with db.read() as reader:
        tables = await _tables(reader)
        families = [
            await _family(reader, "counter", "edocx_documents_sent",
                          "Documents sent through the hub, by sending agency",
                          ("agency",), _SENT),
            await _family(reader, "counter", "edocx_documents_delivered",
                          "Deliveries the recipient's system has received "
                          "(status 01 or later), by recipient agency",
                          ("agency",), _DELIVERED),
            await _family(reader, "gauge", "edocx_deliveries_waiting",
                          "Deliveries the recipient has not received yet, by "
                          "recipient agency", ("agency",), _WAITING),
            await _family(reader, "counter", "edocx_status_transitions",
                          "Statuses recorded in the deliveries' histories, by "
                          "code", ("code",), _TRANSITIONS),
            await _family(reader, "counter", "edocx_verification_verdicts",
                          "Validation reports kept with documents, by context "
                          "and verdict", ("context", "verdict"), _VERDICTS),
        ]  # fmt: skip
        families.extend(await _push_families(reader, tables))
    return families


async def _tables(reader: Reader) -> frozenset[str]:
    rows = await reader.fetch_all("SELECT name FROM sqlite_master WHERE type='table'")
    return frozenset(str(row[0]) for row in rows)


async def _family(
    reader: Reader, kind: str, name: str, documentation: str,
    labels: tuple[str, ...], sql: str,
) -> Family:  # fmt: skip
    rows = await reader.fetch_all(sql)
    samples = tuple(
        (tuple(str(v) for v in row[: len(labels)]), float(row[len(labels)]))
        for row in rows
    )
    return Family(kind, name, documentation, labels, samples)


async def _push_families(reader: Reader, tables: frozenset[str]) -> list[Family]:
    # The push tables come with migration 0004; a hub without them has
    # pushed nothing, and the families stay empty.
    present = {"push_messages", "push_attempts"} <= tables
    failed = await _family(
        reader, "counter", "edocx_documents_failed",
        "Push attempts that did not get a 2xx answer, by recipient agency "
        "and message kind (document or status)", ("agency", "kind"),
        _FAILED_ATTEMPTS if present else _NOTHING,
    )  # fmt: skip
    # NOTE: a gauge, not a counter: a clerk's resend takes a letter off the
    # list, and no row records each move onto it.
    dead = await _family(
        reader, "gauge", "edocx_documents_dead_lettered",
        "Push messages in the dead-letter list, by recipient agency and kind",
        ("agency", "kind"), _DEAD_LETTERS if present else _NOTHING,
    )  # fmt: skip
    return [failed, dead]


class _Snapshot(Collector):
    """Families counted once per scrape, handed to the text writer."""

    def __init__(self, families: Sequence[Family]) -> None:
        self._families = families

    def collect(self) -> Iterable[Metric]:
        return [family.metric() for family in self._families]


class HTTPMetrics:
    """The process's request latency histogram and process metrics."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)
        self.latency = Histogram(
            "edocx_http_request_duration_seconds",
            "Time to answer a request, by route template, method and status",
            ("route", "method", "status"),
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        self.latency.labels(route, method, str(status)).observe(seconds)


def exposition(http: HTTPMetrics, families: Sequence[Family]) -> bytes:
    """Write the business families and the process's own, as one text."""
    snapshot = CollectorRegistry(auto_describe=False)
    snapshot.register(_Snapshot(families))
    return generate_latest(snapshot) + generate_latest(http.registry)
