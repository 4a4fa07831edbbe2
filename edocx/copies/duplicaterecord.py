"""The register record an e-duplicate is made from, and its validation.

A body that keeps a master register (sổ gốc) issues an electronic duplicate
of one of its entries (Decree 23/2015, Art. 2; Decree 45/2020, Art. 10(2)).
The clerk sends the entry as JSON: for a birth registration, the fields a
Vietnamese birth certificate carries (the child, the mother, the father
when registered, the declarant, and where and when it was registered).

Validation happens before anything is numbered or stored: every fault of
the record is listed in one 422 answer, so the clerk corrects them at once.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from edocx.errors import InputError
from edocx.signing.fonts import UNICODE_RANGES
from edocx.vntime import vietnam_time

# Control characters and invisible format characters (bidi overrides, zero
# width marks) have no place on a certificate: they could make the printed
# text read otherwise than the register's.
_FORBIDDEN = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


def _clean_text(value: str) -> str:
    # NFC: the register's text and the PDF's extracted text compare letter
    # for letter only in one normal form.
    value = unicodedata.normalize("NFC", value.strip())
    if _FORBIDDEN.search(value):
        raise ValueError("holds a control or invisible format character")
    if not value:
        raise ValueError("is empty")
    outside = sorted({c for c in value if not _drawable(c)})
    if outside:
        shown = ", ".join(f"U+{ord(c):04X}" for c in outside[:5])
        raise ValueError(f"holds characters the duplicate cannot show ({shown})")
    return value


def _drawable(char: str) -> bool:
    # The letters the hub's font draws: Latin, Vietnamese and punctuation.
    code = ord(char)
    return any(first <= code <= last for first, last in UNICODE_RANGES)


Text = Annotated[str, Field(max_length=200), AfterValidator(_clean_text)]
LongText = Annotated[str, Field(max_length=400), AfterValidator(_clean_text)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RegisterEntry(_Strict):
    """Where the record stands in the master register."""

    body: Text = Field(description="the body that registered it")
    book: Annotated[str, Field(pattern=r"^[0-9A-Za-z/.\-]{1,40}$")] = Field(
        description="the register book (Quyển số), e.g. 01/2024"
    )
    entry: Annotated[str, Field(pattern=r"^[0-9]{1,8}$")] = Field(
        description="the entry number in the book (Số)"
    )
    registered_on: date


class Child(_Strict):
    full_name: Text
    date_of_birth: date
    sex: Literal["Nam", "Nữ"]
    ethnicity: Text
    nationality: Text
    place_of_birth: LongText
    hometown: LongText
    personal_id: Annotated[str, Field(pattern=r"^[0-9]{12}$")] = Field(
        description="the 12-digit personal identification number"
    )


class Parent(_Strict):
    full_name: Text
    year_of_birth: Annotated[int, Field(ge=1900, le=2100)]
    ethnicity: Text
    nationality: Text
    residence: LongText


class Declarant(_Strict):
    full_name: Text
    relationship: Text = Field(description="to the child, e.g. Mẹ, Cha, Bà nội")


class BirthRecord(_Strict):
    """A birth registration as the master register keeps it."""

    kind: Literal["birth"]
    registration: RegisterEntry
    child: Child
    mother: Parent | None
    father: Parent | None
    declarant: Declarant

    @model_validator(mode="after")
    def _consistent(self) -> BirthRecord:
        # The dates are weighed against each other in ``date_faults``, on
        # the raw record, so that they are listed with every other fault.
        if self.mother is None and self.father is None:
            raise ValueError("a birth registration names the mother or the father")
        return self


class DuplicateRequest(_Strict):
    """The clerk's request: who asks for the duplicate, of which record."""

    requester: Text = Field(description="the person the duplicate is issued to")
    record: BirthRecord


class DuplicateRecordInvalidError(InputError):
    """The register record is incomplete or wrong; nothing was numbered."""

    code = "duplicate-record-invalid"
    status = 422
    title = "The register record is incomplete or invalid"

    def __init__(
        self, detail: str, *, hint: str | None = None, errors: list[str] | None = None
    ) -> None:
        super().__init__(detail, hint=hint)
        self.extensions: dict[str, Any] = {"errors": errors or []}


def parse_request(raw: bytes, *, at: datetime) -> DuplicateRequest:
    """Return the request in ``raw`` (JSON), or refuse it with every fault.

    Dates after ``at`` (Vietnam time) are refused: a register holds no
    entry of tomorrow.
    """
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise DuplicateRecordInvalidError(
            "the body is not JSON in UTF-8", hint="send the record as a JSON object"
        ) from e
    errors: list[str] = []
    request: DuplicateRequest | None = None
    try:
        request = DuplicateRequest.model_validate(data)
    except ValidationError as e:
        errors = [_describe(item) for item in e.errors()]
    record = data.get("record") if isinstance(data, dict) else None
    if isinstance(record, dict):
        errors += date_faults(record, vietnam_time(at).date())
    if errors or request is None:
        raise _invalid(errors)
    return request


def _describe(item: Any) -> str:
    where = ".".join(str(part) for part in item["loc"]) or "body"
    return f"{where}: {item['msg']}"


def _invalid(errors: list[str]) -> DuplicateRecordInvalidError:
    return DuplicateRecordInvalidError(
        "the register record is invalid: " + "; ".join(errors),
        hint="correct the fields named in errors and send the record again",
        errors=errors,
    )


def date_faults(record: dict[str, Any], today: date) -> list[str]:
    """List what the record's dates say that cannot be (raw JSON, leniently).

    A date in the future; a registration before the birth; a parent born
    after the child. A date that cannot be read is left to the model's
    own error.
    """
    born = _date(record, "child", "date_of_birth")
    registered = _date(record, "registration", "registered_on")
    faults = [
        f"record.{name}: is after today"
        for name, value in (
            ("child.date_of_birth", born),
            ("registration.registered_on", registered),
        )
        if value is not None and value > today
    ]
    if born is not None and registered is not None and registered < born:
        faults.append(
            "record.registration.registered_on: is before child.date_of_birth"
        )
    for parent in ("mother", "father"):
        year = _part(record, parent).get("year_of_birth")
        if born is not None and isinstance(year, int) and year > born.year:
            faults.append(f"record.{parent}.year_of_birth: is after the child's birth")
    return faults


def _part(record: dict[str, Any], name: str) -> dict[str, Any]:
    part = record.get(name)
    return part if isinstance(part, dict) else {}


def _date(record: dict[str, Any], part: str, name: str) -> date | None:
    value = _part(record, part).get(name)
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def record_json(record: BirthRecord) -> str:
    """Return the record as canonical JSON: sorted keys, no spaces, UTF-8."""
    # The record holds strings, integers, dates and nulls only, for which
    # sorted keys and compact separators give one spelling per value.
    data = record.model_dump(mode="json")
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def record_sha256(record: BirthRecord) -> str:
    """Return the SHA-256 (hex) of the record's canonical JSON."""
    return hashlib.sha256(record_json(record).encode("utf-8")).hexdigest()
