"""iptables-save parser: tables, policies, counters, families, options, problems."""

from __future__ import annotations

import textwrap

import pytest

from egovops.errors import ConfigError
from egovops.firewall.model import Action, ConnState, IcmpMatch, PortRange, Ruleset
from egovops.firewall.parsers import PARSERS
from tests.unit.firewall.parsers.golden import FIXTURES

PARSER = PARSERS["iptables"]


def parse(text: str) -> Ruleset:
    return PARSER.parse(textwrap.dedent(text), "rules.v4")


def one_rule(rule_line: str, chains: str = "") -> object:
    ruleset = parse(f"*filter\n:INPUT DROP [0:0]\n{chains}{rule_line}\nCOMMIT\n")
    (rule,) = ruleset.chains[0].rules
    return rule


def test_recorded_counters_and_policies() -> None:
    text = (FIXTURES / "iptables" / "gateway-counters" / "iptables-save.txt").read_text()
    ruleset = PARSER.parse(text, "gw")
    chain = ruleset.chain("INPUT")
    assert chain is not None
    assert (chain.hook, chain.policy, chain.family, chain.table) == (
        "input", Action.DROP, "ip", "filter")
    assert chain.rules[0].counters == (6, 300)
    assert chain.rules[0].name == "1"
    assert [c.name for c in ruleset.chains if c.hook is None] == [
        "MANAGEMENT", "OUTER_TO_INTERNET"]


def test_ip6tables_header_sets_the_family() -> None:
    text = (FIXTURES / "iptables" / "gateway-ipv6" / "ip6tables-save.txt").read_text()
    ruleset = PARSER.parse(text, "gw6")
    assert {c.family for c in ruleset.chains} == {"ip6"}
    assert {r.match.family for c in ruleset.chains for r in c.rules} == {6}


def test_family_is_inferred_without_a_header() -> None:
    ruleset = parse("""\
        *filter
        :INPUT DROP [0:0]
        -A INPUT -s 2001:db8::/32 -j ACCEPT
        COMMIT
        """)
    assert ruleset.chains[0].family == "ip6"


def test_both_tools_concatenated() -> None:
    v4 = (FIXTURES / "iptables" / "gateway" / "iptables-save.txt").read_text()
    v6 = (FIXTURES / "iptables" / "gateway-ipv6" / "ip6tables-save.txt").read_text()
    ruleset = PARSER.parse(v4 + v6, "both")
    assert [c.family for c in ruleset.base_chains] == ["ip"] * 3 + ["ip6"] * 3


@pytest.mark.parametrize(("line", "field", "expected"), [
    ("-A INPUT ! -s 10.20.99.0/24 -j DROP", "src_negated", True),
    ("-A INPUT -s 10.20.0.0/255.255.0.0 -j DROP", "src", None),
    ("-A INPUT ! -p tcp -j DROP", "protocols_negated", True),
    ("-A INPUT -p tcp -m tcp --dport 1024: -j DROP", "dports", (PortRange(1024, 65535),)),
    ("-A INPUT -p udp -m multiport --sports 53,123 -j ACCEPT", "sports",
     (PortRange(53, 53), PortRange(123, 123))),
    ("-A INPUT -p icmp -m icmp --icmp-type 3/4 -j ACCEPT", "icmp", (IcmpMatch(3, 4),)),
    ("-A INPUT -p icmp -m icmp --icmp-type echo-request -j ACCEPT", "icmp", (IcmpMatch(8),)),
    ("-A INPUT -m conntrack ! --ctstate NEW -j ACCEPT", "states",
     frozenset(ConnState) - {ConnState.NEW}),
    ("-A INPUT -i eth+ -j ACCEPT", "in_interfaces", ("eth+",)),
    ("-A INPUT ! -o wan0 -j ACCEPT", "out_interfaces_negated", True),
    ("-A INPUT -p 47 -j ACCEPT", "protocols", (47,)),
])
def test_options(line: str, field: str, expected: object) -> None:
    rule = one_rule(line)
    value = getattr(rule.match, field)  # type: ignore[attr-defined]
    if expected is None:
        assert [str(n) for n in value] == ["10.20.0.0/16"]
    else:
        assert value == expected


def test_log_is_non_terminal_and_goto_is_kept() -> None:
    ruleset = parse("""\
        *filter
        :FORWARD DROP [0:0]
        :MGMT - [0:0]
        -A FORWARD -j LOG --log-prefix "fw drop " --log-level 4
        -A FORWARD -s 10.20.99.0/24 -g MGMT
        COMMIT
        """)
    logged, goto = ruleset.chains[0].rules
    assert (logged.action, logged.log) == (Action.CONTINUE, True)
    assert (goto.action, goto.target) == (Action.GOTO, "MGMT")


BROKEN_LINES = [9, 10, 11, 13, 14, 17]


def test_broken_dump_reports_every_problem_at_its_line() -> None:
    text = (FIXTURES / "iptables" / "broken" / "iptables-save.txt").read_text()
    with pytest.raises(ConfigError) as caught:
        PARSER.parse(text, "broken.v4")
    problems = caught.value.problems
    assert [p.line for p in problems] == BROKEN_LINES
    assert problems[0].location() == "broken.v4:9:10"
    codes = {p.line: p.code for p in problems}
    assert codes[11] == codes[13] == "unknown-reference"
    assert codes[9] == codes[10] == "invalid-value"
