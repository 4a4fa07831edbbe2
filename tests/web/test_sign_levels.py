"""The sign and issue answers say the PAdES level made, and a downgrade."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from edocx.config import Settings
from tests.conftest import free_port

from .hubkit import Hub, header, running_hub

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest.fixture(scope="module")
def module_settings(module_settings: Settings) -> Settings:
    signing = module_settings.signing.model_copy(
        update={"level": "B-T", "document_types": {"Nghị quyết": "B-LTA"}}
    )
    return module_settings.model_copy(update={"signing": signing})


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def downgrading_hub(
    module_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Hub]:
    dead = f"http://127.0.0.1:{free_port()}/tsa"
    signing = module_settings.signing.model_copy(
        update={"tsa_urls": [dead], "allow_downgrade_to_bb": True}
    )
    var = tmp_path_factory.mktemp("downgrading")
    settings = module_settings.model_copy(
        update={
            "signing": signing,
            "storage": module_settings.storage.model_copy(update={"var_dir": var}),
        }
    )
    async with running_hub(settings) as running:
        yield running


async def _sign_and_issue(
    hub: Hub, pdf: bytes, **head: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    response = await hub.upload(("a", "clerk"), pdf, header(**head))
    assert response.status == 201, await response.text()
    doc_id = (await response.json())["document"]["id"]

    signed = await hub.post(("a", "signer"), f"/documents/{doc_id}/sign")
    assert signed.status == 200, await signed.text()
    issued = await hub.post(("a", "clerk"), f"/documents/{doc_id}/issue")
    assert issued.status == 200, await issued.text()
    return await signed.json(), await issued.json()


async def test_the_configured_level_is_made_and_said(hub: Hub, pdfs: Path) -> None:
    pdf = (pdfs / "sample.pdf").read_bytes()

    signed, issued = await _sign_and_issue(hub, pdf)

    for answer in (signed, issued):
        assert answer["level"] == answer["requested_level"] == "B-T"
        assert (answer["downgraded"], answer["warnings"]) == (False, [])
    assert issued["state"] == "issued" and issued["number"] == "01"


async def test_a_document_type_has_its_own_level(hub: Hub, pdfs: Path) -> None:
    pdf = (pdfs / "sample.pdf").read_bytes()

    signed, issued = await _sign_and_issue(hub, pdf, type="Nghị quyết")

    assert signed["level"] == issued["level"] == "B-LTA"
    reports = await hub.get(("a", "clerk"), f"/documents/{issued['id']}/reports")
    (report,) = [r["report"] for r in (await reports.json())["items"]]
    assert report["verdict"] == "PASSED"
    assert [s["level"] for s in report["signatures"] if s["kind"] == "signature"] == [
        "PAdES_BASELINE_LTA",
        "PAdES_BASELINE_LTA",
    ]


async def test_a_downgrade_is_in_both_answers(downgrading_hub: Hub, pdfs: Path) -> None:
    pdf = (pdfs / "sample.pdf").read_bytes()

    signed, issued = await _sign_and_issue(downgrading_hub, pdf)

    for answer in (signed, issued):
        assert (answer["level"], answer["requested_level"]) == ("B-B", "B-T")
        assert answer["downgraded"] is True
        (warning,) = answer["warnings"]
        assert "no timestamp authority answered" in warning
