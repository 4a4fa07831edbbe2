"""Numbers and dates in Vietnamese words, as a birth certificate writes them."""

from __future__ import annotations

from datetime import date

import pytest

from edocx.copies.vnwords import date_words, number_words

WORDS = {
    0: "không",
    5: "năm",
    10: "mười",
    14: "mười bốn",
    15: "mười lăm",
    20: "hai mươi",
    21: "hai mươi mốt",
    24: "hai mươi tư",
    25: "hai mươi lăm",
    31: "ba mươi mốt",
    105: "một trăm linh năm",
    110: "một trăm mười",
    1904: "một nghìn chín trăm linh bốn",
    1995: "một nghìn chín trăm chín mươi lăm",
    2000: "hai nghìn",
    2005: "hai nghìn không trăm linh năm",
    2011: "hai nghìn không trăm mười một",
    2024: "hai nghìn không trăm hai mươi tư",
    2100: "hai nghìn một trăm",
}


@pytest.mark.parametrize("number", sorted(WORDS))
def test_numbers_in_words(number: int) -> None:
    assert number_words(number) == WORDS[number]


def test_a_date_in_words() -> None:
    assert date_words(date(2025, 12, 31)) == (
        "Ngày ba mươi mốt, tháng mười hai, năm hai nghìn không trăm hai mươi lăm"
    )


@pytest.mark.parametrize("number", [-1, 10000])
def test_numbers_out_of_range_are_refused(number: int) -> None:
    with pytest.raises(ValueError):
        number_words(number)
