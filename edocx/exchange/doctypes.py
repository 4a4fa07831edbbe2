"""Document types of Decree 30/2020 (Art. 7, Appendix III) and their
abbreviations, which make the notation of a number (``12/QĐ-UBND``).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from edocx.exchange.errors import DocumentTypeUnknownError


@dataclass(frozen=True)
class DocumentType:
    name: str
    abbreviation: str | None  # a Công văn has none


CONG_VAN = DocumentType("Công văn", None)

DOCUMENT_TYPES: tuple[DocumentType, ...] = (
    DocumentType("Nghị quyết", "NQ"),
    DocumentType("Quyết định", "QĐ"),
    DocumentType("Chỉ thị", "CT"),
    DocumentType("Quy chế", "QC"),
    DocumentType("Quy định", "QyĐ"),
    DocumentType("Thông cáo", "TC"),
    DocumentType("Thông báo", "TB"),
    DocumentType("Hướng dẫn", "HD"),
    DocumentType("Chương trình", "CTr"),
    DocumentType("Kế hoạch", "KH"),
    DocumentType("Phương án", "PA"),
    DocumentType("Đề án", "ĐA"),
    DocumentType("Dự án", "DA"),
    DocumentType("Báo cáo", "BC"),
    DocumentType("Biên bản", "BB"),
    DocumentType("Tờ trình", "TTr"),
    DocumentType("Hợp đồng", "HĐ"),
    DocumentType("Công điện", "CĐ"),
    DocumentType("Bản ghi nhớ", "BGN"),
    DocumentType("Bản thỏa thuận", "BTT"),
    DocumentType("Giấy ủy quyền", "GUQ"),
    DocumentType("Giấy mời", "GM"),
    DocumentType("Giấy giới thiệu", "GGT"),
    DocumentType("Giấy nghỉ phép", "GNP"),
    DocumentType("Phiếu gửi", "PG"),
    DocumentType("Phiếu chuyển", "PC"),
    DocumentType("Phiếu báo", "PB"),
    DocumentType("Thư công", "TCG"),
    CONG_VAN,
)


def _key(text: str) -> str:
    # Names arrive in NFC or NFD and with any capitalisation; "(cá biệt)"
    # qualifies Nghị quyết and Quyết định in the decree's table.
    text = unicodedata.normalize("NFC", text).replace("(cá biệt)", "")
    return " ".join(text.split()).casefold()


_BY_KEY: dict[str, DocumentType] = {}
for _type in DOCUMENT_TYPES:
    _BY_KEY[_key(_type.name)] = _type
    if _type.abbreviation is not None:
        _BY_KEY.setdefault(_key(_type.abbreviation), _type)


def find_document_type(name_or_abbreviation: str) -> DocumentType:
    """Return the type named, by its name or its abbreviation."""
    found = _BY_KEY.get(_key(name_or_abbreviation))
    if found is None:
        raise DocumentTypeUnknownError(
            f"unknown document type {name_or_abbreviation!r}",
            hint="use a type of Decree 30/2020 Appendix III, e.g. 'Quyết định'",
        )
    return found
