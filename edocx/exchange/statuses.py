"""Business statuses of a delivery (edXML StatusCode, QCVN 102:2016).

Per (document, recipient) the statuses only move forward:

* progress: ``01`` arrived, then ``02`` rejected (ends the delivery) or
  ``03`` accepted, then ``04`` assigned, ``05`` processing, ``06`` finished
  (05 and 06 may skip 04);
* change: the original sender asks ``13`` (take back, with a reason), the
  recipient answers ``15`` (agreed: the delivery ends) or ``16`` (refused:
  the previous state is kept).

A status that would repeat or go behind the current one is a regression; a
status that cannot follow the current one at all (``03`` before ``01``,
``15`` without ``13``, ``13`` from a recipient) is not allowed.

A description is free text, shown to the other party and kept: it may span
lines (newline, tab) but refuses every other control character and the
invisible format characters, as header texts do. ``02`` (why the document
is rejected) and ``13`` (why it is taken back) need a visible reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from edocx.exchange.errors import (
    StatusDescriptionInvalidError,
    StatusNotAllowedError,
    StatusReasonRequiredError,
    StatusRegressionError,
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


_PROGRESS_RANK = {
    StatusCode.ARRIVED: 1,
    StatusCode.ACCEPTED: 2,
    StatusCode.ASSIGNED: 3,
    StatusCode.PROCESSING: 4,
    StatusCode.FINISHED: 5,
}
SENDER_CODES = frozenset({StatusCode.TAKE_BACK})
REASON_CODES = frozenset({StatusCode.REJECTED, StatusCode.TAKE_BACK})
_LINE_BREAKS = frozenset("\n\t")


@dataclass(frozen=True)
class Position:
    """Where a delivery stands: its progress and its change request."""

    progress: StatusCode | None = None
    change: StatusCode | None = None


def next_position(current: Position, code: StatusCode, *, by_sender: bool) -> Position:
    """Return the position after ``code``, or raise when it cannot follow."""
    if current.change is StatusCode.CHANGE_AGREED:
        raise StatusNotAllowedError("the document was taken back: the delivery ended")
    if by_sender != (code in SENDER_CODES):
        who = "the sender" if by_sender else "a recipient"
        raise StatusNotAllowedError(f"{who} may not post status {code}")
    if code in (
        StatusCode.TAKE_BACK,
        StatusCode.CHANGE_AGREED,
        StatusCode.CHANGE_REFUSED,
    ):
        return Position(current.progress, _next_change(current, code))
    return Position(_next_progress(current.progress, code), current.change)


def _next_change(current: Position, code: StatusCode) -> StatusCode:
    if code is StatusCode.TAKE_BACK:
        if current.change is StatusCode.TAKE_BACK:
            raise StatusRegressionError("a request to take back is already pending")
        if current.progress is StatusCode.REJECTED:
            raise StatusNotAllowedError("the recipient rejected the document")
        return code
    if current.change is not StatusCode.TAKE_BACK:
        raise StatusNotAllowedError(f"status {code} answers a pending 13 request")
    return code


def _next_progress(progress: StatusCode | None, code: StatusCode) -> StatusCode:
    if progress is StatusCode.REJECTED:
        raise StatusNotAllowedError("the recipient rejected the document")
    if code is StatusCode.ARRIVED:
        if progress is not None:
            raise StatusRegressionError(f"the delivery is already at {progress}")
        return code
    if progress is None:
        raise StatusNotAllowedError(f"status {code} needs 01 (arrived) first")

    if code is StatusCode.REJECTED:
        if progress is not StatusCode.ARRIVED:
            raise StatusRegressionError(
                f"02 is only allowed from 01; the delivery is at {progress}"
            )
        return code
    if _PROGRESS_RANK[code] <= _PROGRESS_RANK[progress]:
        raise StatusRegressionError(f"the delivery is already at {progress}")
    if code is not StatusCode.ACCEPTED and progress is StatusCode.ARRIVED:
        raise StatusNotAllowedError(f"status {code} needs 03 (accepted) first")
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
