"""Status 01 recorded by the hub when an agency's system has a document.

The exchange's life-cycle owns the rule (01 once, never after a later
status); delivery calls it on a pull acknowledgement and on a 2xx to a push.
"""

from __future__ import annotations

from datetime import datetime

from edocx.exchange import delivery
from edocx.store.db import Tx


async def record_arrival_in(tx: Tx, *, delivery_id: int, at: datetime) -> bool:
    """Record 01 for the delivery unless recorded, in the caller's transaction.

    True when this call did. The acknowledgement (a pull's, a push's 2xx)
    and its 01 commit together.
    """
    return await delivery.record_arrival_in(tx, delivery_id=delivery_id, at=at)
