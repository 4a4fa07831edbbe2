"""The header a drafting agency sends with a draft (Decree 30/2020 Art. 8).

The header names the document type, the subject, the competent signer, the
urgency (edXML Priority 0-4) and the recipients by organ id. Number,
notation and date are not part of it: the hub assigns them at issue.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from edocx.exchange.errors import HeaderFieldMissingError, HeaderInvalidError

OrganId = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=r"^[0-9A-Za-z.]{1,13}$"),
]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class SignerInfo(BaseModel):
    """The competent signer as printed under the signature (Art. 13)."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[Text, Field(max_length=200)]
    position: Annotated[Text, Field(max_length=200)]
    # KT., TM., TL., TUQ., Q. followed by the head's title.
    competence: Annotated[str | None, Field(max_length=200)] = None


class DraftHeader(BaseModel):
    """What the drafting agency says about a document."""

    model_config = ConfigDict(extra="forbid")

    type: Annotated[Text, Field(max_length=60, description="type name or abbr.")]
    subject: Annotated[Text, Field(max_length=1000)]
    signer: SignerInfo
    recipients: Annotated[list[OrganId], Field(min_length=1, max_length=200)]
    priority: Annotated[int, Field(ge=0, le=4)] = 0
    # The drafting unit's abbreviation, for a Công văn (7816/VPCP-TTĐT).
    drafting_unit: Annotated[str | None, Field(max_length=30)] = None


def parse_header(raw: bytes | str | dict[str, Any]) -> DraftHeader:
    """Parse and check a header; raise with the fields that are wrong."""
    try:
        data = raw if isinstance(raw, dict) else json.loads(raw)
    except (ValueError, UnicodeDecodeError) as e:
        raise HeaderInvalidError(
            "the header is not valid JSON", hint="send the header part as JSON"
        ) from e
    if not isinstance(data, dict):
        raise HeaderInvalidError("the header must be a JSON object")

    try:
        header = DraftHeader.model_validate(data)
    except ValidationError as e:
        raise _header_error(e) from e

    if len(set(header.recipients)) != len(header.recipients):
        raise HeaderInvalidError("a recipient is listed twice")
    return header


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
