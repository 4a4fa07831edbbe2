"""Drafts that upload fine but that the signing steps could not sign."""

from __future__ import annotations

import pytest

from edocx.errors import PDFUnusableError
from edocx.signing import prepare_draft
from edocx.signing.checks import MAX_REVISIONS
from tests.signing import baddrafts


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        pytest.param(baddrafts.with_huge_size(), "read back strictly", id="size"),
        pytest.param(
            baddrafts.with_non_dictionary_fields(), "not a dictionary", id="fields"
        ),
        pytest.param(baddrafts.with_numeric_field_name(), "(/T)", id="field-name"),
    ],
)
def test_unsignable_draft_is_refused_at_upload(data: bytes, reason: str) -> None:
    with pytest.raises(PDFUnusableError) as caught:
        prepare_draft(data, None)

    assert reason in caught.value.detail
    assert caught.value.hint


def test_a_plain_one_page_draft_is_still_accepted() -> None:
    draft = prepare_draft(baddrafts.one_page(), None)

    assert draft.page_count == 1


def test_too_many_revisions_are_refused_naming_the_count() -> None:
    data = baddrafts.with_empty_updates(baddrafts.one_page(), 3000)

    with pytest.raises(PDFUnusableError) as caught:
        prepare_draft(data, None)

    assert "3001 revisions" in caught.value.detail
    assert str(MAX_REVISIONS) in caught.value.detail


def test_a_few_revisions_are_accepted() -> None:
    data = baddrafts.with_empty_updates(baddrafts.one_page(), MAX_REVISIONS - 1)

    assert prepare_draft(data, None).page_count == 1
