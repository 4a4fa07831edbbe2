"""The status machine of a delivery: forward only, 02 only from 01, repeats
and late statuses change nothing, each forbidden move its own refusal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from edocx.errors import EdocxError
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
from edocx.exchange.statuses import (
    ChangeKind,
    Move,
    Outcome,
    Position,
    StatusCode,
    check_description,
    next_move,
)
from edocx.web.problems import known_problems
from edocx.web.table import ROUTES

S = StatusCode
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def _move(
    position: Position, code: StatusCode, *, kind: ChangeKind | None = None,
    reported_at: datetime | None = None,
) -> Move:  # fmt: skip
    return next_move(position, code, by_sender=code is S.TAKE_BACK, kind=kind,
                     reported_at=reported_at)  # fmt: skip


def _walk(*codes: StatusCode, kind: ChangeKind | None = None) -> Position:
    position = Position()
    for code in codes:
        move = _move(position, code, kind=kind if code is S.TAKE_BACK else None)
        assert move.outcome is Outcome.APPLIED, (codes, code)
        position = move.position
    return position


def test_normal_life() -> None:
    end = _walk(S.ARRIVED, S.ACCEPTED, S.ASSIGNED, S.PROCESSING, S.FINISHED)
    assert (end.progress, end.change) == (S.FINISHED, None)
    assert _walk(S.ARRIVED, S.ACCEPTED, S.FINISHED).progress is S.FINISHED
    assert _walk(S.ARRIVED, S.REJECTED).progress is S.REJECTED


@pytest.mark.parametrize(
    ("codes", "outcome"),
    [
        ((S.ARRIVED, S.ARRIVED), Outcome.REPEAT),
        ((S.ARRIVED, S.ACCEPTED, S.ACCEPTED), Outcome.REPEAT),
        ((S.ARRIVED, S.REJECTED, S.REJECTED), Outcome.REPEAT),
        ((S.ARRIVED, S.ACCEPTED, S.ARRIVED), Outcome.LATE),
        ((S.ARRIVED, S.ACCEPTED, S.PROCESSING, S.ASSIGNED), Outcome.LATE),
        ((S.ARRIVED, S.ACCEPTED, S.FINISHED, S.ACCEPTED), Outcome.LATE),
        ((S.ARRIVED, S.REJECTED, S.ARRIVED), Outcome.LATE),
    ],
    ids=lambda v: "-".join(c.value for c in v) if isinstance(v, tuple) else str(v),
)
def test_repeats_and_late_statuses_change_nothing(
    codes: tuple[StatusCode, ...], outcome: Outcome
) -> None:
    *before, last = codes
    position = _walk(*before)
    move = _move(position, last)
    assert move == Move(outcome, position)


def test_an_older_packet_is_late_whatever_its_code() -> None:
    at_03 = _move(_walk(S.ARRIVED), S.ACCEPTED, reported_at=T0).position
    assert at_03.reported_at == T0
    older = _move(at_03, S.ASSIGNED, reported_at=T0 - timedelta(seconds=1))
    assert older == Move(Outcome.LATE, at_03)
    newer = _move(at_03, S.ASSIGNED, reported_at=T0 + timedelta(seconds=1))
    assert newer.outcome is Outcome.APPLIED and newer.position.progress is S.ASSIGNED


@pytest.mark.parametrize(
    ("codes", "error"),
    [
        ((S.ARRIVED, S.ACCEPTED, S.REJECTED), StatusRejectAfterAcceptError),
        (
            (S.ARRIVED, S.ACCEPTED, S.PROCESSING, S.REJECTED),
            StatusRejectAfterAcceptError,
        ),
        ((S.ARRIVED, S.PROCESSING), StatusBeforeAcceptanceError),
        ((S.ACCEPTED,), StatusBeforeArrivalError),
        ((S.REJECTED,), StatusBeforeArrivalError),
        ((S.ARRIVED, S.REJECTED, S.ACCEPTED), DeliveryRejectedError),
        ((S.ARRIVED, S.CHANGE_AGREED), ChangeNotRequestedError),
        ((S.ARRIVED, S.CHANGE_REFUSED), ChangeNotRequestedError),
        ((S.ARRIVED, S.REJECTED, S.TAKE_BACK), DeliveryRejectedError),
    ],
    ids=lambda v: "-".join(c.value for c in v) if isinstance(v, tuple) else "",
)
def test_forbidden_moves(codes: tuple[StatusCode, ...], error: type[Exception]) -> None:
    *before, last = codes
    position = _walk(*before)
    with pytest.raises(error) as caught:
        _move(position, last)
    assert isinstance(caught.value, EdocxError) and caught.value.status == 409


def test_forbidden_moves_have_their_own_problem_types() -> None:
    codes = {
        cls.code
        for cls in (
            StatusSenderOnlyError, StatusRecipientOnlyError, StatusBeforeArrivalError,
            StatusBeforeAcceptanceError, StatusRejectAfterAcceptError,
            DeliveryRejectedError, DeliveryCancelledError, ChangeNotRequestedError,
            ChangeAlreadyPendingError,
        )
    }  # fmt: skip
    assert len(codes) == 9


def test_a_change_is_asked_by_the_sender_and_answered_by_the_recipient() -> None:
    arrived = _walk(S.ARRIVED)
    with pytest.raises(StatusSenderOnlyError):
        next_move(arrived, S.TAKE_BACK, by_sender=False)
    with pytest.raises(StatusRecipientOnlyError):
        next_move(arrived, S.ACCEPTED, by_sender=True)
    with pytest.raises(StatusRecipientOnlyError):
        next_move(_walk(S.ARRIVED, S.TAKE_BACK), S.CHANGE_AGREED, by_sender=True)


def test_a_refused_recall_keeps_the_state() -> None:
    refused = _walk(S.ARRIVED, S.TAKE_BACK, S.CHANGE_REFUSED)
    assert (refused.progress, refused.change, refused.cancelled) == (
        S.ARRIVED, S.CHANGE_REFUSED, False,
    )  # fmt: skip
    assert refused.kind is ChangeKind.REVOKE
    assert _walk(S.ARRIVED, S.TAKE_BACK, S.CHANGE_REFUSED, S.ACCEPTED).progress is (
        S.ACCEPTED
    )
    again = _walk(S.ARRIVED, S.TAKE_BACK, S.CHANGE_REFUSED, S.TAKE_BACK)
    assert again.change is S.TAKE_BACK


def test_an_agreed_recall_cancels_and_ends_the_delivery() -> None:
    agreed = _walk(S.ARRIVED, S.ACCEPTED, S.TAKE_BACK, S.CHANGE_AGREED)
    assert agreed.cancelled and agreed.progress is S.ACCEPTED
    with pytest.raises(DeliveryCancelledError):
        _move(agreed, S.ASSIGNED)
    with pytest.raises(DeliveryCancelledError):
        _move(agreed, S.TAKE_BACK)
    assert _move(agreed, S.CHANGE_AGREED).outcome is Outcome.REPEAT
    for after in (S.ARRIVED, S.ACCEPTED, S.FINISHED, S.CHANGE_REFUSED):
        with pytest.raises(DeliveryCancelledError):
            _move(agreed, after)


def test_a_rejected_delivery_keeps_only_what_came_before() -> None:
    rejected = _walk(S.ARRIVED, S.REJECTED)
    long_ago = datetime(2015, 9, 20, 4, 8, tzinfo=UTC)

    assert _move(rejected, S.ARRIVED).outcome is Outcome.LATE
    with pytest.raises(DeliveryRejectedError):
        _move(rejected, S.ACCEPTED, reported_at=long_ago)
    with pytest.raises(DeliveryRejectedError):
        _move(rejected, S.FINISHED)


def test_an_agreed_update_carries_on() -> None:
    updated = _walk(S.ARRIVED, S.ACCEPTED, S.TAKE_BACK, S.CHANGE_AGREED,
                    kind=ChangeKind.UPDATE)  # fmt: skip
    assert (updated.kind, updated.cancelled) == (ChangeKind.UPDATE, False)
    assert _move(updated, S.ASSIGNED).position.progress is S.ASSIGNED


def test_one_request_at_a_time() -> None:
    pending = _walk(S.ARRIVED, S.TAKE_BACK)
    assert pending.kind is ChangeKind.REVOKE
    assert _move(pending, S.TAKE_BACK).outcome is Outcome.REPEAT
    with pytest.raises(ChangeAlreadyPendingError):
        _move(pending, S.TAKE_BACK, kind=ChangeKind.UPDATE)


@pytest.mark.parametrize("code", [S.REJECTED, S.TAKE_BACK])
@pytest.mark.parametrize("blank", [None, "", "   ", "\n\t ", "\u3000"])
def test_a_rejection_and_a_take_back_need_a_reason(code: S, blank: str | None) -> None:
    with pytest.raises(StatusReasonRequiredError):
        check_description(code, blank)


@pytest.mark.parametrize(
    "text", ["\x00", "Sai\x00", "\u200b", "a\u202eb", "a\rb", "a\x1bb", "a\u2028b"]
)
@pytest.mark.parametrize("code", [S.REJECTED, S.ACCEPTED, S.FINISHED])
def test_a_description_refuses_invisible_characters(code: S, text: str) -> None:
    with pytest.raises(StatusDescriptionInvalidError):
        check_description(code, text)


def test_a_description_may_span_lines_and_is_trimmed() -> None:
    text = "Sai thẩm quyền.\n\t- Đề nghị ban hành lại."
    assert check_description(S.REJECTED, f"  {text}\n") == text
    assert check_description(S.ACCEPTED, "  ") is None
    assert check_description(S.ACCEPTED, None) is None


def test_the_status_route_names_known_problem_types() -> None:
    known = {cls.code for cls in known_problems()}
    (route,) = [r for r in ROUTES if r.method == "POST" and r.path.endswith("statuses")]
    assert {"status-sender-only", "delivery-cancelled"} <= set(route.problems)
    assert set(route.problems) <= known, set(route.problems) - known
