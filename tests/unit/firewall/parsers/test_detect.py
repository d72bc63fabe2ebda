"""Format detection and the explicit parser table."""

from __future__ import annotations

import pytest

from egovops.errors import ConfigError
from egovops.firewall.parsers import PARSERS, detect_format, parse_config
from tests.unit.firewall.parsers.golden import Case, cases

CASES = cases()


@pytest.mark.parametrize("case", CASES, ids=str)
def test_detect_format_names_the_fixture_format(case: Case) -> None:
    assert detect_format(case.config.read_text(encoding="utf-8")) == case.format


@pytest.mark.parametrize("case", CASES, ids=str)
def test_only_the_right_parser_claims_the_fixture(case: Case) -> None:
    text = case.config.read_text(encoding="utf-8")
    claimed = [name for name, parser in PARSERS.items() if parser.detect(text)]
    assert claimed == [case.format]


def test_table_is_keyed_by_parser_name() -> None:
    assert list(PARSERS) == [p.name for p in PARSERS.values()]


def test_unknown_format_lists_the_known_ones() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config("anything", "fw.cfg", "junos")
    message = str(caught.value)
    assert "unknown firewall format 'junos'" in message
    for name in PARSERS:
        assert name in message


def test_undetectable_text_is_a_config_error() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config("hostname core-01\n", "core.cfg")
    assert "cannot tell which firewall format" in str(caught.value)
    assert caught.value.problems[0].file == "core.cfg"


def test_explicit_format_wins_over_detection() -> None:
    text = "*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n"
    assert detect_format(text) == "iptables"
    with pytest.raises(ConfigError):
        parse_config(text, "x.nft", "nftables")
