"""Business statuses of a delivery (edXML StatusCode, QCVN 102:2016).

Per (document, recipient) the statuses only move forward (domain §4.3):

* progress: ``01`` arrived, then ``02`` rejected (ends the delivery) or
  ``03`` accepted, then ``04`` assigned, ``05`` processing, ``06`` finished
  (05 and 06 may skip 04);
* change: the original sender asks ``13`` to revoke or to update the
  document, with a reason; the recipient answers ``15`` (agreed: a revoked
  copy is cancelled, an update applied) or ``16`` (refused: the previous
  state is kept).

Every status is judged in this order, and gets one of three outcomes or a
refusal:

1. who posts it: ``13`` is the sender's, every other code a recipient's;
2. a *repeat* of the current status (the same code, for a ``13`` the same
   kind) changes nothing;
3. a copy cancelled by a recall takes nothing but its 15 again (a
   repeat); on a rejected delivery a progress code behind the 02 is late
   and anything else but the 02 again is refused;
4. ``02`` after ``03`` is refused, late or not;
5. a *late* status (a progress code behind the current one, or older by
   its own reported time than the status that set the current progress,
   when that one came with its own time: the hub's clock orders nothing)
   is kept in the history and changes nothing;
6. any other move the rules forbid is refused, each with its own problem
   type (:mod:`edocx.exchange.errors`); otherwise it is *applied*.

A description is free text, shown to the other party and kept: it may span
lines (newline, tab) but refuses every other control character and the
invisible format characters, as header texts do. ``02`` (why the document
is rejected) and ``13`` (why it is taken back) need a visible reason.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from edocx.exchange.errors import (
    ChangeAlreadyPendingError,
    ChangeNotRequestedError,
    DeliveryCancelledError,
    DeliveryRejectedError,
    StatusBeforeAcceptanceError,
    StatusBeforeArrivalError,
    StatusDescriptionInvalidError,
    StatusReasonRequiredError,
    StatusRecipientOnlyError,
    StatusRejectAfterAcceptError,
    StatusSenderOnlyError,
)
from edocx.exchange.header import refuse_invisible


class StatusCode(StrEnum):
    ARRIVED = "01"
    REJECTED = "02"
    ACCEPTED = "03"
    ASSIGNED = "04"
    PROCESSING = "05"
    FINISHED = "06"
    TAKE_BACK = "13"
    CHANGE_AGREED = "15"
    CHANGE_REFUSED = "16"


class ChangeKind(StrEnum):
    """What a ``13`` asks for (edXML BussinessDocType 1 and 2)."""

    REVOKE = "revoke"
    UPDATE = "update"


class Outcome(StrEnum):
    APPLIED = "applied"
    REPEAT = "repeat"
    LATE = "late"


# 02 ranks with 03: both follow 01 only, and a late 01 is behind either.
_RANK = {
    StatusCode.ARRIVED: 1,
    StatusCode.REJECTED: 2,
    StatusCode.ACCEPTED: 2,
    StatusCode.ASSIGNED: 3,
    StatusCode.PROCESSING: 4,
    StatusCode.FINISHED: 5,
}
SENDER_CODES = frozenset({StatusCode.TAKE_BACK})
CHANGE_CODES = frozenset(
    {StatusCode.TAKE_BACK, StatusCode.CHANGE_AGREED, StatusCode.CHANGE_REFUSED}
)
REASON_CODES = frozenset({StatusCode.REJECTED, StatusCode.TAKE_BACK})
_LINE_BREAKS = frozenset("\n\t")


@dataclass(frozen=True)
class Position:
    """Where a delivery stands.

    ``kind`` is the kind of the last ``13``; ``reported_at`` the time the
    status that set the progress was reported (its packet's Timestamp, or
    when the hub received it).
    """

    progress: StatusCode | None = None
    change: StatusCode | None = None
    kind: ChangeKind | None = None
    cancelled: bool = False
    reported_at: datetime | None = None

    def facts(self) -> dict[str, str | None]:
        """The position as told to a client whose status was refused."""
        return {
            "progress": None if self.progress is None else self.progress.value,
            "change": None if self.change is None else self.change.value,
            "change_kind": None if self.kind is None else self.kind.value,
        }


@dataclass(frozen=True)
class Move:
    """What a status does: its outcome and the position after it."""

    outcome: Outcome
    position: Position


def next_move(
    current: Position, code: StatusCode, *, by_sender: bool,
    kind: ChangeKind | None = None, reported_at: datetime | None = None,
) -> Move:  # fmt: skip
    """Judge ``code`` against ``current`` (steps in the module doc), or raise."""
    _check_party(current, code, by_sender=by_sender)
    if code is StatusCode.TAKE_BACK:
        kind = kind or ChangeKind.REVOKE

    if current.cancelled:
        return _after_the_recall(current, code, kind)
    if _repeats(current, code, kind):
        return Move(Outcome.REPEAT, current)
    if current.progress is StatusCode.REJECTED:
        return _after_the_end(current, code)
    if code is StatusCode.REJECTED and _rank(current.progress) > 1:
        raise StatusRejectAfterAcceptError(
            f"02 is only allowed from 01; the delivery is at {current.progress}",
            extensions=current.facts(),
        )
    if _is_late(current, code, reported_at):
        return Move(Outcome.LATE, current)

    if code in CHANGE_CODES:
        return Move(Outcome.APPLIED, _next_change(current, code, kind))
    progress = _next_progress(current, code)
    return Move(
        Outcome.APPLIED, replace(current, progress=progress, reported_at=reported_at)
    )


def _after_the_recall(
    current: Position, code: StatusCode, kind: ChangeKind | None
) -> Move:
    # A cancelled copy takes no further status; only the agreement itself,
    # sent again (a retried packet), is answered as a repeat.
    if code is StatusCode.CHANGE_AGREED and _repeats(current, code, kind):
        return Move(Outcome.REPEAT, current)
    raise DeliveryCancelledError(
        "the document was recalled: the recipient's copy is cancelled",
        extensions=current.facts(),
    )


def _after_the_end(current: Position, code: StatusCode) -> Move:
    # A rejected delivery keeps a status given before the 02 (behind it by
    # code, whatever its time says) and refuses anything that would move it.
    if code not in CHANGE_CODES and _rank(code) < _rank(current.progress):
        return Move(Outcome.LATE, current)
    raise DeliveryRejectedError(
        "the recipient rejected the document: the delivery ended",
        extensions=current.facts(),
    )


def _check_party(current: Position, code: StatusCode, *, by_sender: bool) -> None:
    if by_sender and code not in SENDER_CODES:
        raise StatusRecipientOnlyError(
            f"status {code} is a recipient's; the sender posts 13 only",
            extensions=current.facts(),
        )
    if not by_sender and code in SENDER_CODES:
        raise StatusSenderOnlyError(
            "only the sender of the document may ask to change it (13)",
            hint="a recipient answers a 13 with 15 (agreed) or 16 (refused)",
            extensions=current.facts(),
        )


def _repeats(current: Position, code: StatusCode, kind: ChangeKind | None) -> bool:
    if code not in CHANGE_CODES:
        return code is current.progress
    if code is not current.change:
        return False
    return code is not StatusCode.TAKE_BACK or kind is current.kind


def _is_late(current: Position, code: StatusCode, reported_at: datetime | None) -> bool:
    # A change (13, 15, 16) is ordered by the rules alone: a recall does not
    # wait for the recipient's clock, nor its answer for the sender's.
    if code in CHANGE_CODES:
        return False
    if (
        reported_at is not None
        and current.reported_at is not None
        and reported_at < current.reported_at
    ):
        return True
    return _rank(code) < _rank(current.progress)


def _rank(code: StatusCode | None) -> int:
    return 0 if code is None else _RANK[code]


def _next_change(
    current: Position, code: StatusCode, kind: ChangeKind | None
) -> Position:
    if current.progress is StatusCode.REJECTED:
        raise DeliveryRejectedError(
            "the recipient rejected the document: the delivery ended",
            extensions=current.facts(),
        )
    if code is StatusCode.TAKE_BACK:
        if current.change is StatusCode.TAKE_BACK:
            raise ChangeAlreadyPendingError(
                f"a request to {current.kind} the document is pending",
                hint="wait for the recipient's answer (15 or 16)",
                extensions=current.facts(),
            )
        return replace(current, change=code, kind=kind)

    if current.change is not StatusCode.TAKE_BACK:
        raise ChangeNotRequestedError(
            f"status {code} answers a pending 13 request; none is pending",
            extensions=current.facts(),
        )
    cancelled = code is StatusCode.CHANGE_AGREED and current.kind is ChangeKind.REVOKE
    return replace(current, change=code, cancelled=cancelled)


def _next_progress(current: Position, code: StatusCode) -> StatusCode:
    progress = current.progress
    if progress is StatusCode.REJECTED:
        raise DeliveryRejectedError(
            "the recipient rejected the document: the delivery ended",
            extensions=current.facts(),
        )
    if code is StatusCode.ARRIVED:
        return code
    if progress is None:
        raise StatusBeforeArrivalError(
            f"status {code} needs 01 (arrived) first",
            hint="fetch the document (GET .../pdf) or post 01",
            extensions=current.facts(),
        )
    if code is not StatusCode.ACCEPTED and progress is StatusCode.ARRIVED:
        if code is not StatusCode.REJECTED:
            raise StatusBeforeAcceptanceError(
                f"status {code} needs 03 (accepted) first",
                extensions=current.facts(),
            )
    return code


def check_description(code: StatusCode, description: str | None) -> str | None:
    """Return the description to keep (trimmed, None when blank), or raise."""
    text = (description or "").strip()
    try:
        refuse_invisible(text, allowed=_LINE_BREAKS)
    except ValueError as e:
        raise StatusDescriptionInvalidError(
            f"description: {e}", hint="send plain text; newlines and tabs are fine"
        ) from e

    if code in REASON_CODES and not text:
        raise StatusReasonRequiredError(
            f"status {code} needs the reason in 'description'",
            hint="say why, in words",
        )
    return text or None
