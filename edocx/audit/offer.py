"""The latest signed tree head, as offered to every agency's system.

The hub names its latest head in an ``Audit-Tree-Head`` header on its
answers to authenticated calls and on the messages it pushes, so that
copies of it live outside the hub::

    Audit-Tree-Head: tree_size=1234; root_hash=<base64>; made_at=<ISO 8601>

The header is a pointer, not a proof: a system that sees a size it has not
kept fetches the signed head (``GET /api/v1/audit/tree-head``), checks its
signature and its consistency with the last head it kept, and keeps it.
"""

from __future__ import annotations

from edocx.audit import checkpoints
from edocx.audit.treehead import SignedTreeHead
from edocx.store.db import Reader

HEADER = "Audit-Tree-Head"


def offer_value(sth: SignedTreeHead) -> str:
    """The header's value for ``sth``."""
    return (
        f"tree_size={sth.tree_size}; root_hash={sth.root_hash}; made_at={sth.made_at}"
    )


async def latest_offer(reader: Reader) -> str | None:
    """The header's value for the latest head, None before the first."""
    sth = await checkpoints.latest(reader)
    return None if sth is None else offer_value(sth)
