"""Electronic certification books, their numbers, and the reasons to refuse.

Each certifying body keeps one electronic book per calendar year (Vietnam
time), apart from its paper books, named as ``copies.book_pattern`` says
(``Quyển số 01/2026-SCT/BS``). Numbers run from 1 in each book; an
electronic certification shows its number with ``copies.number_suffix``
(``12/ĐT``). One number covers one copy, or a batch of copies of one
original certified at one time (Decree 23/2015; domain §6.4).
"""

from __future__ import annotations

import secrets
from datetime import datetime
from enum import StrEnum

from edocx.copies.errors import RefusalReasonUnknownError
from edocx.errors import ConfigurationError
from edocx.vntime import vietnam_time

# The book of the year is the first of its year: a body opens another book
# of the same year only on paper.
BOOK_SEQUENCE = 1

# Codes are unguessable: the public check answers to whoever holds one.
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 16


class RefusalReason(StrEnum):
    """Originals that may not be certified (Decree 23/2015 Art. 22)."""

    ALTERED = "altered"
    DAMAGED = "damaged"
    SECRET = "secret"
    UNLAWFUL = "unlawful"
    UNCERTIFIED = "uncertified"
    NOT_LEGALISED = "not-legalised"

    @property
    def text_vi(self) -> str:
        """The reason as the refusal states it, in Vietnamese."""
        return _REASONS_VI[self]


_REASONS_VI = {
    RefusalReason.ALTERED: "Bản chính bị tẩy xóa, sửa chữa, thêm, bớt nội dung"
    " không hợp lệ",
    RefusalReason.DAMAGED: "Bản chính bị hư hỏng, cũ nát, không xác định được nội dung",
    RefusalReason.SECRET: "Bản chính đóng dấu mật hoặc ghi rõ không được sao chụp",
    RefusalReason.UNLAWFUL: "Bản chính có nội dung trái pháp luật, đạo đức xã hội",
    RefusalReason.UNCERTIFIED: "Giấy tờ do cá nhân tự lập không có xác nhận và"
    " đóng dấu của cơ quan có thẩm quyền",
    RefusalReason.NOT_LEGALISED: "Giấy tờ do nước ngoài cấp chưa được hợp pháp"
    " hóa lãnh sự",
}


def refusal_reason(value: str) -> RefusalReason:
    """Return the reason named ``value``, or refuse an unknown one."""
    try:
        return RefusalReason(value)
    except ValueError:
        known = ", ".join(reason.value for reason in RefusalReason)
        raise RefusalReasonUnknownError(
            f"{value!r} is not a reason to refuse a certification",
            hint=f"name one of: {known}",
        ) from None


def book_year(at: datetime) -> int:
    """Return the year of the book a certification at ``at`` goes into."""
    return vietnam_time(at).year


def book_name(pattern: str, year: int, sequence: int = BOOK_SEQUENCE) -> str:
    """Return the book's name, e.g. ``Quyển số 01/2026-SCT/BS``."""
    try:
        return pattern.format(seq=sequence, year=year)
    except (KeyError, IndexError, ValueError) as e:
        raise ConfigurationError(
            f"copies.book_pattern cannot be filled in: {e}",
            hint="use only {seq} and {year}, e.g. 'Quyển số {seq:02d}/{year}-SCT/BS'",
        ) from e


def number_text(number: int, suffix: str) -> str:
    """Return an electronic certification's number as shown: ``12/ĐT``."""
    return f"{number}{suffix}"


def new_code() -> str:
    """Return a fresh public code of a copy (16 characters, 80 bits)."""
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(CODE_LENGTH))
