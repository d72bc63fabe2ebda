"""Cisco IOS / NX-OS and ASA parsers: ordering, wildcards, objects, attachments, problems."""

from __future__ import annotations

import textwrap

import pytest

from egovops.errors import ConfigError
from egovops.firewall.model import Action, Bound, ConnState, PortRange, Ruleset
from egovops.firewall.parsers import PARSERS
from tests.unit.firewall.parsers.golden import FIXTURES

IOS = PARSERS["cisco-ios"]
ASA = PARSERS["cisco-asa"]


def ios(text: str) -> Ruleset:
    return IOS.parse(textwrap.dedent(text), "r1.cfg")


def asa(text: str) -> Ruleset:
    return ASA.parse(textwrap.dedent(text), "asa.cfg")


def test_entries_are_ordered_by_sequence_number_not_by_file_order() -> None:
    ruleset = ios("""\
        ip access-list extended WAN_IN
         20 deny   ip any any log
         10 permit tcp any host 10.20.2.10 eq 443
         permit udp any host 10.20.2.10 eq 443
        """)
    rules = ruleset.chains[0].rules
    assert [(r.name, r.source.line) for r in rules] == [("10", 3), ("20", 2), ("30", 4)]


def test_unnumbered_entries_get_steps_of_ten_and_remarks_become_comments() -> None:
    ruleset = ios("""\
        access-list 110 remark outer network to the internet
        access-list 110 permit tcp 10.20.0.0 0.0.255.255 any eq www
        access-list 110 deny   ip any any
        """)
    first, second = ruleset.chains[0].rules
    assert (first.name, second.name) == ("10", "20")
    assert first.comment == "outer network to the internet"
    assert second.comment == ""


def test_applied_acl_is_a_base_chain_with_implicit_deny() -> None:
    ruleset = ios("""\
        interface GigabitEthernet0/0/0
         ip access-group WAN_IN in
        interface GigabitEthernet0/0/3
         ip access-group WAN_IN in
        ip access-list extended WAN_IN
         permit tcp any any eq 443
        ip access-list extended UNUSED
         permit ip any any
        """)
    wan, unused = ruleset.chains
    assert (wan.hook, wan.policy) == ("WAN_IN:in", Action.DROP)
    assert ruleset.objects["WAN_IN:in"] == ("interface GigabitEthernet0/0/0",
                                           "interface GigabitEthernet0/0/3")
    assert (unused.hook, unused.policy) == (None, None)


def test_acl_applied_in_both_directions_gives_two_chains() -> None:
    ruleset = ios("""\
        ip access-list extended TRANSIT
         permit ip any any
        interface Vlan10
         ip access-group TRANSIT in
         ip access-group TRANSIT out
        """)
    assert [c.hook for c in ruleset.chains] == ["TRANSIT:in", "TRANSIT:out"]


@pytest.mark.parametrize(("address", "expected"), [
    ("10.20.0.0 0.0.255.255", ["10.20.0.0/16"]),
    ("10.20.1.1 0.0.0.0", ["10.20.1.1/32"]),
    ("host 10.20.1.1", ["10.20.1.1/32"]),
    ("10.20.0.1 0.0.1.0", ["10.20.0.1/32", "10.20.1.1/32"]),
    ("10.20.0.0 0.0.2.255", ["10.20.0.0/24", "10.20.2.0/24"]),
    ("10.20.0.0/16", ["10.20.0.0/16"]),
])
def test_wildcards_and_prefixes(address: str, expected: list[str]) -> None:
    ruleset = ios(f"ip access-list extended A\n permit ip {address} any\n")
    assert [str(n) for n in ruleset.chains[0].rules[0].match.src] == expected


def test_wildcard_too_scattered_is_skipped_where_written() -> None:
    # a parse warning since #12: the rule is left out and the skip (bound both) taints the
    # device, instead of rejecting the whole file
    ruleset = ios("ip access-list extended A\n permit ip 10.0.0.0 0.255.255.0 any\n")
    (skip,) = ruleset.skipped
    assert (skip.source.line, skip.bound) == (2, Bound.BOTH)
    assert "wildcard" in skip.reason
    assert ruleset.chains[0].rules == ()


def test_port_operators_and_names() -> None:
    ruleset = ios("""\
        ip access-list extended A
         permit tcp any any eq www https telnet
         permit udp any any neq snmp
         permit tcp any lt 1024 any gt 1023
         permit tcp any any range ftp-data ftp
         permit tcp any any established
        """)
    eq, neq, lt_gt, rng, est = ruleset.chains[0].rules
    assert eq.match.dports == (PortRange(23, 23), PortRange(80, 80), PortRange(443, 443))
    assert (neq.match.dports, neq.match.dports_negated) == ((PortRange(161, 161),), True)
    assert lt_gt.match.sports == (PortRange(0, 1023),)
    assert lt_gt.match.dports == (PortRange(1024, 65535),)
    assert rng.match.dports == (PortRange(20, 21),)
    assert est.match.states == frozenset({ConnState.ESTABLISHED})


def test_mixed_protocol_service_group_splits_into_exact_rules() -> None:
    ruleset = ios("""\
        object-group service MIXED
         tcp eq www
         udp eq ntp
         tcp-udp eq domain
        ip access-list extended A
         permit object-group MIXED any any
        """)
    rules = ruleset.chains[0].rules
    shapes = sorted((r.match.protocols, tuple(str(p) for p in r.match.dports)) for r in rules)
    assert shapes == [((6,), ("53", "80")), ((17,), ("53", "123"))]
    assert {r.name for r in rules} == {"10"}


def test_nested_object_groups_and_cycles() -> None:
    ruleset = ios("""\
        object-group network WEB
         host 10.20.1.10
        object-group network DMZ
         group-object WEB
         10.20.1.128 255.255.255.192
        ip access-list extended A
         permit tcp any object-group DMZ eq 443
        """)
    assert [str(n) for n in ruleset.chains[0].rules[0].match.dst] == [
        "10.20.1.128/26", "10.20.1.10/32"]
    with pytest.raises(ConfigError) as caught:
        ios("""\
            object-group network LOOP
             group-object LOOP
            ip access-list extended A
             permit ip object-group LOOP any
            """)
    assert "includes itself" in caught.value.problems[0].message


def test_vty_access_class_gets_its_own_hook() -> None:
    ruleset = ios("""\
        ip access-list standard MGMT
         permit 10.20.99.0 0.0.0.255
        line vty 0 4
         access-class MGMT in vrf-also
        """)
    (chain,) = ruleset.chains
    assert chain.hook == "MGMT:vty-in"
    assert ruleset.objects["MGMT:vty-in"] == ("line vty 0 4",)


def test_asa_objects_port_groups_and_inactive_entries() -> None:
    ruleset = asa("""\
        ASA Version 9.8(4)
        object network WEB01
         host 10.20.1.10
        object-group service WEB_PORTS tcp
         port-object eq www
         port-object range 8080 8090
        access-list OUT extended permit tcp any object WEB01 object-group WEB_PORTS
        access-list OUT extended permit tcp any any eq telnet inactive
        access-list OUT extended deny ip any any log disable
        access-group OUT in interface outside
        """)
    (chain,) = ruleset.chains
    web, deny = chain.rules
    assert web.match.dports == (PortRange(80, 80), PortRange(8080, 8090))
    assert (web.name, deny.name) == ("1", "3")
    assert deny.log is False
    assert chain.hook == "OUT:in"
    assert ruleset.objects["OUT:in"] == ("outside",)


def test_asa_source_port_group_and_global_access_group() -> None:
    ruleset = asa("""\
        ASA Version 9.8(4)
        object-group service HIGH tcp
         port-object range 1024 65535
        object-group network SERVERS
         network-object 10.20.1.0 255.255.255.0
        access-list G extended permit tcp any object-group HIGH object-group SERVERS eq 22
        access-group G global
        """)
    (rule,) = ruleset.chains[0].rules
    assert rule.match.sports == (PortRange(1024, 65535),)
    assert [str(n) for n in rule.match.dst] == ["10.20.1.0/24"]
    assert ruleset.chains[0].hook == "G:global"


def test_asa_any4_and_ipv6_prefixes_set_the_family() -> None:
    ruleset = asa("""\
        ASA Version 9.8(4)
        access-list A extended permit tcp any4 any eq 443
        access-list A extended permit tcp 2001:db8:20::/48 any6 eq 443
        """)
    v4, v6 = ruleset.chains[0].rules
    assert (v4.match.family, v6.match.family) == (4, 6)


def test_asa_running_config_is_not_taken_for_ios() -> None:
    text = (FIXTURES / "cisco-asa" / "internet-edge" / "running-config.txt").read_text()
    assert not IOS.detect(text)


@pytest.mark.parametrize(("format_name", "folder", "lines"), [
    ("cisco-ios", "cisco-ios", [6, 9, 10, 11, 12, 13, 14, 16, 19, 23, 24]),
    ("cisco-asa", "cisco-asa", [9, 12, 13, 14, 15, 16, 17, 18, 21, 22]),
])
def test_broken_configs_report_every_problem_at_its_line(
        format_name: str, folder: str, lines: list[int]) -> None:
    text = (FIXTURES / folder / "broken" / "running-config.txt").read_text()
    with pytest.raises(ConfigError) as caught:
        PARSERS[format_name].parse(text, "broken.cfg")
    assert [p.line for p in caught.value.problems] == lines
    assert all(str(p).startswith(f"broken.cfg:{p.line}") for p in caught.value.problems)
