"""Recall, update and replacement of a sent document (edXML business types
1, 2 and 3; Decree 30/2020 Art. 18; domain §4.3 and §10.8).

* Recall (1) and update (2): the original sender asks with a 13 that says
  which of the two it wants; each recipient answers 15 (agreed) or 16
  (refused, the previous state is kept). An agreed recall cancels the
  recipient's copy: the delivery is kept, visible and marked cancelled,
  for the audit trail. An agreed update is recorded as applied for that
  recipient.
* Replacement (3): a new document replaces an old one for the recipients
  listed; the old deliveries are linked to the new document ("replaced
  by"). A draft may ask for it in its header (``replaces``); the link is
  made in the transaction that issues the new document.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from edocx.audit.events import record_event
from edocx.exchange.errors import ReplacementInvalidError
from edocx.exchange.header import Replaces
from edocx.exchange.statuses import ChangeKind
from edocx.store import deliveries
from edocx.store.db import Reader, Tx
from edocx.store.documents import get_document, get_document_by_id
from edocx.store.models import Delivery, Document, DocumentState

logger = logging.getLogger(__name__)


async def apply_agreement(
    tx: Tx, delivery: Delivery, kind: ChangeKind, *, document_uuid: str,
    actor_id: int | None, at: datetime,
) -> None:  # fmt: skip
    """Carry out what a recipient agreed to (15): cancel its copy or update it."""
    if kind is ChangeKind.REVOKE:
        await deliveries.mark_cancelled(tx, delivery.id, at=at)
        action = "delivery.cancel"
    else:
        await deliveries.mark_update_applied(tx, delivery.id, at=at)
        action = "delivery.update"
    await record_event(
        tx, at=at, actor=actor_id, agency=delivery.recipient_agency_id,
        action=action, object_type="delivery", object_id=str(delivery.id),
        details={"document": document_uuid, "recipient": delivery.recipient_organ_id},
    )  # fmt: skip
    logger.info(
        "document %s: recipient %s agreed to %s it",
        document_uuid, delivery.recipient_organ_id, kind.value,
    )  # fmt: skip


async def link_replacement(
    tx: Tx, *, new_document_id: int, replaced_document_id: int,
    agency_ids: list[int], at: datetime, actor_id: int | None = None,
) -> list[int]:  # fmt: skip
    """Mark the old document's deliveries to ``agency_ids`` replaced by the new.

    Return the ids of the deliveries linked; an agency the old document was
    not delivered to has nothing to link and is left out.
    """
    old = await get_document_by_id(tx, replaced_document_id)
    new = await get_document_by_id(tx, new_document_id)
    if old is None or new is None:
        raise ValueError("both documents of a replacement must exist")

    linked = []
    for agency_id in agency_ids:
        delivery = await deliveries.get_delivery(
            tx, document_id=old.id, recipient_agency_id=agency_id
        )
        if delivery is None:
            continue
        await deliveries.mark_replaced(tx, delivery.id, by_document_id=new.id, at=at)
        await record_event(
            tx, at=at, actor=actor_id, agency=old.agency_id,
            action="delivery.replace", object_type="delivery",
            object_id=str(delivery.id),
            details={"document": old.uuid, "replaced_by": new.uuid,
                     "recipient": delivery.recipient_organ_id},
        )  # fmt: skip
        linked.append(delivery.id)
    logger.info(
        "document %s of agency %s replaced by %s for %d recipient(s)",
        old.uuid, old.organ_id, new.uuid, len(linked),
    )  # fmt: skip
    return linked


@dataclass(frozen=True)
class PlannedReplacement:
    replaced_document_id: int
    agency_ids: tuple[int, ...]


async def plan_replacement(
    db: Reader, *, agency_id: int, recipient_ids: tuple[int, ...],
    replaces: Replaces | None,
) -> PlannedReplacement | None:  # fmt: skip
    """Check a draft's ``replaces`` against what its agency sent; or raise.

    The old document must be one the same agency issued; each recipient
    named must have received it and be a recipient of the new document.
    Naming none means every recipient of both.
    """
    if replaces is None:
        return None
    old = await get_document(db, replaces.document)
    if old is None or old.agency_id != agency_id:
        raise ReplacementInvalidError(
            f"no document {replaces.document} of this agency to replace"
        )
    if old.state is not DocumentState.ISSUED:
        raise ReplacementInvalidError(
            f"document {old.uuid} is {old.state.value}: only an issued document"
            " is replaced"
        )

    chosen = await _replaced_deliveries(db, old, recipient_ids, replaces)
    return PlannedReplacement(old.id, tuple(d.recipient_agency_id for d in chosen))


async def _replaced_deliveries(
    db: Reader, old: Document, recipient_ids: tuple[int, ...], replaces: Replaces
) -> list[Delivery]:
    sent = {d.recipient_organ_id: d
            for d in await deliveries.list_for_document(db, old.id)}  # fmt: skip
    if replaces.recipients:
        named = list(dict.fromkeys(replaces.recipients))  # once each
    else:
        named = [o for o, d in sent.items() if d.recipient_agency_id in recipient_ids]
    chosen = [sent[o] for o in named if o in sent]
    unknown = [o for o in named if o not in sent]
    if unknown or not chosen:
        missing = ", ".join(unknown) or "any recipient of the new document"
        raise ReplacementInvalidError(
            f"document {old.uuid} was not sent to {missing}",
            hint="name recipients of the document replaced",
        )

    outside = [d.recipient_organ_id for d in chosen
               if d.recipient_agency_id not in recipient_ids]  # fmt: skip
    if outside:
        raise ReplacementInvalidError(
            "the new document must go to each recipient whose copy it replaces:"
            f" {', '.join(outside)} is not among its recipients"
        )
    return chosen


async def save_plan(tx: Tx, document_id: int, plan: PlannedReplacement | None) -> None:
    """Keep a draft's planned replacement until the draft is issued."""
    if plan is None:
        return
    await tx.execute_many(
        "INSERT INTO planned_replacements (document_id, replaced_document_id,"
        " agency_id) VALUES (?,?,?)",
        [(document_id, plan.replaced_document_id, a) for a in plan.agency_ids],
    )


async def apply_planned(
    tx: Tx, document_id: int, *, actor_id: int, at: datetime
) -> list[int]:
    """Make the links a document's draft asked for, as it is issued."""
    rows = await tx.fetch_all(
        "SELECT replaced_document_id, agency_id FROM planned_replacements"
        " WHERE document_id = ? ORDER BY replaced_document_id, agency_id",
        (document_id,),
    )
    plans: dict[int, list[int]] = {}
    for old_id, agency_id in rows:
        plans.setdefault(old_id, []).append(agency_id)

    linked: list[int] = []
    for old_id, agency_ids in plans.items():
        linked += await link_replacement(
            tx, new_document_id=document_id, replaced_document_id=old_id,
            agency_ids=agency_ids, at=at, actor_id=actor_id,
        )  # fmt: skip
    return linked
