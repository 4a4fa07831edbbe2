"""A register record's faults are all listed at once, the dates weighed too."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from edocx.copies.duplicaterecord import DuplicateRecordInvalidError, parse_request
from tests.copies.test_duplicates import REQUEST

AT = datetime(2026, 12, 5, 3, 0, tzinfo=UTC)


def _errors(body: dict[str, Any]) -> list[str]:
    with pytest.raises(DuplicateRecordInvalidError) as caught:
        parse_request(json.dumps(body).encode("utf-8"), at=AT)
    errors: list[str] = caught.value.extensions["errors"]
    return errors


def test_the_sample_record_passes() -> None:
    assert parse_request(json.dumps(REQUEST).encode("utf-8"), at=AT).record


def test_a_parent_born_after_the_child_is_refused() -> None:
    body = copy.deepcopy(REQUEST)
    body["record"]["father"]["year_of_birth"] = 2025
    assert _errors(body) == ["record.father.year_of_birth: is after the child's birth"]


def test_a_future_date_and_a_bad_sex_are_both_listed() -> None:
    body = copy.deepcopy(REQUEST)
    body["record"]["child"]["date_of_birth"] = "2027-01-01"
    body["record"]["child"]["sex"] = "X"
    errors = _errors(body)
    assert any(e.startswith("record.child.sex:") for e in errors), errors
    assert "record.child.date_of_birth: is after today" in errors
    assert "record.registration.registered_on: is before child.date_of_birth" in errors
    assert "record.mother.year_of_birth" not in " ".join(errors)
