"""Request ids: taken or made, answered, and carried by the log lines."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp import FormData

from edocx.config import Settings
from edocx.logsetup import LIBRARY_LOGGERS, configure_logging
from tests.web.hubkit import Hub, header, hub_settings, running_hub

pytestmark = pytest.mark.asyncio(loop_scope="module")

MADE = re.compile(r"^[0-9a-f]{32}$")


@pytest.fixture
def restore_loggers() -> Iterator[None]:
    names = ("edocx", "aiohttp.access", *LIBRARY_LOGGERS)
    loggers = [logging.getLogger(name) for name in names]
    saved = [(lg, lg.handlers[:], lg.level, lg.propagate) for lg in loggers]
    yield
    for lg, handlers, level, propagate in saved:
        lg.handlers[:] = handlers
        lg.setLevel(level)
        lg.propagate = propagate


async def _id_of(hub: Hub, sent: str | None, path: str = "/api/v1/me") -> str:
    headers = {} if sent is None else {"X-Request-Id": sent}
    headers.update(hub.auth("a", "clerk"))
    response = await hub.client.get(path, headers=headers)
    return response.headers["X-Request-Id"]


async def test_a_valid_id_comes_back(hub: Hub) -> None:
    assert await _id_of(hub, "trace-7f3a.01:x") == "trace-7f3a.01:x"


@pytest.mark.parametrize(
    "sent", [None, "", "a b", "x" * 65, 'ab"cd', "ngày-1"], ids=repr
)
async def test_a_missing_or_unfit_id_is_replaced(hub: Hub, sent: str | None) -> None:
    assert MADE.match(await _id_of(hub, sent))


async def test_a_problem_carries_the_id(hub: Hub) -> None:
    unknown = "/api/v1/documents/00000000-0000-0000-0000-000000000000"
    response = await hub.client.get(
        unknown, headers={"X-Request-Id": "lost-doc", **hub.auth("a", "clerk")}
    )
    assert response.status == 404
    assert response.headers["X-Request-Id"] == "lost-doc"


async def test_log_lines_of_a_request_carry_its_id(
    hub: Hub, pdfs: Path, restore_loggers: None, capfd: pytest.CaptureFixture[str]
) -> None:
    configure_logging("INFO", as_json=True)
    form = FormData()
    form.add_field("file", (pdfs / "sample.pdf").read_bytes(), filename="x.pdf",
                   content_type="application/pdf")  # fmt: skip

    response = await hub.client.post(
        "/api/v1/verify", data=form, headers={"X-Request-Id": "verify-42"}
    )
    assert response.status == 200
    await hub.client.get("/healthz")  # a line-free request in between
    entries = [json.loads(line) for line in capfd.readouterr().err.splitlines()]

    verified = [e for e in entries if "public verification" in e["message"]]
    assert len(verified) == 1, entries
    assert verified[0]["request_id"] == "verify-42"


async def test_text_log_lines_show_the_id(
    hub: Hub, pdfs: Path, restore_loggers: None, capfd: pytest.CaptureFixture[str]
) -> None:
    configure_logging("INFO")
    form = FormData()
    form.add_field("file", (pdfs / "sample.pdf").read_bytes(), filename="x.pdf",
                   content_type="application/pdf")  # fmt: skip

    await hub.client.post(
        "/api/v1/verify", data=form, headers={"X-Request-Id": "verify-43"}
    )
    logging.getLogger("edocx.test").info("outside any request")
    lines = capfd.readouterr().err.splitlines()

    (verified,) = [line for line in lines if "public verification" in line]
    assert verified.endswith(" [request verify-43]")
    (outside,) = [line for line in lines if "outside any request" in line]
    assert "[request" not in outside


async def test_a_worker_line_carries_the_id_of_its_request(
    module_settings: Settings, tmp_path_factory: pytest.TempPathFactory,
    pdfs: Path, restore_loggers: None, capfd: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    # Workers take their log levels when they start: after the logging.
    configure_logging("INFO", as_json=True)
    settings = hub_settings(module_settings, tmp_path_factory.mktemp("logs"))
    async with running_hub(settings) as hub:
        pdf = (pdfs / "sample.pdf").read_bytes()
        draft = await hub.upload(("a", "signer"), pdf, header())
        doc_id = (await draft.json())["document"]["id"]
        signed = await hub.post(
            ("a", "signer"), f"/documents/{doc_id}/sign",
            headers={"X-Request-Id": "sign-77"},
        )  # fmt: skip
        assert signed.status == 200, await signed.text()
    entries = [json.loads(line) for line in capfd.readouterr().err.splitlines()]

    # Written in the worker process, relayed to the hub's handler.
    in_worker = [e for e in entries if e["logger"] == "edocx.signing.issue"]
    assert in_worker, entries
    assert {e.get("request_id") for e in in_worker} == {"sign-77"}
    signed_lines = [e for e in entries if "signed by user" in e["message"]]
    assert [e.get("request_id") for e in signed_lines] == ["sign-77"]
