"""The status machine of a delivery: forward only, 02 only from 01."""

from __future__ import annotations

import pytest

from edocx.exchange.errors import (
    StatusDescriptionInvalidError,
    StatusNotAllowedError,
    StatusReasonRequiredError,
    StatusRegressionError,
)
from edocx.exchange.statuses import (
    Position,
    StatusCode,
    check_description,
    next_position,
)

S = StatusCode


def _walk(*codes: StatusCode, sender: frozenset[StatusCode] = frozenset()) -> Position:
    position = Position()
    for code in codes:
        position = next_position(position, code, by_sender=code in sender)
    return position


def test_normal_life() -> None:
    end = _walk(S.ARRIVED, S.ACCEPTED, S.ASSIGNED, S.PROCESSING, S.FINISHED)
    assert end == Position(S.FINISHED, None)
    assert _walk(S.ARRIVED, S.ACCEPTED, S.FINISHED).progress is S.FINISHED
    assert _walk(S.ARRIVED, S.REJECTED).progress is S.REJECTED


@pytest.mark.parametrize(
    ("codes", "error"),
    [
        ((S.ARRIVED, S.ARRIVED), StatusRegressionError),
        ((S.ARRIVED, S.ACCEPTED, S.ARRIVED), StatusRegressionError),
        ((S.ARRIVED, S.ACCEPTED, S.REJECTED), StatusRegressionError),
        ((S.ARRIVED, S.PROCESSING), StatusNotAllowedError),
        ((S.ARRIVED, S.ACCEPTED, S.PROCESSING, S.ASSIGNED), StatusRegressionError),
        ((S.ACCEPTED,), StatusNotAllowedError),
        ((S.REJECTED,), StatusNotAllowedError),
        ((S.ARRIVED, S.REJECTED, S.ACCEPTED), StatusNotAllowedError),
        ((S.ARRIVED, S.CHANGE_AGREED), StatusNotAllowedError),
    ],
    ids=lambda v: "-".join(c.value for c in v) if isinstance(v, tuple) else "",
)
def test_refused(codes: tuple[StatusCode, ...], error: type[Exception]) -> None:
    *before, last = codes
    position = _walk(*before)
    with pytest.raises(error):
        next_position(position, last, by_sender=False)


def test_take_back_is_the_senders() -> None:
    sender = frozenset({S.TAKE_BACK})
    with pytest.raises(StatusNotAllowedError):
        next_position(Position(S.ARRIVED), S.TAKE_BACK, by_sender=False)
    with pytest.raises(StatusNotAllowedError):
        next_position(Position(S.ARRIVED), S.ACCEPTED, by_sender=True)

    refused = _walk(S.ARRIVED, S.TAKE_BACK, S.CHANGE_REFUSED, sender=sender)
    assert refused == Position(S.ARRIVED, S.CHANGE_REFUSED)
    assert _walk(S.ARRIVED, S.TAKE_BACK, S.CHANGE_REFUSED, S.ACCEPTED,
                 sender=sender).progress is S.ACCEPTED  # fmt: skip

    agreed = _walk(S.ARRIVED, S.TAKE_BACK, S.CHANGE_AGREED, sender=sender)
    with pytest.raises(StatusNotAllowedError, match="taken back"):
        next_position(agreed, S.ACCEPTED, by_sender=False)
    with pytest.raises(StatusRegressionError):
        _walk(S.ARRIVED, S.TAKE_BACK, S.TAKE_BACK, sender=sender)


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
