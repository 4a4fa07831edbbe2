"""The proof that a document's events are in the log, checkable offline.

A proof file is one JSON object: the document id, the SHA-256 of the PDFs
the document has had, one signed tree head, and each of the document's
entries (its own, those of its deliveries, and the verifications asked of
one of its PDFs) with its audit path in that tree. Anyone holding the file
and the roots of trust of the hub's audit key checks it with ``edocx audit
verify-proof``: the head's signature and timestamp, then each entry's path
to its root.
Entries appended after the head are listed as pending, without a proof.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from edocx.audit import checkpoints, log
from edocx.audit.checkpoints import SignedTreeHead
from edocx.audit.export import ExportFormatError
from edocx.audit.merkle import leaf_hash, verify_inclusion
from edocx.audit.treehead import b64, unb64
from edocx.audit.verify import HeadCheck
from edocx.errors import EdocxError
from edocx.store.db import Database, Reader

FORMAT = "edocx-audit-proof"
VERSION = 1


class NothingToProveError(EdocxError):
    code = "audit-nothing-to-prove"
    status = 404
    title = "No entry or tree head to prove with"


class ProvenEntry(BaseModel):
    index: int
    entry: str = Field(description="the entry's canonical JSON (RFC 8785)")
    proof: list[str] = Field(description="audit path in the tree head, base64")


class DocumentProof(BaseModel):
    format: str = FORMAT
    version: int = VERSION
    document_id: str
    files: list[str] = Field(
        default_factory=list,
        description="SHA-256 (hex) of the document's PDFs, as the hub knows them",
    )
    tree_head: SignedTreeHead
    entries: list[ProvenEntry]
    pending: list[int] = Field(default_factory=list)

    def to_json(self) -> str:
        return self.model_dump_json(indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> DocumentProof:
        try:
            proof = cls.model_validate_json(text)
        except ValidationError as e:
            raise ExportFormatError(
                f"not a {FORMAT} file: {e.error_count()} faults"
            ) from e
        if (proof.format, proof.version) != (FORMAT, VERSION):
            raise ExportFormatError(f"not a {FORMAT} file of version {VERSION}")
        return proof


async def document_proof(
    db: Database, document_id: str, tree_size: int | None = None
) -> DocumentProof:
    """Collect the document's entries and prove each in one tree head."""
    async with db.read() as reader:
        indices = await log.document_indices(reader, document_id)
        if not indices:
            raise NothingToProveError(f"no audit entry names document {document_id}")
        sth = await _tree_head(reader, tree_size)
        await _covers(reader, sth, document_id, indices[0])
        files = await log.document_files(reader, document_id)
        proven = [
            await _prove(reader, i, sth.tree_size) for i in indices if i < sth.tree_size
        ]
    pending = [i for i in indices if i >= sth.tree_size]
    return DocumentProof(
        document_id=document_id, files=files, tree_head=sth, entries=proven,
        pending=pending,
    )  # fmt: skip


async def _tree_head(reader: Reader, size: int | None) -> SignedTreeHead:
    if size is None:
        sth = await checkpoints.latest(reader)
        if sth is None:
            raise NothingToProveError(
                "no signed tree head yet",
                hint="make one with POST /api/v1/audit/tree-head",
            )
        return sth

    # Checked before any statement: SQLite takes no integer beyond 64 bits.
    current = await log.tree_size(reader)
    if not 0 <= size <= current:
        raise NothingToProveError(f"the log has {current} entries: no tree of {size}")
    sth = await checkpoints.checkpoint_at(reader, size)
    if sth is None:
        # A head is made of the log as it is: only the current size can
        # still get one.
        hint = "make one with POST /api/v1/audit/tree-head" if size == current else None
        raise NothingToProveError(f"no signed tree head of size {size}", hint=hint)
    return sth


async def _covers(
    reader: Reader, sth: SignedTreeHead, document_id: str, first: int
) -> None:
    """Refuse a head made before the document's first entry."""
    if first < sth.tree_size:
        return
    newest = await checkpoints.latest(reader)
    if newest is not None and first < newest.tree_size:
        hint = (
            f"the newest head that does is of size {newest.tree_size}, made at"
            f" {newest.made_at_vietnam}: run without --tree-size"
        )
    else:
        hint = "no head covers them yet: make one with POST /api/v1/audit/tree-head"
    raise NothingToProveError(
        f"the tree head of size {sth.tree_size} does not cover the entries of"
        f" document {document_id} (its first is entry {first})",
        hint=hint,
    )


async def _prove(reader: Reader, index: int, size: int) -> ProvenEntry:
    (item,) = await log.entries(reader, index, index + 1)
    path = await log.inclusion_proof(reader, index, size)
    return ProvenEntry(
        index=index, entry=item.entry.decode("utf-8"), proof=[b64(p) for p in path]
    )


def check_proof(proof: DocumentProof, check_head: HeadCheck) -> list[str]:
    """Return what does not hold in ``proof``; empty when all of it does."""
    sth = proof.tree_head
    problems = [f"tree head: {p}" for p in check_head(sth)]
    if not proof.entries:
        problems.append("the file proves no entry")
    root = unb64(sth.root_hash)
    for item in proof.entries:
        if not _included(item, sth.tree_size, root):
            problems.append(
                f"entry {item.index}: not in the tree of size {sth.tree_size}"
                " (the entry or its path was changed)"
            )
        elif not _names(item.entry, proof.document_id, proof.files):
            problems.append(
                f"entry {item.index}: in the log, but it does not name document"
                f" {proof.document_id}"
            )
    return problems


def _names(entry: str, document_id: str, files: Sequence[str]) -> bool:
    value = _object(entry)
    details = value.get("details")
    named = details.get("document") if isinstance(details, dict) else None
    if document_id in (value.get("object_id"), named):
        return True
    # A verification names the file verified, one of the document's PDFs.
    return value.get("action") == "document.verify" and value.get("sha256") in files


def _object(entry: str) -> dict[str, Any]:
    try:
        value = json.loads(entry)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _included(item: ProvenEntry, size: int, root: bytes) -> bool:
    try:
        path = [unb64(p) for p in item.proof]
    except ValueError:
        return False
    leaf = leaf_hash(item.entry.encode("utf-8"))
    return item.index < size and verify_inclusion(leaf, item.index, size, path, root)


def describe(proof: DocumentProof, problems: Sequence[str]) -> list[str]:
    """The outcome as lines: each entry's action, the problems, the verdict."""
    sth = proof.tree_head
    lines = [
        f"document {proof.document_id}, tree head of size {sth.tree_size}"
        f" made at {sth.made_at_vietnam}"
    ]
    for item in proof.entries:
        lines.append(f"entry {item.index}: {_action(item.entry)}")
    lines.extend(problems)
    for index in proof.pending:
        lines.append(f"entry {index}: appended after the tree head, not proven")
    lines.append("proof: " + ("good" if not problems else "DOES NOT HOLD"))
    return lines


def _action(entry: str) -> str:
    value = _object(entry)
    return f"{value.get('action', '?')} at {value.get('at', '?')}"
