"""The header a drafting agency sends with a draft (Decree 30/2020 Art. 8).

The header names the document type, the subject, the competent signer, the
urgency (edXML Priority 0-4) and the recipients by organ id; optionally the
confidentiality mark (a state-secret mark is refused: such documents never
travel through the hub) and the issued document it replaces. Number,
notation and date are not part of it: the hub assigns them at issue.

Header texts are printed on the document, stored, and some of them reach
the notation, the edXML DocumentId and HTTP headers, so every text refuses
control characters and invisible format characters (among them the
bidirectional overrides such as U+202E, which make a text read otherwise
than it is stored). The drafting unit is held to what a notation allows.
"""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    StringConstraints,
    ValidationError,
)

from edocx.exchange.errors import (
    HeaderFieldMissingError,
    HeaderInvalidError,
    SecretDocumentError,
)

# Cc: C0 and C1 controls (CR, LF, NUL, ESC...); Cf: format characters (the
# bidirectional marks, embeddings, overrides and isolates, BOM, soft
# hyphen); Cs: lone surrogates; Zl, Zp: line and paragraph separators.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})

# Groups of letters and digits joined by single hyphens (``TTĐT``,
# ``KHĐT-TC``), as after the slash of ``7816/VPCP-TTĐT``.
_NOTATION_PART = re.compile(r"[^\W_]+(?:-[^\W_]+)*")
NOTATION_PART_MAX = 30


def refuse_invisible(text: str, *, allowed: frozenset[str] = frozenset()) -> str:
    """Return ``text``, or raise when it carries a control or format character.

    ``allowed`` names the few such characters a text may carry (a free-text
    description may span lines).
    """
    for char in text:
        if char in allowed:
            continue
        if unicodedata.category(char) in _REFUSED_CATEGORIES:
            raise ValueError(
                f"control or format character U+{ord(char):04X} is not allowed"
            )
    return text


class DuplicateKeyError(ValueError):
    """A JSON object names the same key twice."""


def strict_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """Build a JSON object, refusing a repeated key (``object_pairs_hook``).

    JSON parsers disagree on which of two equal keys wins; one that reads
    the first and another the last would act on different requests.
    """
    data: dict[str, Any] = {}
    for key, value in pairs:
        if key in data:
            raise DuplicateKeyError(f"the key {key!r} appears twice in an object")
        data[key] = value
    return data


def loads_strict(raw: bytes | str) -> Any:
    """Parse JSON as :func:`json.loads`, refusing repeated keys."""
    return json.loads(raw, object_pairs_hook=strict_object)


def check_notation_part(text: str) -> str:
    """Return ``text`` in NFC if it may stand in a notation, else raise."""
    # NOTE: NFC first, so that a decomposed Ộ counts as one letter.
    text = unicodedata.normalize("NFC", text)
    if len(text) > NOTATION_PART_MAX or not _NOTATION_PART.fullmatch(text):
        raise ValueError(
            "use letters and digits, groups joined by single hyphens, no spaces,"
            f" at most {NOTATION_PART_MAX} characters (e.g. TTĐT or KHĐT-TC)"
        )
    # Latin letters only: a Cyrillic or Greek look-alike would make a
    # notation that reads like another agency's.
    for char in text.replace("-", ""):
        if not _is_latin_letter_or_digit(char):
            raise ValueError(f"{char!r} is not a Latin letter or a digit 0-9")
    return text


def _is_latin_letter_or_digit(char: str) -> bool:
    if char.isascii():
        return char.isalnum()
    return char.isalpha() and unicodedata.name(char, "").startswith("LATIN ")


OrganId = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=r"^[0-9A-Za-z.]{1,13}$"),
]
Text = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1),
    AfterValidator(refuse_invisible),
]
UUID4Text = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, to_lower=True,
        pattern=r"^[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}$",
    ),
]  # fmt: skip
NotationPart = Annotated[
    str,
    AfterValidator(check_notation_part),
    Field(
        description="letters and digits, groups joined by single hyphens,"
        f" at most {NOTATION_PART_MAX} characters"
    ),
]


class SignerInfo(BaseModel):
    """The competent signer as printed under the signature (Art. 13)."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[Text, Field(max_length=200)]
    position: Annotated[Text, Field(max_length=200)]
    # KT., TM., TL., TUQ., Q. followed by the head's title.
    competence: Annotated[Text | None, Field(max_length=200)] = None


class Replaces(BaseModel):
    """The document a draft replaces (edXML business type 3), and for whom."""

    model_config = ConfigDict(extra="forbid")

    document: Annotated[UUID4Text, Field(description="id of the issued document")]
    # Recipients of the old document whose copy is replaced; none named
    # means every recipient of the old document the new one also goes to.
    recipients: Annotated[list[OrganId] | None, Field(min_length=1, max_length=200)] = (
        None
    )


class DraftHeader(BaseModel):
    """What the drafting agency says about a document."""

    model_config = ConfigDict(extra="forbid")

    type: Annotated[Text, Field(max_length=60, description="type name or abbr.")]
    subject: Annotated[Text, Field(max_length=1000)]
    signer: SignerInfo
    recipients: Annotated[list[OrganId], Field(min_length=1, max_length=200)]
    # Strict: "1", 1.0 and true are not priorities (edXML Priority 0-4).
    priority: Annotated[StrictInt, Field(ge=0, le=4)] = 0
    # The drafting unit's abbreviation, for a Công văn (7816/VPCP-TTĐT).
    drafting_unit: NotationPart | None = None
    # "Thường" (or absent); a state-secret mark is refused before this.
    confidentiality: Annotated[Text | None, Field(max_length=20)] = None
    # An issued document of the same agency that this one replaces.
    replaces: Replaces | None = None


def parse_header(raw: bytes | str | dict[str, Any]) -> DraftHeader:
    """Parse and check a header; raise with the fields that are wrong."""
    try:
        data = raw if isinstance(raw, dict) else loads_strict(raw)
    except DuplicateKeyError as e:
        raise HeaderInvalidError(str(e), hint="name each field once") from e
    except (ValueError, UnicodeDecodeError, RecursionError) as e:
        # RecursionError: arrays or objects nested thousands deep.
        raise HeaderInvalidError(
            "the header is not valid JSON (or is nested too deeply)",
            hint="send the header part as a JSON object",
        ) from e
    if not isinstance(data, dict):
        raise HeaderInvalidError("the header must be a JSON object")
    check_confidentiality(data.get("confidentiality"))

    try:
        header = DraftHeader.model_validate(data)
    except ValidationError as e:
        raise _header_error(e) from e

    if len(set(header.recipients)) != len(header.recipients):
        raise HeaderInvalidError("a recipient is listed twice")
    return header


# Decree 30/2020 Art. 8 and the law on state secrets: Mật, Tối mật, Tuyệt
# mật (compared without accents, as clerks' systems sometimes drop them).
SECRET_MARKS = frozenset({"mat", "toi mat", "tuyet mat"})
ORDINARY_MARKS = frozenset({"thuong", "khong mat", ""})


def check_confidentiality(mark: object) -> None:
    """Refuse a state-secret mark: the hub does not carry such documents."""
    if not isinstance(mark, str):
        return  # absent; another type is the model's to refuse
    key = _fold(mark)
    if key in SECRET_MARKS:
        raise SecretDocumentError(
            f"the header marks the document {mark.strip()!r}",
            hint="state-secret documents travel on the separate secret"
            " system, never through this hub",
        )
    if key not in ORDINARY_MARKS:
        raise HeaderInvalidError(
            f"confidentiality: {mark[:40]!r} is not a confidentiality mark",
            hint="leave it out, or write 'Thường'",
            errors=["confidentiality: not a confidentiality mark"],
        )


def _fold(text: str) -> str:
    """Lower case, single spaces, no accents, đ as d."""
    decomposed = unicodedata.normalize("NFD", text.casefold().replace("đ", "d"))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.split())


def _header_error(error: ValidationError) -> HeaderInvalidError:
    missing = [
        _path(item["loc"]) for item in error.errors() if item["type"] == "missing"
    ]
    if missing:
        return HeaderFieldMissingError(missing)
    problems = [f"{_path(item['loc'])}: {item['msg']}" for item in error.errors()]
    return HeaderInvalidError(
        "invalid header field(s): " + "; ".join(problems), errors=problems
    )


def _path(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc)
