"""Play the main job of the hub over its HTTP API, one readable line a step.

Agency A drafts each PDF, its competent person signs it, its clerk issues it
to B and C; B and C list their inboxes, download (status 01), verify with
the hub's verifier, and accept (status 03); A reads each recipient's status.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import aiohttp

from edocx.bootstrap import demo_tokens_path
from edocx.config import PROJECT_ROOT, Settings
from edocx.demo.client import APIError, HubClient
from edocx.errors import ConfigurationError

DEMO_FILES = ("sample.pdf", "PDF.pdf", "pdf-2.0.pdf", "pdf-xref-streams.pdf")
DEMO_TYPES = ("Quyết định", "Công văn", "Báo cáo", "Thông báo")


def find_demo_pdfs(data_dir: Path | None = None) -> list[Path]:
    """Return the demo PDFs from the shared data folder or its pdf-unsigned/.

    The folder comes from ``data_dir``, else ``$EDOCX_TEST_DATA``, else
    ``../shared/data`` beside the checkout.
    """
    if data_dir is None:
        env = os.environ.get("EDOCX_TEST_DATA")
        data_dir = Path(env) if env else PROJECT_ROOT.parent / "shared" / "data"
    folder = data_dir / "pdf-unsigned"
    if not folder.is_dir():
        folder = data_dir
    pdfs = [folder / name for name in DEMO_FILES]
    missing = [p.name for p in pdfs if not p.is_file()]
    if missing:
        raise ConfigurationError(
            f"demo PDFs {', '.join(missing)} not found in {folder}",
            hint="pass --data DIR or set EDOCX_TEST_DATA to the shared data folder",
        )
    return pdfs


def _say(who: str, what: str, **facts: Any) -> None:
    details = "  ".join(f"{key}={value}" for key, value in facts.items())
    print(f"{who:<18} {what:<34} {details}", flush=True)


async def run_demo(
    settings: Settings,
    *,
    url: str | None = None,
    tokens: Path | None = None,
    data_dir: Path | None = None,
) -> int:
    """Run the demo against a running hub; return the exit status."""
    base_url = url or settings.http.public_url
    token_file = tokens or demo_tokens_path(settings)
    if not token_file.is_file():
        raise ConfigurationError(
            f"no demo tokens at {token_file}", hint="start the hub: scripts/serve"
        )
    pdfs = find_demo_pdfs(data_dir)
    known = json.loads(token_file.read_text("utf-8"))
    documents = [(p.name, p.read_bytes()) for p in pdfs]

    async with aiohttp.ClientSession() as http:
        try:
            await _play(http, base_url, known, documents)
        except APIError as e:
            print(f"demo failed: {e.detail} ({e.hint})")
            return 1
        except aiohttp.ClientConnectionError as e:
            print(f"demo failed: cannot reach the hub at {base_url}: {e}")
            return 1
    print("demo finished: every document issued, delivered, verified and accepted")
    return 0


async def _play(
    http: aiohttp.ClientSession,
    base_url: str,
    tokens: dict[str, dict[str, str]],
    documents: list[tuple[str, bytes]],
) -> None:
    a, b, c = tokens["a"], tokens["b"], tokens["c"]
    clients = {
        "A signer": HubClient(http, base_url, a["signer"]),
        "A clerk": HubClient(http, base_url, a["clerk"]),
        "B system": HubClient(http, base_url, b["system"]),
        "C system": HubClient(http, base_url, c["system"]),
    }
    recipients = {"B": b["organ_id"], "C": c["organ_id"]}

    issued = []
    for document, doc_type in zip(documents, DEMO_TYPES, strict=True):
        issued.append(
            await _send(clients, document, doc_type, list(recipients.values()))
        )
    for name in ("B", "C"):
        await _receive(clients[f"{name} system"], f"{name} system", issued)
    await _check_outbox(clients["A clerk"], issued, recipients)


async def _send(
    clients: dict[str, HubClient],
    document: tuple[str, bytes],
    doc_type: str,
    recipients: list[str],
) -> str:
    filename, pdf = document
    header = {
        "type": doc_type,
        "subject": f"V/v trao đổi văn bản điện tử thử nghiệm ({filename})",
        "signer": {
            "name": "Nguyễn Văn Thành",
            "position": "Chủ tịch",
            "competence": "TM. ỦY BAN NHÂN DÂN",
        },
        "recipients": recipients,
        "priority": 1 if doc_type == "Công văn" else 0,
        "drafting_unit": "VP" if doc_type == "Công văn" else None,
    }
    draft = await clients["A clerk"].create_draft(header, pdf, filename)
    doc_id = draft["document"]["id"]
    _say("A clerk", "uploaded draft", id=doc_id, file=filename, type=doc_type)

    signed = await clients["A signer"].sign(doc_id)
    _say("A signer", "signed personally", id=doc_id, state=signed["state"])

    issued = await clients["A clerk"].issue(doc_id)
    _say(
        "A clerk",
        "numbered, sealed and sent",
        id=doc_id,
        number=issued["notation"],
        to=",".join(issued["recipients"]),
    )
    return str(doc_id)


async def _receive(client: HubClient, who: str, expected: list[str]) -> None:
    inbox = await client.inbox()
    waiting = {item["document"]["id"]: item for item in inbox["items"]}
    _say(who, "listed inbox", documents=len(waiting))
    for doc_id in expected:
        item = waiting[doc_id]
        pdf = await client.download(doc_id)
        _say(
            who,
            "downloaded (status 01 recorded)",
            id=doc_id,
            number=item["document"]["notation"],
            bytes=len(pdf),
        )
        result = await client.verify(pdf)
        _say(
            who,
            "verified with the hub's verifier",
            id=doc_id,
            verdict=result["verdict"],
        )
        if result["verdict"] != "PASSED":
            raise ConfigurationError(f"{doc_id} did not verify: {result['verdict']}")
        await client.post_status(doc_id, "03", "Đã tiếp nhận và vào sổ văn bản đến")
        _say(who, "accepted (status 03)", id=doc_id)


async def _check_outbox(
    client: HubClient, expected: list[str], recipients: dict[str, str]
) -> None:
    outbox = await client.outbox()
    sent = {item["document"]["id"]: item for item in outbox["items"]}
    names = {organ: name for name, organ in recipients.items()}
    for doc_id in expected:
        item = sent[doc_id]
        statuses = {
            names.get(d["recipient"], d["recipient"]): d["status"]
            for d in item["deliveries"]
        }
        _say(
            "A clerk",
            "outbox",
            id=doc_id,
            number=item["document"]["notation"],
            **statuses,
        )
        if set(statuses.values()) != {"03"}:
            raise ConfigurationError(f"{doc_id}: not every recipient accepted it")
