"""``Content-Disposition`` of downloads (RFC 6266, RFC 8187).

A downloaded document is named after its notation (``05/QĐ-UBND`` gives
``05-QĐ-UBND.pdf``). The header carries two names: ``filename``, an ASCII
fallback in a quoted string for old clients, and ``filename*``, the name
in UTF-8 percent-encoded (RFC 8187, formerly RFC 5987), which keeps the Đ.

Whatever the stored name holds (notations written before drafting units
were checked may carry quotes, slashes or line breaks), the header is built
from letters, digits and ``-._`` only: nothing can end the quoted string,
add a parameter or split the header.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import quote

_KEPT_PUNCTUATION = frozenset("-._")

# Letters that carry no combining mark to drop (NFKD leaves them whole).
_ASCII_LETTERS = str.maketrans({"Đ": "D", "đ": "d", "Ø": "O", "ø": "o"})


def attachment(stem: str, suffix: str) -> str:
    """Return the header value naming a download ``{stem}{suffix}``."""
    name = _safe_name(stem) + _safe_name(suffix)
    fallback = _ascii_name(name)
    encoded = quote(name, safe="", encoding="utf-8")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"


def _safe_name(text: str) -> str:
    """Keep letters, digits and ``-._``; a slash becomes ``-``; others ``_``."""
    text = unicodedata.normalize("NFC", text).replace("/", "-")
    return "".join(
        char if char.isalnum() or char in _KEPT_PUNCTUATION else "_" for char in text
    )


def _ascii_name(name: str) -> str:
    """Spell ``name`` in ASCII: QĐ becomes QD, Ủy becomes Uy."""
    decomposed = unicodedata.normalize("NFKD", name.translate(_ASCII_LETTERS))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return "".join(
        char if char.isascii() and (char.isalnum() or char in _KEPT_PUNCTUATION)
        else "_"
        for char in bare
    )  # fmt: skip
