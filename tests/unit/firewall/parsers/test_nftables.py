"""nftables text and JSON parsers: shared semantics, line numbers, handles, problems."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

from egovops.errors import ConfigError
from egovops.firewall.model import Action, Bound, ConnState, IcmpMatch, PortRange, Ruleset
from egovops.firewall.parsers import PARSERS
from tests.unit.firewall.parsers.golden import FIXTURES, render

GATEWAY_TEXT = FIXTURES / "nftables" / "gateway" / "ruleset.nft"
GATEWAY_HANDLES = FIXTURES / "nftables" / "gateway-handles" / "ruleset.nft"
GATEWAY_JSON = FIXTURES / "nftables-json" / "gateway" / "ruleset.json"
GATEWAY_PRETTY = FIXTURES / "nftables-json" / "gateway-pretty" / "ruleset.json"


def parse(format_name: str, text: str, file: str = "fw") -> Ruleset:
    return PARSERS[format_name].parse(textwrap.dedent(text), file)


def strip_positions(data: dict[str, Any]) -> dict[str, Any]:
    """A rendering without lines, rule names and format, to compare text with JSON."""
    loaded: dict[str, Any] = json.loads(json.dumps(data))
    loaded.pop("format")
    for chain in loaded["chains"]:
        chain.pop("line")
        for rule in chain["rules"]:
            rule.pop("line")
            rule.pop("name")
    return loaded


def test_text_and_json_of_the_same_recorded_ruleset_agree() -> None:
    text = PARSERS["nftables"].parse(GATEWAY_TEXT.read_text(), "a")
    data = PARSERS["nftables-json"].parse(GATEWAY_JSON.read_text(), "b")
    assert strip_positions(render(text)) == strip_positions(render(data))


def test_text_rules_keep_their_real_line() -> None:
    lines = GATEWAY_TEXT.read_text().splitlines()
    ruleset = PARSERS["nftables"].parse("\n".join(lines), "gw.nft")
    for chain in ruleset.chains:
        for rule in chain.rules:
            assert lines[rule.source.line - 1].strip() == rule.text


def test_handles_become_rule_names() -> None:
    ruleset = PARSERS["nftables"].parse(GATEWAY_HANDLES.read_text(), "gw.nft")
    chain = ruleset.chain("input", "egov_gw")
    assert chain is not None
    assert [r.name for r in chain.rules][:3] == ["9", "10", "11"]
    assert "# handle" not in chain.rules[0].text


def test_one_line_json_has_no_line_numbers_but_handles() -> None:
    ruleset = PARSERS["nftables-json"].parse(GATEWAY_JSON.read_text(), "gw.json")
    rules = [r for c in ruleset.chains for r in c.rules]
    assert {r.source.line for r in rules} == {0}
    assert all(r.name.isdigit() for r in rules)


def test_pretty_json_points_at_each_rule_object() -> None:
    lines = GATEWAY_PRETTY.read_text().splitlines()
    ruleset = PARSERS["nftables-json"].parse("\n".join(lines), "gw.json")
    for chain in ruleset.chains:
        assert lines[chain.source.line - 1].strip() == '"chain": {'
        for rule in chain.rules:
            assert lines[rule.source.line - 1].strip() == '"rule": {'
            assert f'"handle": {rule.name},' in "\n".join(
                lines[rule.source.line:rule.source.line + 5])


def test_named_sets_resolve_and_are_listed_as_objects() -> None:
    ruleset = PARSERS["nftables"].parse(GATEWAY_TEXT.read_text(), "gw.nft")
    forward = ruleset.chain("forward")
    assert forward is not None
    web = forward.rules[1]
    assert [str(n) for n in web.match.dst] == ["10.20.1.10/32", "10.20.1.11/32",
                                               "10.20.1.12/32"]
    assert web.match.dports == (PortRange(80, 80), PortRange(443, 443))
    assert ruleset.objects["inet egov_gw @web_ports"] == ("80", "443")


def test_base_chains_priorities_and_policies() -> None:
    ruleset = PARSERS["nftables"].parse(GATEWAY_TEXT.read_text(), "gw.nft")
    summary = [(c.table, c.name, c.hook, c.policy, c.priority) for c in ruleset.base_chains]
    assert summary == [
        ("egov_gw", "input", "input", Action.DROP, 0),
        ("egov_gw", "forward", "forward", Action.DROP, 0),
        ("egov_gw", "output", "output", Action.ACCEPT, 0),
        ("egov_gw6", "input", "input", Action.DROP, 10),
    ]


@pytest.mark.parametrize(("rule_text", "field", "expected"), [
    ("ip saddr != 10.0.0.0/8 accept", "src_negated", True),
    ("tcp dport < 1024 accept", "dports", (PortRange(0, 1023),)),
    ("tcp dport >= 1024 accept", "dports", (PortRange(1024, 65535),)),
    ("tcp dport != { 22, 23 } accept", "dports_negated", True),
    ("meta l4proto != tcp accept", "protocols_negated", True),
    ("ct state != established accept", "states",
     frozenset({ConnState.NEW, ConnState.RELATED, ConnState.INVALID, ConnState.UNTRACKED})),
    ("icmp type destination-unreachable icmp code 3 accept", "icmp", (IcmpMatch(3, 3),)),
    ("ip daddr 10.20.1.1-10.20.1.3 accept", "dst", None),
    ("meta nfproto ipv6 accept", "family", 6),
    ("iifname { \"lan0\", \"mgmt0\" } accept", "in_interfaces", ("lan0", "mgmt0")),
    ("oifname != \"wan0\" accept", "out_interfaces_negated", True),
    ("ip protocol udp accept", "protocols", (17,)),
])
def test_text_conditions(rule_text: str, field: str, expected: object) -> None:
    ruleset = parse("nftables", f"""\
        table inet t {{
        \tchain c {{
        \t\t{rule_text}
        \t}}
        }}
        """)
    (rule,) = ruleset.chains[0].rules
    value = getattr(rule.match, field)
    if expected is None:
        assert [str(n) for n in value] == ["10.20.1.1/32", "10.20.1.2/31"]
    else:
        assert value == expected


def test_th_ports_combine_with_l4proto_sets() -> None:
    ruleset = parse("nftables", """\
        table inet t {
        \tchain c {
        \t\tmeta l4proto { tcp, udp } th dport 53 accept
        \t\tmeta l4proto { tcp, udp } tcp dport 22 accept
        \t}
        }
        """)
    dns, ssh = ruleset.chains[0].rules
    assert dns.match.protocols == (6, 17)
    assert ssh.match.protocols == (6,)


def test_contradictory_protocols_are_reported() -> None:
    # a parse warning since #12 (the rule is skipped, the file still read)
    ruleset = parse("nftables", """\
        table inet t {
        \tchain c {
        \t\tmeta l4proto udp tcp dport 22 accept
        \t}
        }
        """)
    (skip,) = ruleset.skipped
    assert (skip.source.line, skip.bound) == (3, Bound.BOTH)
    assert "never match" in skip.reason


BROKEN_TEXT_LINES = [13, 15, 16, 17, 18]
BROKEN_JSON_LINES = [110, 171, 206, 295]


@pytest.mark.parametrize(("format_name", "path", "lines"), [
    ("nftables", FIXTURES / "nftables" / "broken" / "ruleset.nft", BROKEN_TEXT_LINES),
    ("nftables-json", FIXTURES / "nftables-json" / "broken" / "ruleset.json",
     BROKEN_JSON_LINES),
])
def test_broken_rulesets_report_every_problem_at_its_line(
        format_name: str, path: Path, lines: list[int]) -> None:
    with pytest.raises(ConfigError) as caught:
        PARSERS[format_name].parse(path.read_text(), "broken")
    assert [p.line for p in caught.value.problems] == lines
    assert {p.file for p in caught.value.problems} == {"broken"}
    rendered = str(caught.value)
    assert rendered.startswith(f"broken: {len(lines)} constructs in this {format_name}")
    assert "broken:13" in rendered or format_name == "nftables-json"


def test_invalid_json_is_located() -> None:
    with pytest.raises(ConfigError) as caught:
        PARSERS["nftables-json"].parse('{"nftables": [\n  {"table": {,}}\n]}', "bad.json")
    (problem,) = caught.value.problems
    assert (problem.line, problem.code) == (2, "syntax")
    assert problem.column > 0


def test_unclosed_block_is_reported() -> None:
    with pytest.raises(ConfigError) as caught:
        parse("nftables", "table inet t {\n\tchain c {\n\t\taccept\n")
    assert [p.message for p in caught.value.problems] == [
        "unexpected end of file: a '{' block is not closed"]
