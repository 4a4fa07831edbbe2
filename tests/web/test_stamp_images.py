"""The hub draws the configured seal and signature images on what it issues.

Demo mode draws stand-in images for the demo agencies and their signers
([stamps] images_dir); the issued document shows both, and its signatures
stay intact with harmless changes only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from edocx.signing.issue import PERSONAL_FIELD, SEAL_FIELD
from tests.signing import pdfcheck, stampcheck

from .hubkit import A, Hub, header

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def _ok(response: Any, status: int = 200) -> Any:
    assert response.status == status, await response.text()
    return await response.json()


async def test_issued_document_shows_seal_and_signature_images(
    hub: Hub, pdfs: Path
) -> None:
    images = hub.settings.stamps.images_dir
    assert (images / f"seal-{A}.png").is_file()
    assert sorted(p.name for p in images.glob("signature-*.png"))

    response = await hub.upload(
        ("a", "signer"), (pdfs / "sample.pdf").read_bytes(), header()
    )
    doc_id = (await _ok(response, 201))["document"]["id"]
    await _ok(await hub.post(("a", "signer"), f"/documents/{doc_id}/sign"))
    await _ok(await hub.post(("a", "clerk"), f"/documents/{doc_id}/issue"))
    pdf = await (await hub.get(("a", "clerk"), f"/documents/{doc_id}/pdf")).read()

    reader = pdfcheck.read(pdf)
    for name in (PERSONAL_FIELD, SEAL_FIELD):
        appearance = pdfcheck.field(reader, name)["/AP"]["/N"]
        (image,) = stampcheck.images(appearance)
        assert "/SMask" in image
    # The draft header's competence heads the personal signature.
    personal = stampcheck.extracted_text(pdf, PERSONAL_FIELD)
    assert personal.splitlines()[0] == header()["signer"]["competence"]
    # The seal's image overlaps the personal signature's box, which the
    # verifier allows; whatever the level, nothing after it is suspicious.
    report = await _ok(await hub.verify(("b", "system"), pdf))
    for signature in report["signatures"]:
        assert signature["intact"] and signature["valid"], signature["field"]
        assert signature["modification_class"] in ("none", "harmless")
        assert not any(c["suspicious"] for c in signature["changes"])
