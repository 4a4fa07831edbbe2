"""``edocx audit export|verify|proof|verify-proof`` on a running hub's log."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from edocx.cli import main
from tests.web.hubkit import Hub, header

pytestmark = pytest.mark.asyncio(loop_scope="module")

AUDITOR = ("hub", "auditor")


async def _cli(argv: list[str]) -> int:
    # The command runs its own event loop, as it does from a shell.
    return await asyncio.to_thread(main, argv)


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, hub: Hub, passphrase: bytes) -> None:
    # The command reads the same database and PKI as the running hub.
    monkeypatch.setenv("EDOCX_STORAGE__VAR_DIR", str(hub.settings.storage.var_dir))
    monkeypatch.setenv("EDOCX_PKI__DIR", str(hub.settings.pki.dir))
    monkeypatch.setenv("EDOCX_KEY_PASSPHRASE", passphrase.decode())
    monkeypatch.delenv("EDOCX_CONFIG", raising=False)


async def _kept_head(hub: Hub, path: Path) -> dict[str, object]:
    # 200 answers the largest head when the log has not grown since it.
    response = await hub.post(AUDITOR, "/audit/tree-head")
    assert response.status in (200, 201), await response.text()
    return _keep(path, await response.read())


def _keep(path: Path, data: bytes) -> dict[str, object]:
    # Kept in a file, outside the hub's database, as an agency's system does.
    path.write_bytes(data)
    head: dict[str, object] = json.loads(path.read_text(encoding="utf-8"))
    return head


async def _draft(hub: Hub, pdfs: Path) -> str:
    pdf = (pdfs / "EmptyPage.pdf").read_bytes()
    response = await hub.upload(("a", "signer"), pdf, header())
    assert response.status == 201, await response.text()
    doc_id: str = (await response.json())["document"]["id"]
    return doc_id


@pytest.mark.usefixtures("cli_env")
async def test_export_then_verify_offline(
    hub: Hub, pdfs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await _draft(hub, pdfs)
    kept = tmp_path / "kept.json"
    head = await _kept_head(hub, kept)
    export = tmp_path / "log.jsonl"

    assert await _cli(["audit", "export", "--out", str(export)]) == 0
    told = capsys.readouterr().err
    status = await _cli(["audit", "verify", str(export), "--tree-head", str(kept)])

    out = capsys.readouterr().out
    assert status == 0, out
    heads = export.read_text(encoding="utf-8").count('"kind":"tree_head"')
    assert f"entries and {heads} tree heads" in told
    assert out.splitlines()[-1].endswith("1 tree head checked: good")
    lines = export.read_text(encoding="utf-8").splitlines()
    first = json.loads(lines[0])
    assert (first["kind"], first["format"], first["version"]) == (
        "log", "edocx-audit-log", 1,
    )  # fmt: skip
    assert [json.loads(line)["kind"] for line in lines[1 : first["size"] + 1]] == [
        "entry"
    ] * first["size"]
    assert json.loads(lines[-1])["kind"] == "tree_head"
    assert first["size"] >= int(str(head["tree_size"]))


@pytest.mark.usefixtures("cli_env")
async def test_verify_names_the_entry_changed_in_the_file(
    hub: Hub, pdfs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await _draft(hub, pdfs)
    kept = tmp_path / "kept.json"
    await _kept_head(hub, kept)
    export = tmp_path / "log.jsonl"
    assert await _cli(["audit", "export", "--out", str(export)]) == 0

    lines = export.read_text(encoding="utf-8").splitlines()
    changed = json.loads(lines[5])
    changed["entry"] = changed["entry"].replace('"action":"', '"action":"x')
    lines[5] = json.dumps(changed)
    export.write_text("\n".join(lines) + "\n", encoding="utf-8")
    capsys.readouterr()

    status = await _cli(["audit", "verify", str(export), "--tree-head", str(kept)])

    out = capsys.readouterr().out
    assert status == 1, out
    assert "entry 4: its content does not match" in out
    assert "first entry that does not match: 4" in out


@pytest.mark.usefixtures("cli_env")
async def test_a_document_proof_checks_offline(
    hub: Hub, pdfs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc_id = await _draft(hub, pdfs)
    response = await hub.post(("a", "signer"), f"/documents/{doc_id}/sign")
    assert response.status == 200, await response.text()
    await _kept_head(hub, tmp_path / "kept.json")
    proof = tmp_path / "proof.json"

    assert await _cli(["audit", "proof", doc_id, "--out", str(proof)]) == 0
    status = await _cli(["audit", "verify-proof", str(proof)])

    out = capsys.readouterr().out
    assert status == 0, out
    body = json.loads(proof.read_text(encoding="utf-8"))
    actions = [json.loads(e["entry"])["action"] for e in body["entries"]]
    assert actions[:2] == ["document.draft", "document.sign"]
    assert out.splitlines()[-1] == "proof: good"

    # Another document's id: the entries are in the log but do not name it.
    other = dict(body, document_id="00000000-0000-4000-8000-000000000000")
    proof.write_text(json.dumps(other), encoding="utf-8")
    assert await _cli(["audit", "verify-proof", str(proof)]) == 1
    index = body["entries"][0]["index"]
    assert f"entry {index}: in the log, but it does not name" in (
        capsys.readouterr().out
    )

    body["entries"][1]["entry"] = body["entries"][0]["entry"]
    proof.write_text(json.dumps(body), encoding="utf-8")
    assert await _cli(["audit", "verify-proof", str(proof)]) == 1
    index = body["entries"][1]["index"]
    assert f"entry {index}: not in the tree" in capsys.readouterr().out


@pytest.mark.usefixtures("cli_env")
async def test_unreadable_files_exit_3(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    not_an_export = tmp_path / "x.jsonl"
    not_an_export.write_text('{"kind": "log", "format": "other"}\n', encoding="utf-8")

    assert await _cli(["audit", "verify", str(tmp_path / "missing.jsonl")]) == 3
    assert await _cli(["audit", "verify", str(not_an_export)]) == 3
    assert await _cli(["audit", "verify-proof", str(not_an_export)]) == 3
    assert "not an export of format edocx-audit-log" in capsys.readouterr().err
    missing_root = ["--trust", str(tmp_path / "no-root.pem"), "--trust-only"]
    assert await _cli(["audit", "export", "--out", str(tmp_path / "no/dir.jsonl")]) == 3
    capsys.readouterr()
    export = tmp_path / "empty.jsonl"
    export.write_text('{"kind":"log","format":"edocx-audit-log","version":1,'
                      '"size":0,"exported_at":"2026-12-05T00:00:00+00:00"}\n',
                      encoding="utf-8")  # fmt: skip
    assert await _cli(["audit", "verify", str(export), *missing_root]) == 3
    assert "cannot read certificate" in capsys.readouterr().err


@pytest.mark.usefixtures("cli_env")
async def test_a_proof_against_a_head_from_before_the_document_is_refused(
    hub: Hub, pdfs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = await _kept_head(hub, tmp_path / "before.json")
    doc_id = await _draft(hub, pdfs)
    after = await _kept_head(hub, tmp_path / "after.json")
    capsys.readouterr()

    size = str(before["tree_size"])
    status = await _cli(["audit", "proof", doc_id, "--tree-size", size])

    err = capsys.readouterr().err
    assert status == 1, err
    assert f"the tree head of size {size} does not cover the entries of" in err
    assert f"the newest head that does is of size {after['tree_size']}" in err
    assert "POST" not in err


@pytest.mark.usefixtures("cli_env")
@pytest.mark.parametrize("size", [str(2**63), "99999999999999999999999", "-1"])
async def test_a_proof_of_a_size_beyond_the_log_is_one_line(
    hub: Hub, pdfs: Path, size: str, capsys: pytest.CaptureFixture[str]
) -> None:
    doc_id = await _draft(hub, pdfs)
    capsys.readouterr()

    status = await _cli(["audit", "proof", doc_id, "--tree-size", size])

    err = capsys.readouterr().err
    said = [line for line in err.splitlines() if line.startswith(("edocx:", "hint:"))]
    assert status == 1, err
    assert "Traceback" not in err
    assert said == [f"edocx: the log has {_size(hub)} entries: no tree of {size}"]


def _size(hub: Hub) -> int:
    import sqlite3

    with sqlite3.connect(hub.settings.storage.db_path) as conn:
        (size,) = conn.execute("SELECT COUNT(*) FROM audit_leaves").fetchone()
    return int(size)


@pytest.mark.usefixtures("cli_env")
async def test_a_document_proof_includes_verifications_of_its_pdf(
    hub: Hub, pdfs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc_id = await _draft(hub, pdfs)
    fetched = await hub.get(("a", "signer"), f"/documents/{doc_id}/pdf")
    assert fetched.status == 200, await fetched.text()
    verified = await hub.verify(("b", "system"), await fetched.read())
    assert verified.status == 200, await verified.text()
    await _kept_head(hub, tmp_path / "kept.json")
    proof = tmp_path / "proof.json"

    assert await _cli(["audit", "proof", doc_id, "--out", str(proof)]) == 0
    status = await _cli(["audit", "verify-proof", str(proof)])

    out = capsys.readouterr().out
    assert status == 0, out
    body = json.loads(proof.read_text(encoding="utf-8"))
    actions = [json.loads(e["entry"])["action"] for e in body["entries"]]
    assert actions == ["document.draft", "document.verify"]
    checked = json.loads(body["entries"][1]["entry"])["sha256"]
    assert checked in body["files"]
