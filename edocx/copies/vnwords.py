"""Numbers and dates in Vietnamese words, as civil status papers write them.

A birth certificate writes the date of birth in figures and in words
("Ngày một, tháng ba, năm hai nghìn không trăm hai mươi tư"). After "mươi"
a one is "mốt" and a four "tư"; after "mười" or "mươi" a five is "lăm"; a
hundred with no tens reads its units after "linh"; a thousand with no
hundreds reads "không trăm".
"""

from __future__ import annotations

from datetime import date

_UNITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")


def below_hundred(n: int) -> str:
    """Return ``n`` (0-99) in words."""
    if not 0 <= n < 100:
        raise ValueError(f"{n} is not below a hundred")
    tens, units = divmod(n, 10)
    if tens == 0:
        return _UNITS[units]
    head = "mười" if tens == 1 else f"{_UNITS[tens]} mươi"
    if units == 0:
        return head
    if units == 5:
        tail = "lăm"
    elif units == 1 and tens > 1:
        tail = "mốt"
    elif units == 4 and tens > 1:
        tail = "tư"
    else:
        tail = _UNITS[units]
    return f"{head} {tail}"


def below_thousand(n: int, *, inner: bool) -> str:
    """Return ``n`` (0-999) in words; ``inner`` when thousands come before."""
    if not 0 <= n < 1000:
        raise ValueError(f"{n} is not below a thousand")
    hundreds, rest = divmod(n, 100)
    if hundreds == 0 and not inner:
        return below_hundred(rest)
    head = f"{_UNITS[hundreds]} trăm"
    if rest == 0:
        return head
    if rest < 10:
        return f"{head} linh {_UNITS[rest]}"
    return f"{head} {below_hundred(rest)}"


def number_words(n: int) -> str:
    """Return ``n`` (0-9999) in words."""
    if not 0 <= n < 10000:
        raise ValueError(f"{n} is out of range")
    thousands, rest = divmod(n, 1000)
    if thousands == 0:
        return below_thousand(rest, inner=False)
    head = f"{_UNITS[thousands]} nghìn"
    if rest == 0:
        return head
    return f"{head} {below_thousand(rest, inner=True)}"


def date_words(day: date) -> str:
    """Return a date as a birth certificate writes it in words."""
    return (
        f"Ngày {number_words(day.day)}, tháng {number_words(day.month)},"
        f" năm {number_words(day.year)}"
    )
