"""The real service answers a request its HTTP parser refuses as a problem.

``edocx serve`` runs the app through the hub's own runner (as the tests'
in-process hub does): a raw malformed request gets the problem document,
the log keeps one line without the request's bytes, and SIGTERM still
stops the service gracefully with status 0.
"""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import pytest

from edocx.config import Settings
from edocx.pki.server import PKIServerThread
from tests.faults.servekit import ServedHub
from tests.hostile.rawhttp import exchange, request_head
from tests.web.hubkit import PROBLEM, hub_settings


@pytest.mark.asyncio
async def test_served_hub_answers_a_malformed_request_with_a_problem(
    test_settings: Settings, pki_server: PKIServerThread, tmp_path: Path
) -> None:
    hub = ServedHub(hub_settings(test_settings, tmp_path / "var"), log_dir=tmp_path)
    await hub.start()
    try:
        fields: list[tuple[str, bytes | str]] = [("X-Mark", b"m4rk\x01")]
        data = request_head("GET", "/healthz", hub.port, fields)
        answer = await asyncio.to_thread(exchange, hub.port, data, timeout=20)
    finally:
        hub.stop()

    assert answer.status == 400, answer
    assert answer.headers["content-type"] == "application/problem+json", answer
    assert answer.json()["type"] == PROBLEM + "request-malformed"
    assert answer.headers["connection"] == "close"
    assert b"m4rk" not in answer.body

    assert hub.process is not None and hub.process.returncode == 0, hub.tail()
    log = hub.tail(500)
    assert f"edocx: listening on http://127.0.0.1:{hub.port}/" in log
    assert "refused a malformed HTTP request from 127.0.0.1" in log
    assert "m4rk" not in log and "Traceback" not in log, log


@pytest.mark.asyncio
async def test_served_hub_on_a_taken_port_says_so(
    test_settings: Settings, pki_server: PKIServerThread, tmp_path: Path
) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        hub = ServedHub(
            hub_settings(test_settings, tmp_path / "var"), port=port, log_dir=tmp_path
        )
        hub.spawn()
        assert hub.process is not None
        status = await asyncio.to_thread(hub.process.wait, 60)

    assert status == 1, hub.tail()
    assert f"edocx: cannot listen on 127.0.0.1:{port}" in hub.tail(), hub.tail()
    assert "Traceback" not in hub.tail(500)
