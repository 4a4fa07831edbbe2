"""GET /metrics: the text format parses, and the counters follow real work."""

from __future__ import annotations

from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.web.hubkit import A, B, C, Hub, header

pytestmark = pytest.mark.asyncio(loop_scope="module")

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


async def _scrape(hub: Hub) -> tuple[Samples, set[str]]:
    response = await hub.client.get("/metrics")
    assert response.status == 200, await response.text()
    assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    text = await response.text()
    samples: Samples = {}
    names = set()
    # The parser refuses what the exposition format does not allow.
    for family in text_string_to_metric_families(text):
        names.add(family.name)
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples, names


def _value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def _send_and_answer(hub: Hub, pdf: bytes) -> str:
    """Draft, sign, issue to B and C; B's system receives it and accepts it."""
    draft = await hub.upload(("a", "signer"), pdf, header())
    assert draft.status == 201, await draft.text()
    doc_id = (await draft.json())["document"]["id"]
    for who, step in ((("a", "signer"), "sign"), (("a", "clerk"), "issue")):
        done = await hub.post(who, f"/documents/{doc_id}/{step}")
        assert done.status == 200, await done.text()
    got = await hub.get(("b", "system"), f"/documents/{doc_id}/pdf")
    assert got.status == 200
    status = await hub.post(
        ("b", "system"), f"/documents/{doc_id}/statuses", json={"code": "03"}
    )
    assert status.status == 201, await status.text()
    return str(doc_id)


async def test_the_families_are_there_and_parse(hub: Hub) -> None:
    _, names = await _scrape(hub)

    assert {
        "edocx_documents_sent", "edocx_documents_delivered",
        "edocx_documents_failed", "edocx_documents_dead_lettered",
        "edocx_deliveries_waiting", "edocx_status_transitions",
        "edocx_verification_verdicts", "edocx_http_request_duration_seconds",
    } <= names  # fmt: skip


async def test_counters_move_after_a_send_a_status_and_a_verification(
    hub: Hub, pdfs: Path
) -> None:
    before, _ = await _scrape(hub)

    doc_id = await _send_and_answer(hub, (pdfs / "sample.pdf").read_bytes())
    # A late 01 is kept in the history but is no transition.
    late = await hub.post(
        ("b", "system"), f"/documents/{doc_id}/statuses", json={"code": "01"}
    )
    assert (await late.json())["outcome"] == "late"
    after, _ = await _scrape(hub)

    def moved(name: str, **labels: str) -> float:
        return _value(after, name, **labels) - _value(before, name, **labels)

    assert moved("edocx_documents_sent_total", agency=A) == 1
    assert moved("edocx_documents_delivered_total", agency=B) == 1
    assert moved("edocx_deliveries_waiting", agency=C) == 1
    assert moved("edocx_status_transitions_total", code="01") == 1
    assert moved("edocx_status_transitions_total", code="03") == 1
    verdicts = [
        (labels, after[(name, labels)] - before.get((name, labels), 0.0))
        for name, labels in after
        if name == "edocx_verification_verdicts_total"
    ]
    assert sum(delta for _, delta in verdicts) >= 1, verdicts


async def test_latency_is_labelled_by_route_template(hub: Hub) -> None:
    unknown = "00000000-0000-0000-0000-000000000000"
    await hub.get(("a", "clerk"), f"/documents/{unknown}")
    await hub.client.get("/no/such/path")
    samples, _ = await _scrape(hub)

    routes = {
        dict(labels)["route"]: dict(labels)
        for name, labels in samples
        if name == "edocx_http_request_duration_seconds_count"
    }
    assert routes["/api/v1/documents/{document_id}"]["status"] == "404"
    assert "unmatched" in routes
    assert not any(unknown in route for route in routes)
