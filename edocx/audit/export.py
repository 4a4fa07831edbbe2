"""The exported audit log: JSON lines anyone can check offline.

The file is UTF-8, one JSON object per line, each with a ``kind``:

1. one ``log`` line: the format name and version, the number of entries
   and the time of the export;
2. one ``entry`` line per entry, in index order from 0: the index, the
   entry's canonical JSON (RFC 8785) as a string, so that its exact bytes
   survive any JSON tool, and the leaf hash the hub keeps for it (base64);
3. one ``tree_head`` line per signed tree head the hub kept, in the order
   it made them (all of them, even one larger than the entries), each the
   JSON of :class:`~edocx.audit.checkpoints.SignedTreeHead`.

docs/audit-log.md describes the format for readers outside the hub.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TextIO

from pydantic import ValidationError

from edocx.audit import log
from edocx.audit.treehead import SignedTreeHead, b64, unb64
from edocx.errors import InputError
from edocx.store.db import Database

logger = logging.getLogger(__name__)

FORMAT = "edocx-audit-log"
VERSION = 1
# Entries read from the database per statement while exporting.
PAGE = 1000


class ExportFormatError(InputError):
    code = "audit-export-invalid"
    status = 422
    title = "Not an audit log export this version can read"


@dataclass(frozen=True)
class ExportedEntry:
    index: int
    entry: bytes
    leaf_hash: bytes


@dataclass(frozen=True)
class ExportedLog:
    size: int
    exported_at: str
    entries: list[ExportedEntry]
    tree_heads: list[SignedTreeHead]


def log_line(size: int, at: datetime) -> str:
    head = {"kind": "log", "format": FORMAT, "version": VERSION, "size": size}
    return _line({**head, "exported_at": at.isoformat()})


def entry_line(index: int, entry: bytes, leaf_hash: bytes) -> str:
    return _line(
        {
            "kind": "entry",
            "index": index,
            "entry": entry.decode("utf-8"),
            "leaf_hash": b64(leaf_hash),
        }
    )


def tree_head_line(sth: SignedTreeHead) -> str:
    return _line({"kind": "tree_head", "tree_head": sth.model_dump(mode="json")})


def _line(value: dict[str, Any]) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")) + "\n"


async def export_log(db: Database, out: TextIO, *, at: datetime) -> tuple[int, int]:
    """Write the whole log and its tree heads to ``out``.

    Return what the file holds: the number of entries and of tree heads.

    The entries are read in pages, in one snapshot, so that the file is one
    state of the log even while the hub keeps appending.
    """
    async with db.read() as reader:
        size = await log.tree_size(reader)
        out.write(log_line(size, at))
        for start in range(0, size, PAGE):
            for item in await log.entries(reader, start, min(size, start + PAGE)):
                out.write(entry_line(item.index, item.entry, item.leaf_hash))
        heads = await log.tree_heads(reader)
    # Every head kept, even one larger than the entries: a signed head of
    # more entries than the file holds is the evidence of a tail cut off.
    for sth in heads:
        out.write(tree_head_line(sth))
    logger.info("exported the audit log: %d entries, %d tree heads", size, len(heads))
    return size, len(heads)


def read_export(lines: Iterable[str]) -> ExportedLog:
    """Parse an export; raise ExportFormatError naming the faulty line."""
    numbered = enumerate(lines, start=1)
    head = _first(numbered)
    entries: list[ExportedEntry] = []
    heads: list[SignedTreeHead] = []
    for number, value in _objects(numbered):
        try:
            if value.get("kind") == "entry":
                entries.append(_entry(value))
            elif value.get("kind") == "tree_head":
                heads.append(SignedTreeHead.model_validate(value["tree_head"]))
            else:
                raise ValueError(f"unknown kind {value.get('kind')!r}")
        except (KeyError, TypeError, ValueError, ValidationError) as e:
            raise ExportFormatError(f"line {number}: {_short(e)}") from e
    return ExportedLog(head["size"], head["exported_at"], entries, heads)


def _first(numbered: Iterator[tuple[int, str]]) -> dict[str, Any]:
    for _number, value in _objects(numbered):
        ok = value.get("kind") == "log" and value.get("format") == FORMAT
        if not ok or value.get("version") != VERSION:
            raise ExportFormatError(
                f"line 1: not an export of format {FORMAT}, version {VERSION}",
                hint="write the file with 'edocx audit export'",
            )
        if not isinstance(value.get("size"), int):
            raise ExportFormatError("line 1: the size is missing")
        head: dict[str, Any] = value
        return head
    raise ExportFormatError("the file is empty")


def _objects(numbered: Iterator[tuple[int, str]]) -> Iterator[tuple[int, Any]]:
    for number, text in numbered:
        if not text.strip():
            continue
        try:
            value = json.loads(text)
        except json.JSONDecodeError as e:
            raise ExportFormatError(f"line {number}: not JSON ({e.msg})") from e
        if not isinstance(value, dict):
            raise ExportFormatError(f"line {number}: not a JSON object")
        yield number, value


def _entry(value: dict[str, Any]) -> ExportedEntry:
    index, text = value["index"], value["entry"]
    if not isinstance(index, int) or not isinstance(text, str):
        raise ValueError("an entry needs an integer index and a string entry")
    return ExportedEntry(index, text.encode("utf-8"), unb64(value["leaf_hash"]))


def _short(error: Exception) -> str:
    if isinstance(error, KeyError):
        return f"field {error.args[0]!r} missing"
    return str(error).splitlines()[0]
