"""Judge file names that input supplies and that others may write to disk.

The hub never uses such a name as a path itself; but it relays an edXML
attachment's name to every recipient's system, and one of those may save
the file under it. A name is refused when any common file system would read
it as something other than one plain file in the current folder: a path
(``/``, ``\\``, a drive letter or a stream after ``:``), a relative step
(``.``, ``..``), a reserved device name of Windows (``CON``, ``NUL``,
``COM1``, ``LPT1``..., with or without an extension), a control character,
a trailing dot or space (which Windows drops), or more than 255 bytes in
UTF-8.
"""

from __future__ import annotations

import re
import unicodedata

MAX_NAME_BYTES = 255

# Windows reserves these names in every folder, whatever the extension;
# the superscript digits count as digits there too.
_DEVICE = re.compile(
    r"(CON|PRN|AUX|NUL|CONIN\$|CONOUT\$|(COM|LPT)[0-9\u00b9\u00b2\u00b3])"
    r" *(\..*)?",
    re.IGNORECASE,
)
# A colon names a drive, or an NTFS alternate data stream.
_SEPARATORS = ("/", "\\", ":")


def unsafe_file_name(name: str) -> str | None:
    """Return why ``name`` is not a safe plain file name, or None if it is."""
    if not name or name.strip() in (".", ".."):
        return "the name is empty or a relative step"
    if any(sep in name for sep in _SEPARATORS):
        return "the name is a path, not a plain file name"
    if any(unicodedata.category(char) in ("Cc", "Cf", "Cs") for char in name):
        return "the name carries a control or format character"
    if _DEVICE.fullmatch(name.strip().rstrip(". ")):
        return "the name is a reserved device name (CON, NUL, COM1...)"
    if name != name.rstrip(". "):
        return "the name ends with a dot or a space"
    if len(name.encode("utf-8", "surrogatepass")) > MAX_NAME_BYTES:
        return f"the name is longer than {MAX_NAME_BYTES} bytes"
    return None
