"""The audit log's API: tree heads, entries, inclusion and consistency proofs.

Hashes and signatures travel in base64, as in the signed tree head. An
entry travels as its canonical JSON text, whose UTF-8 bytes are the leaf
(RFC 9162 hashes ``0x00 || entry``). Proofs come from the hashes the hub
stored as it appended (O(log n) reads), never from the whole tree.
"""

from __future__ import annotations

import logging

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from edocx.audit import checkpoints, log

# Re-exported: the route table names it as the tree head routes' answer.
from edocx.audit.checkpoints import SignedTreeHead as SignedTreeHead
from edocx.audit.treehead import b64
from edocx.errors import EdocxError, InputError
from edocx.web.auditheaders import TREE_HEADS
from edocx.web.bodies import refuse_any_field
from edocx.web.idempotency import answering
from edocx.web.problems import BodyFieldUnknownError, RequestInvalidError
from edocx.web.routing import Call, json_answer

logger = logging.getLogger(__name__)

MAX_PAGE = 1000
# SQLite's largest integer: no size or index beyond it reaches a statement.
MAX_SQL_INT = 2**63 - 1


class AuditRangeError(InputError):
    code = "audit-range-invalid"
    status = 422
    title = "The range or tree size is outside the audit log"


class TreeHeadNotFoundError(EdocxError):
    code = "audit-tree-head-not-found"
    status = 404
    title = "No signed tree head of that size"


class _Query(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TreeHeadQuery(_Query):
    tree_size: int | None = Field(
        default=None, ge=0, le=MAX_SQL_INT,
        description="a kept head of this size (default: the largest)",
    )  # fmt: skip


class EntriesQuery(_Query):
    start: int = Field(default=0, ge=0, le=MAX_SQL_INT, description="first index")
    end: int | None = Field(
        default=None, ge=0, le=MAX_SQL_INT,
        description=f"index after the last (start+{MAX_PAGE} at most)",
    )  # fmt: skip


class ProofQuery(_Query):
    tree_size: int | None = Field(
        default=None, ge=0, le=MAX_SQL_INT,
        description="size of the tree (default: the largest head's)",
    )  # fmt: skip


class ConsistencyQuery(_Query):
    first: int = Field(ge=0, le=MAX_SQL_INT, description="the smaller tree size")
    second: int | None = Field(
        default=None, ge=0, le=MAX_SQL_INT,
        description="the larger tree size (default: the largest head's)",
    )  # fmt: skip


class EntryOut(BaseModel):
    index: int
    entry: str = Field(description="the entry's canonical JSON (RFC 8785)")
    leaf_hash: str = Field(description="base64 SHA-256(0x00 || entry)")


class EntriesOut(BaseModel):
    tree_size: int = Field(description="entries in the log now")
    items: list[EntryOut]
    next_start: int | None


class InclusionOut(BaseModel):
    index: int
    tree_size: int
    leaf_hash: str
    root_hash: str
    proof: list[str] = Field(description="audit path, base64, leaf to root")


class ConsistencyOut(BaseModel):
    first: int
    second: int
    first_root: str
    second_root: str
    proof: list[str] = Field(description="consistency proof (RFC 9162), base64")


async def get_tree_head(call: Call) -> SignedTreeHead:
    """The latest signed tree head, or a kept one of the size asked."""
    size = call.query.tree_size
    async with call.hub.db.read() as reader:
        if size is None:
            sth = await checkpoints.latest(reader)
        else:
            await _within_log(reader, size)
            sth = await checkpoints.checkpoint_at(reader, size)
    if sth is None:
        raise TreeHeadNotFoundError(
            "no signed tree head" + ("" if size is None else f" of size {size}"),
            hint="heads are made on a schedule; an auditor or admin may make"
            " one now with POST /api/v1/audit/tree-head",
        )
    return sth


async def make_tree_head(call: Call) -> SignedTreeHead | web.Response:
    """Sign and timestamp a tree head of the log as it is now.

    When the log has not grown since the largest head, that head is the
    answer (200): another signature and timestamp would say nothing new.
    """
    _no_body(call)
    async with call.hub.db.read() as reader:
        size = await log.tree_size(reader)
        newest = await checkpoints.latest(reader)
    if newest is not None and newest.tree_size == size:
        body = newest.model_dump_json().encode("utf-8")
        return web.Response(status=200, body=body, content_type="application/json")

    answer = answering(lambda made: json_answer(made, 201))
    sth = await checkpoints.make_checkpoint(call.hub, at=call.at)
    call.request.app[TREE_HEADS].offer(sth)
    logger.info(
        "tree head of size %d made on request of user %d", sth.tree_size, call.me.id
    )
    return answer(sth)


def _no_body(call: Call) -> None:
    try:
        refuse_any_field(
            call.unasked_body, call.request.content_type,
            operation="making a tree head",
        )  # fmt: skip
    except BodyFieldUnknownError as e:
        # The shared wording speaks of signing; a tree head takes nothing.
        raise BodyFieldUnknownError(
            e.detail, hint="send no body, or {}", fields=e.extensions["fields"]
        ) from e


async def list_entries(call: Call) -> EntriesOut:
    """A bounded page of entries, in index order."""
    query: EntriesQuery = call.query
    if query.end is not None and query.start > query.end:
        raise AuditRangeError(f"start ({query.start}) is after end ({query.end})")
    async with call.hub.db.read() as reader:
        size = await log.tree_size(reader)
        if query.start > size:
            raise AuditRangeError(
                f"start ({query.start}) is beyond the log's {size} entries"
            )
        end = min(size, query.end if query.end is not None else size)
        end = min(end, query.start + MAX_PAGE)
        found = await log.entries(reader, query.start, end) if query.start < end else []
    items = [EntryOut(index=e.index, entry=e.entry.decode("utf-8"),
                      leaf_hash=b64(e.leaf_hash)) for e in found]  # fmt: skip
    more = end < size and (query.end is None or end < query.end)
    return EntriesOut(tree_size=size, items=items, next_start=end if more else None)


async def get_inclusion_proof(call: Call) -> InclusionOut:
    """The audit path of one entry in a tree of a signed size."""
    index = _index(call.param("index"))
    async with call.hub.db.read() as reader:
        size = await _size_or_latest(reader, call.query.tree_size)
        if index >= size:
            raise AuditRangeError(f"entry {index} is not in a tree of {size} entries")
        (entry,) = await log.entries(reader, index, index + 1)
        proof = await log.inclusion_proof(reader, index, size)
        root = await log.root_at(reader, size)
    return InclusionOut(
        index=index, tree_size=size, leaf_hash=b64(entry.leaf_hash),
        root_hash=b64(root), proof=[b64(p) for p in proof],
    )  # fmt: skip


async def get_consistency_proof(call: Call) -> ConsistencyOut:
    """The proof that the tree of ``second`` entries extends that of ``first``."""
    query: ConsistencyQuery = call.query
    async with call.hub.db.read() as reader:
        second = await _size_or_latest(reader, query.second)
        if query.first > second:
            raise AuditRangeError(
                f"first ({query.first}) is larger than second ({second})"
            )
        proof = await log.consistency_proof(reader, query.first, second)
        first_root = await log.root_at(reader, query.first)
        second_root = await log.root_at(reader, second)
    return ConsistencyOut(
        first=query.first, second=second, first_root=b64(first_root),
        second_root=b64(second_root), proof=[b64(p) for p in proof],
    )  # fmt: skip


def _index(text: str) -> int:
    # A malformed path value is refused as a malformed query value is; a
    # number too large is simply not in the tree (checked against its size).
    if not (text.isascii() and text.isdigit()) or len(text) > 40:
        problem = f"index: not an entry index: {text[:20]!r}"
        raise RequestInvalidError("invalid request: " + problem, errors=[problem])
    return int(text)


async def _size_or_latest(reader: log.Reader, size: int | None) -> int:
    if size is None:
        sth = await checkpoints.latest(reader)
        if sth is None:
            raise TreeHeadNotFoundError(
                "no signed tree head yet", hint="name a tree_size, or make a head"
            )
        size = sth.tree_size
    await _within_log(reader, size)
    return size


async def _within_log(reader: log.Reader, size: int) -> None:
    # A head larger than the log: entries were removed behind the hub's back.
    current = await log.tree_size(reader)
    if size > current:
        raise AuditRangeError(f"the log has {current} entries, not {size}")
