"""``edocx bench NAME --help`` offers only the options that bench reads."""

from __future__ import annotations

import pytest

from edocx.cli import main

OPTIONS = {
    "hub": {"--rounds", "--data"},
    "corpus": {"--data"},
    "verify": {"--documents", "--data"},
    "sign": {"--documents", "--large-mb"},
}
ALL = set().union(*OPTIONS.values())


@pytest.mark.parametrize("name", sorted(OPTIONS))
def test_each_bench_offers_its_own_options_only(
    name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as done:
        main(["bench", name, "--help"])
    said = capsys.readouterr().out

    assert done.value.code == 0
    offered = {option for option in ALL if option in said}
    assert offered == OPTIONS[name]


def test_an_option_of_another_bench_is_a_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as done:
        main(["bench", "sign", "--rounds", "3"])

    assert done.value.code == 2
    assert "--rounds" in capsys.readouterr().err
