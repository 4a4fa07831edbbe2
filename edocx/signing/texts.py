"""The words the hub writes on a document.

Formats follow Decree 30/2020/NĐ-CP, Appendix I: "Số: 12/QĐ-UBND" for the
number and notation; "Hà Nội, ngày 05 tháng 3 năm 2025" for the place and
date; signing times are Vietnam time in ISO 8601 with the offset.
"""

from __future__ import annotations

from datetime import date, datetime

from edocx.vntime import iso_vietnam

NUMBER_PLACEHOLDER = "Số:        /"
DATE_PLACEHOLDER = "…, ngày … tháng … năm …"


def number_line(code: str) -> str:
    """Return the number line of page 1 for a code such as ``12/QĐ-UBND``."""
    return f"Số: {code}"


def place_date_line(place: str, issued_on: date) -> str:
    """Return the place-and-date line, e.g. ``Hà Nội, ngày 05 tháng 3 năm 2025``."""
    # Days below 10 and the months January and February take a leading zero
    # (Decree 30/2020, Appendix I).
    day = f"{issued_on.day:02d}"
    month = f"{issued_on.month:02d}" if issued_on.month < 3 else str(issued_on.month)
    return f"{place}, ngày {day} tháng {month} năm {issued_on.year}"


def personal_stamp_text(
    name: str, position: str, agency: str, at: datetime, competence: str | None = None
) -> str:
    """Return the text of the competent person's visible signature.

    ``competence`` is the signing-competence line of Decree 30/2020, Art. 13
    (``TM. ỦY BAN NHÂN DÂN``, ``KT. CHỦ TỊCH``, ...), one or more lines
    written above the signer's details as the signature block shows them.
    """
    competence_lines = [
        line.strip() for line in (competence or "").splitlines() if line.strip()
    ]
    return "\n".join(
        (
            *competence_lines,
            f"Người ký: {name}",
            f"Chức vụ: {position}",
            f"Cơ quan: {agency}",
            f"Thời gian ký: {iso_vietnam(at)}",
        )
    )


def seal_stamp_text(agency: str, at: datetime) -> str:
    """Return the text of the agency's visible seal signature."""
    return "\n".join(
        (
            f"Ký bởi: {agency}",
            f"Thời gian ký: {iso_vietnam(at)}",
        )
    )


def attachment_stamp_text(code: str, agency: str, at: datetime) -> str:
    """Return the text of the agency's signature on a separate attachment."""
    return "\n".join(
        (
            f"Kèm theo văn bản số: {code}",
            f"Ký bởi: {agency}",
            f"Thời gian ký: {iso_vietnam(at)}",
        )
    )
