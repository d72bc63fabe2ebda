"""Huawei VRP/USG and H3C Comware parsers: ACLs, security and object policies, problems."""

from __future__ import annotations

import textwrap

import pytest

from egovops.errors import ConfigError
from egovops.firewall.model import Action, PortRange, Ruleset
from egovops.firewall.parsers import PARSERS, detect_format
from tests.unit.firewall.parsers.golden import FIXTURES

HUAWEI = PARSERS["huawei"]
H3C = PARSERS["h3c"]


def huawei(text: str) -> Ruleset:
    return HUAWEI.parse(textwrap.dedent(text), "usg.cfg")


def h3c(text: str) -> Ruleset:
    return H3C.parse(textwrap.dedent(text), "h3c.cfg")


def test_huawei_traffic_filter_permits_unmatched_but_vty_acl_denies() -> None:
    ruleset = huawei("""\
        acl number 3000
         rule 5 deny tcp destination-port eq telnet
        acl number 2000
         rule 5 permit source 10.20.99.0 0.0.0.255
        interface GigabitEthernet1/0/1
         traffic-filter inbound acl 3000
        user-interface vty 0 4
         acl 2000 inbound
        """)
    filters = {c.hook: c.policy for c in ruleset.chains}
    assert filters == {"3000:in": Action.ACCEPT, "2000:vty-in": Action.DROP}


def test_huawei_rules_are_ordered_by_id_and_unnumbered_rules_step_by_five() -> None:
    ruleset = huawei("""\
        acl number 3000
         rule 10 deny ip
         rule 5 permit tcp destination-port eq 443
         rule permit udp destination-port eq 53
        """)
    assert [r.name for r in ruleset.chains[0].rules] == ["5", "10", "15"]


def test_huawei_security_policy_default_and_services() -> None:
    ruleset = huawei("""\
        ip service-set WEB_ALT type object
         service 0 protocol tcp destination-port 8080 to 8090
        security-policy
         default action permit
         rule name web
          source-zone untrust
          destination-zone dmz trust
          destination-address 10.20.1.0 0.0.0.255
          destination-address range 10.20.2.10 10.20.2.11
          service http
          service WEB_ALT
          service protocol udp destination-port 53
          action permit
        """)
    (chain,) = ruleset.chains
    assert (chain.name, chain.hook, chain.policy) == (
        "security-policy", "security-policy", Action.ACCEPT)
    tcp, udp = chain.rules
    assert tcp.match.dports == (PortRange(80, 80), PortRange(8080, 8090))
    assert udp.match.protocols == (17,)
    assert tcp.match.dst_zones == ("dmz", "trust")
    assert [str(n) for n in tcp.match.dst] == ["10.20.1.0/24", "10.20.2.10/31"]
    assert tcp.name == udp.name == "web"


def test_huawei_disabled_rule_is_left_out() -> None:
    ruleset = huawei("""\
        security-policy
         rule name old
          disable
          action permit
         rule name deny_all
          action deny
        """)
    assert [r.name for r in ruleset.chains[0].rules] == ["deny_all"]


def test_h3c_object_policy_rules_carry_the_zone_pair() -> None:
    ruleset = h3c("""\
        object-group ip address WEB
         0 network subnet 10.20.1.0 24
        object-policy ip U-D
         rule 5 drop
         rule 0 pass destination-ip WEB service https
        zone-pair security source Untrust destination DMZ
         object-policy apply ip U-D
        zone-pair security source Trust destination DMZ
         object-policy apply ip U-D
        """)
    untrust, trust = ruleset.chains
    assert (untrust.name, untrust.hook, untrust.policy) == ("U-D", "U-D:Untrust->DMZ",
                                                             Action.DROP)
    assert [r.name for r in untrust.rules] == ["0", "5"]
    assert untrust.rules[0].match.src_zones == ("Untrust",)
    assert trust.rules[0].match.src_zones == ("Trust",)
    assert untrust.rules[0].match.dports == (PortRange(443, 443),)


def test_h3c_packet_filter_default_deny() -> None:
    ruleset = h3c("""\
        packet-filter default deny
        acl advanced 3000
         rule 0 permit ip
        interface GigabitEthernet1/0/1
         packet-filter 3000 outbound
        """)
    assert (ruleset.chains[0].hook, ruleset.chains[0].policy) == ("3000:out", Action.DROP)


def test_huawei_and_h3c_detection_do_not_overlap() -> None:
    comware5 = " version 5.20.99, Release 2222P02\n#\nacl number 3000\n rule 0 permit ip\n"
    vrp = "!Software Version V200R019C10SPC500\n#\nacl number 3000\n rule 5 permit ip\n"
    assert detect_format(comware5) == "h3c"
    assert detect_format(vrp) == "huawei"


@pytest.mark.parametrize(("format_name", "lines"), [
    ("huawei", [5, 9, 10, 11, 12, 13, 17, 18, 19, 20, 21, 24, 25, 28, 34, 37, 40, 42, 45]),
    ("h3c", [8, 9, 12, 14, 18, 19, 23, 26, 29, 30, 31, 36, 37, 39, 40, 44, 48, 49, 50, 54, 57]),
])
def test_broken_configs_report_every_problem_at_its_line(
        format_name: str, lines: list[int]) -> None:
    text = (FIXTURES / format_name / "broken" / "current-configuration.txt").read_text()
    with pytest.raises(ConfigError) as caught:
        PARSERS[format_name].parse(text, "broken.cfg")
    assert [p.line for p in caught.value.problems] == lines
    assert {p.file for p in caught.value.problems} == {"broken.cfg"}
