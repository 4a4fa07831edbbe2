"""An insider edits the hub's SQLite file; the kept tree heads expose it.

The hub runs, drafts are uploaded, and after each one an auditor asks for
a signed tree head through the API and keeps it in a file outside the
database, as agencies' systems do. Then each case edits a copy of the
database directly (triggers dropped, stored hashes recomputed so that the
database agrees with itself) and ``verify_log`` must name what and where.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio

from edocx.audit.cli import trust_roots
from edocx.audit.headcheck import verify_tree_head
from edocx.audit.treehead import SignedTreeHead
from edocx.audit.verify import VerifyReport, verify_log
from tests.audit import tamperkit as kit
from tests.web.hubkit import Hub, header

pytestmark = pytest.mark.asyncio(loop_scope="module")

DRAFTS = 4


@dataclass(frozen=True)
class Genuine:
    database: Path
    kept: list[SignedTreeHead]
    drafts: list[int]  # the leaf index of each draft's entry
    check: Callable[[SignedTreeHead], list[str]]


async def _keep_head(hub: Hub, folder: Path) -> SignedTreeHead:
    response = await hub.post(("hub", "auditor"), "/audit/tree-head")
    assert response.status == 201, await response.text()
    text = await response.text()
    sth = SignedTreeHead.model_validate_json(text)
    (folder / f"sth-{sth.tree_size}.json").write_text(text, encoding="utf-8")
    return sth


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def genuine(
    hub: Hub, pdfs: Path, tmp_path_factory: pytest.TempPathFactory
) -> Genuine:
    folder = tmp_path_factory.mktemp("kept-outside")
    await _keep_head(hub, folder)
    pdf = (pdfs / "EmptyPage.pdf").read_bytes()
    drafts = []
    for n in range(DRAFTS):
        response = await hub.upload(("a", "signer"), pdf, header(subject=f"Số {n}"))
        assert response.status == 201, await response.text()
        drafts.append(int(response.headers["Audit-Index"]))
        await _keep_head(hub, folder)

    # The heads are read back from the files: only they count from here.
    kept = [
        SignedTreeHead.model_validate_json(path.read_bytes())
        for path in sorted(folder.glob("sth-*.json"))
    ]
    database = kit.copy_database(
        hub.settings.storage.db_path, folder.parent / "genuine.sqlite3"
    )
    roots = trust_roots(hub.settings)
    return Genuine(database, kept, drafts, lambda sth: verify_tree_head(sth, roots))


async def _tampered(
    genuine: Genuine, tmp_path: Path, edit: Callable[..., None]
) -> kit.ExportedLog:
    path = kit.copy_database(genuine.database, tmp_path / "tampered.sqlite3")
    conn = kit.open_as_insider(path)
    try:
        edit(conn)
    finally:
        conn.close()
    return await kit.exported(path)


def _verified(genuine: Genuine, exported: kit.ExportedLog) -> VerifyReport:
    report = verify_log(exported, genuine.kept, genuine.check)
    assert not report.ok, report.lines()
    return report


async def test_the_genuine_log_verifies(genuine: Genuine, tmp_path: Path) -> None:
    exported = await _tampered(genuine, tmp_path, lambda conn: None)

    report = verify_log(exported, genuine.kept, genuine.check)

    assert report.ok, report.lines()
    assert report.tree_heads == DRAFTS + 1
    assert genuine.drafts == list(range(genuine.drafts[0], genuine.drafts[0] + DRAFTS))
    draft = json.loads(exported.entries[genuine.drafts[2]].entry)
    assert draft["action"] == "document.draft"


async def test_a_changed_field_is_named(genuine: Genuine, tmp_path: Path) -> None:
    target = genuine.drafts[1]

    def edit(conn: kit.sqlite3.Connection) -> None:
        seq = dict(kit.leaf_rows(conn))[target]
        conn.execute(
            "UPDATE audit_events SET content_sha256 = ? WHERE seq = ?", ("00" * 32, seq)
        )

    report = _verified(genuine, await _tampered(genuine, tmp_path, edit))

    assert report.first_bad_entry == target
    assert f"entry {target}: its content does not match" in "\n".join(report.lines())


async def test_a_changed_field_with_rewritten_hashes_is_named(
    genuine: Genuine, tmp_path: Path
) -> None:
    target = genuine.drafts[2]

    def edit(conn: kit.sqlite3.Connection) -> None:
        seqs = [seq for _, seq in kit.leaf_rows(conn)]
        conn.execute(
            "UPDATE audit_events SET action = 'document.read' WHERE seq = ?",
            (seqs[target],),
        )
        kit.set_leaves(conn, seqs)

    report = _verified(genuine, await _tampered(genuine, tmp_path, edit))

    assert report.first_bad_entry == target
    assert f"entry {target}: the first {target + 1} entries do not make the root" in (
        "\n".join(report.lines())
    )


async def test_a_deleted_entry_is_named(genuine: Genuine, tmp_path: Path) -> None:
    target = genuine.drafts[1]

    def edit(conn: kit.sqlite3.Connection) -> None:
        seqs = [seq for _, seq in kit.leaf_rows(conn)]
        conn.execute("DELETE FROM audit_events WHERE seq = ?", (seqs[target],))
        kit.set_leaves(conn, seqs[:target] + seqs[target + 1 :])

    report = _verified(genuine, await _tampered(genuine, tmp_path, edit))

    assert report.first_bad_entry == target
    text = "\n".join(report.lines())
    assert f"entry {target}: the first {target + 1} entries" in text
    assert "fewer than the tree head" in text


async def test_two_swapped_entries_are_named(genuine: Genuine, tmp_path: Path) -> None:
    first, second = genuine.drafts[1], genuine.drafts[2]

    def edit(conn: kit.sqlite3.Connection) -> None:
        seqs = [seq for _, seq in kit.leaf_rows(conn)]
        seqs[first], seqs[second] = seqs[second], seqs[first]
        kit.set_leaves(conn, seqs)

    report = _verified(genuine, await _tampered(genuine, tmp_path, edit))

    assert report.first_bad_entry == first


async def test_an_inserted_entry_is_named(genuine: Genuine, tmp_path: Path) -> None:
    target = genuine.drafts[2]

    def edit(conn: kit.sqlite3.Connection) -> None:
        seqs = [seq for _, seq in kit.leaf_rows(conn)]
        forged = conn.execute(
            "INSERT INTO audit_events (at, actor_id, agency_id, action,"
            " object_type, object_id) SELECT at, actor_id, agency_id,"
            " 'document.sign', object_type, object_id FROM audit_events"
            " WHERE seq = ?",
            (seqs[target - 1],),
        ).lastrowid
        assert forged is not None
        kit.set_leaves(conn, [*seqs[:target], forged, *seqs[target:]])

    exported = await _tampered(genuine, tmp_path, edit)
    report = _verified(genuine, exported)

    assert report.first_bad_entry == target, report.lines()
    assert json.loads(exported.entries[target].entry)["action"] == "document.sign"


async def test_a_truncated_tail_is_named(genuine: Genuine, tmp_path: Path) -> None:
    keep = genuine.drafts[2]

    def edit(conn: kit.sqlite3.Connection) -> None:
        seqs = [seq for _, seq in kit.leaf_rows(conn)]
        conn.execute("DELETE FROM audit_events WHERE seq >= ?", (seqs[keep],))
        kit.set_leaves(conn, seqs[:keep])
        kit.drop_heads_above(conn, keep)

    exported = await _tampered(genuine, tmp_path, edit)
    report = _verified(genuine, exported)

    assert report.first_bad_entry == keep
    text = "\n".join(report.lines())
    assert f"the log holds {keep} entries, fewer than the tree head of size" in text
    # The database alone agrees with itself: only the kept heads tell.
    assert verify_log(exported, [], genuine.check).ok


async def test_an_older_genuine_head_put_back_is_named(
    genuine: Genuine, tmp_path: Path
) -> None:
    older = kit.head_of_size(genuine.kept, genuine.drafts[1] + 1)

    def edit(conn: kit.sqlite3.Connection) -> None:
        # The newest heads go; the older genuine one is offered as the latest.
        kit.drop_heads_above(conn, older.tree_size - 1)
        conn.execute(
            "INSERT INTO audit_checkpoints (tree_size, made_at, head_json)"
            " VALUES (?, ?, ?)",
            (older.tree_size, older.made_at, older.model_dump_json()),
        )

    exported = await _tampered(genuine, tmp_path, edit)
    report = _verified(genuine, exported)

    assert max(h.tree_size for h in exported.tree_heads) == older.tree_size
    text = "\n".join(report.lines())
    assert f"the hub's newest tree head is of size {older.tree_size}" in text
    assert "rolled back" in text
    assert verify_log(exported, [], genuine.check).ok


async def test_rows_changed_without_their_hashes_are_named_exactly(
    genuine: Genuine, tmp_path: Path
) -> None:
    # A hastier insider: the event rows change, the stored hashes stay.
    deleted, first, second = genuine.drafts[0], genuine.drafts[2], genuine.drafts[3]

    def edit(conn: kit.sqlite3.Connection) -> None:
        seqs = dict(kit.leaf_rows(conn))
        conn.execute("DELETE FROM audit_events WHERE seq = ?", (seqs[deleted],))
        rows = [
            conn.execute(
                "SELECT object_id FROM audit_events WHERE seq = ?", (seqs[i],)
            ).fetchone()[0]
            for i in (first, second)
        ]
        for i, object_id in zip((second, first), rows, strict=True):
            conn.execute(
                "UPDATE audit_events SET object_id = ? WHERE seq = ?",
                (object_id, seqs[i]),
            )

    report = _verified(genuine, await _tampered(genuine, tmp_path, edit))

    assert report.first_bad_entry == deleted
    text = "\n".join(report.lines())
    assert f"entry {deleted}: its content does not match" in text
    assert f"so do 2 more: {first}, {second}" in text


async def test_a_cut_tail_whose_heads_stay_is_named_without_kept_heads(
    genuine: Genuine, tmp_path: Path
) -> None:
    # A careless insider cuts the tail but leaves the signed heads: the file
    # itself then carries the head that says more entries existed.
    keep = genuine.drafts[2]

    def edit(conn: kit.sqlite3.Connection) -> None:
        seqs = [seq for _, seq in kit.leaf_rows(conn)]
        conn.execute("DELETE FROM audit_events WHERE seq >= ?", (seqs[keep],))
        kit.set_leaves(conn, seqs[:keep])

    exported = await _tampered(genuine, tmp_path, edit)
    report = verify_log(exported, [], genuine.check)

    assert len(exported.tree_heads) == DRAFTS + 1
    assert not report.ok
    assert report.first_bad_entry == keep
    text = "\n".join(report.lines())
    assert f"the log holds {keep} entries, fewer than the tree head of size" in text


async def test_a_rewrite_between_two_kept_heads_is_named_as_a_span(
    genuine: Genuine, tmp_path: Path
) -> None:
    first, last = genuine.kept[0], genuine.kept[-1]
    target = genuine.drafts[1]

    def edit(conn: kit.sqlite3.Connection) -> None:
        seqs = [seq for _, seq in kit.leaf_rows(conn)]
        conn.execute(
            "UPDATE audit_events SET action = 'document.read' WHERE seq = ?",
            (seqs[target],),
        )
        kit.set_leaves(conn, seqs)
        kit.drop_heads_above(conn, -1)

    exported = await _tampered(genuine, tmp_path, edit)
    report = verify_log(exported, [first, last], genuine.check)

    assert not report.ok
    span = (first.tree_size, last.tree_size - 1)
    assert report.first_bad == span
    assert report.first_bad_entry is None
    wording = f"first entry that does not match: one of entries {span[0]} to {span[1]}"
    assert wording in report.lines()


async def test_a_forged_head_is_set_aside_not_used(
    genuine: Genuine, tmp_path: Path
) -> None:
    exported = await _tampered(genuine, tmp_path, lambda conn: None)
    genuine_head = genuine.kept[2]
    other = genuine.kept[1].root_hash
    forged = genuine_head.model_copy(update={"root_hash": other})

    report = verify_log(exported, [*genuine.kept, forged], genuine.check)

    text = "\n".join(report.lines())
    assert not report.ok
    assert [f.where for f in report.findings] == [
        f"tree head of size {forged.tree_size} made at {forged.made_at_vietnam}"
    ]
    assert "not a genuine tree head" in text
    assert "two histories" not in text
    assert report.first_bad is None
    assert "first entry that does not match" not in text


async def test_an_export_without_heads_is_judged_by_the_kept_ones(
    genuine: Genuine, tmp_path: Path
) -> None:
    exported = await _tampered(
        genuine, tmp_path, lambda conn: kit.drop_heads_above(conn, -1)
    )

    report = verify_log(exported, genuine.kept, genuine.check)

    assert exported.tree_heads == []
    assert report.ok, report.lines()
