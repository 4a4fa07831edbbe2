"""The draft header: what may reach the notation, the DocumentId and HTTP.

The drafting unit ends up in the notation (``27/UBND-TTĐT``), in the edXML
DocumentId and in the name of the downloaded file, so it is held to what a
Decree 30/2020 notation allows. Every text of the header is refused when it
carries control or bidirectional-override characters.
"""

from __future__ import annotations

import json
import unicodedata
from typing import Any

import pytest

from edocx.exchange.errors import HeaderInvalidError
from edocx.exchange.header import DraftHeader, parse_header


def _header(**overrides: Any) -> dict[str, Any]:
    value: dict[str, Any] = {
        "type": "Công văn",
        "subject": "V/v triển khai Nghị định 30/2020/NĐ-CP",
        "signer": {"name": "Nguyễn Văn Thành", "position": "Chánh Văn phòng"},
        "recipients": ["000.00.00.G22"],
    }
    value.update(overrides)
    return value


@pytest.mark.parametrize(
    "unit", ["TTĐT", "VP", "KHĐT-TC", "P2", "Phòng1", "A-B-C", "Đ" * 30]
)
def test_drafting_units_of_notations_are_accepted(unit: str) -> None:
    assert parse_header(_header(drafting_unit=unit)).drafting_unit == unit


def test_drafting_unit_is_kept_in_composed_form() -> None:
    decomposed = unicodedata.normalize("NFD", "TCCBỘ")
    assert decomposed != "TCCBỘ"
    assert parse_header(_header(drafting_unit=decomposed)).drafting_unit == "TCCBỘ"


@pytest.mark.parametrize(
    "unit",
    [
        "VP\r\nX-Evil: 1",
        "VP\x00",
        'VP"; x="y',
        "A/B/../C",
        "   ",
        "",
        " VP",
        "V P",
        "A--B",
        "-A",
        "A-",
        "VP_1",
        "VP\u202e",
        "ВП",  # Cyrillic letters that look like Latin ones
        "VP²",
        "VP٣",
        "A" * 31,
    ],
    ids=repr,
)
def test_drafting_units_outside_notations_are_refused(unit: str) -> None:
    with pytest.raises(HeaderInvalidError) as refused:
        parse_header(_header(drafting_unit=unit))
    assert refused.value.code == "header-invalid"
    assert any("drafting_unit" in e for e in refused.value.extensions["errors"])


_BAD_TEXT = ["\x00", "\r\n", "\t", "\x1b[31m", "\x7f", "\x85", "\u202e", "\u2066",
             "\u200f", "\u2028", "\ufeff", "\ud800"]  # fmt: skip


@pytest.mark.parametrize("bad", _BAD_TEXT, ids=repr)
@pytest.mark.parametrize(
    "field", ["type", "subject", "signer.name", "signer.position", "signer.competence"]
)
def test_header_texts_refuse_control_and_bidi_characters(field: str, bad: str) -> None:
    head = _header(signer={"name": "Nguyễn Văn Thành", "position": "Chánh Văn phòng",
                           "competence": "TL. CHỦ TỊCH"})  # fmt: skip
    top, _, sub = field.partition(".")
    target = head[top] if sub else head
    name = sub or top
    target[name] = target[name][:3] + bad + target[name][3:]

    with pytest.raises(HeaderInvalidError) as refused:
        parse_header(head)
    assert refused.value.code == "header-invalid"
    assert any(field in e for e in refused.value.extensions["errors"])


def test_header_texts_keep_vietnamese() -> None:
    header = parse_header(_header(subject="  Về việc “Đề án” số 2  "))
    assert header.subject == "Về việc “Đề án” số 2"


@pytest.mark.parametrize("priority", ["1", 1.0, True, None, -1, 5])
def test_priority_is_a_strict_integer(priority: object) -> None:
    with pytest.raises(HeaderInvalidError):
        parse_header(_header(priority=priority))


def test_priority_zero_to_four() -> None:
    assert [parse_header(_header(priority=p)).priority for p in range(5)] == [
        0, 1, 2, 3, 4,
    ]  # fmt: skip
    assert parse_header(_header()).priority == 0


@pytest.mark.parametrize("depth", [2000, 100_000])
def test_deeply_nested_header_is_invalid_not_a_crash(depth: int) -> None:
    raw = '{"type":' + "[" * depth + "]" * depth + "}"
    with pytest.raises(HeaderInvalidError) as refused:
        parse_header(raw.encode())
    assert refused.value.code == "header-invalid"


def test_parsed_header_round_trips() -> None:
    header = parse_header(json.dumps(_header(drafting_unit="TTĐT", priority=3)))
    assert isinstance(header, DraftHeader)
    assert (header.drafting_unit, header.priority) == ("TTĐT", 3)


def test_a_repeated_key_is_refused() -> None:
    # One parser reads the first "name", another the last: refuse both.
    text = json.dumps(_header())[:-1] + ', "subject": "Một nội dung khác"}'
    with pytest.raises(HeaderInvalidError, match="'subject' appears twice"):
        parse_header(text)
    nested = json.dumps(_header(signer={"name": "A", "position": "B"}))
    nested = nested.replace('"name": "A"', '"name": "A", "name": "C"')
    with pytest.raises(HeaderInvalidError, match="'name' appears twice"):
        parse_header(nested.encode())
