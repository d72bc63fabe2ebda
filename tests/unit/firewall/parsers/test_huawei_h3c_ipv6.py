"""Huawei and H3C IPv6 ACLs and policies, and H3C security policies: parsed, decided, reported.

The fixtures are ``tests/data/firewall/{huawei/dual-stack, h3c/security-policy-dual-stack,
h3c/object-policy-ipv6}`` (hand-written in the vendors' syntax); packets are decided with
:func:`egovops.firewall.analysis.decide` on the flattened chains, the path the audit takes.
"""

from __future__ import annotations

import ipaddress
import textwrap

import pytest

from egovops.errors import ConfigError
from egovops.firewall.analysis import decide
from egovops.firewall.flatten import FlatChain, flatten
from egovops.firewall.model import Action, Ruleset
from egovops.firewall.packetset import Packet
from egovops.firewall.parsers import PARSERS, detect_format
from tests.unit.firewall.parsers.golden import FIXTURES

TCP, UDP, ICMP, ICMP6 = 6, 17, 1, 58
ACCEPT, DROP = Action.ACCEPT, Action.DROP


def _fixture(format_name: str, case: str) -> Ruleset:
    path = FIXTURES / format_name / case / "current-configuration.txt"
    return PARSERS[format_name].parse(path.read_text(encoding="utf-8"), f"{case}.cfg")


def _chain(ruleset: Ruleset, hook: str) -> FlatChain:
    (chain,) = [c for c in flatten(ruleset) if c.hook == hook]
    return chain


def _packet(src: str, dst: str, proto: int, dport: int = 0, *, icmp: tuple[int, int] = (0, 0),
            zones: tuple[str | None, str | None] = (None, None)) -> Packet:
    source, target = ipaddress.ip_address(src), ipaddress.ip_address(dst)
    return Packet(source.version, source, target, proto, 40000 if dport else 0, dport,
                  icmp_type=icmp[0], icmp_code=icmp[1], src_zone=zones[0], dst_zone=zones[1])


def _verdict(chain: FlatChain, packet: Packet) -> tuple[str | None, Action]:
    rule, action = decide(chain, packet)
    return (rule.rule.name if rule else None), action


def _problems(format_name: str, text: str) -> list[tuple[int, str, str]]:
    with pytest.raises(ConfigError) as caught:
        PARSERS[format_name].parse(textwrap.dedent(text), "x.cfg")
    return [(p.line, p.code, p.message) for p in caught.value.problems]


# ── Huawei ────────────────────────────────────────────────────────────────────────────────


def test_huawei_ipv6_acl_on_an_interface_decides_only_ipv6_packets() -> None:
    ruleset = _fixture("huawei", "dual-stack")
    v6 = _chain(ruleset, "ipv6 3000:in")
    assert (v6.name, v6.family) == ("ipv6 3000", "ip6")
    town, dmz = "2001:db8:9::7", "2001:db8:20:1::10"
    assert _verdict(v6, _packet(town, dmz, TCP, 443)) == ("5", ACCEPT)
    assert _verdict(v6, _packet(town, dmz, TCP, 80)) == ("25", DROP)
    # rule 15 is written 'source 2001:DB8:8:: 45' (address and prefix length apart)
    assert _verdict(v6, _packet(town, "2001:db8:20:1::53", UDP, 53)) == ("15", ACCEPT)
    assert _verdict(v6, _packet("2001:db8:100::1", dmz, UDP, 53)) == ("25", DROP)
    assert _verdict(v6, _packet(town, dmz, ICMP6, icmp=(128, 0))) == ("10", ACCEPT)
    assert _verdict(v6, _packet(town, dmz, ICMP6, icmp=(129, 0))) == ("25", DROP)
    # IPv4 packets pass this filter untouched (the IPv4 ACL 3000 filters them)
    assert _verdict(v6, _packet("10.20.8.1", "10.20.1.10", TCP, 80)) == (None, ACCEPT)
    v4 = _chain(ruleset, "3000:in")
    assert _verdict(v4, _packet("10.20.8.1", "10.20.1.10", TCP, 80)) == ("10", DROP)
    assert _verdict(v4, _packet(town, dmz, TCP, 80)) == (None, ACCEPT)


def test_huawei_ipv6_vty_acl_by_name() -> None:
    vty = _chain(_fixture("huawei", "dual-stack"), "ipv6 MGMT6:vty-in")
    assert vty.policy is DROP
    assert _verdict(vty, _packet("2001:db8:99::5", "2001:db8::1", TCP, 22)) == ("5", ACCEPT)
    assert _verdict(vty, _packet("2001:db8:1::5", "2001:db8::1", TCP, 22)) == ("10", DROP)


def test_huawei_usg_policy_holds_both_families() -> None:
    policy = _chain(_fixture("huawei", "dual-stack"), "security-policy")
    zones = ("untrust", "dmz")
    assert _verdict(policy, _packet("203.0.113.9", "10.20.1.10", TCP, 443, zones=zones)) == (
        "web_v4_and_v6", ACCEPT)
    assert _verdict(policy, _packet("2001:db8:ff::9", "2001:db8:20:1::80", TCP, 443,
                                    zones=zones)) == ("web_v4_and_v6", ACCEPT)
    assert _verdict(policy, _packet("2001:db8:ff::9", "2001:db8:20:1::1:0", TCP, 443,
                                    zones=zones)) == ("deny_all", DROP)
    assert _verdict(policy, _packet("2001:db8:ff::9", "2001:db8:20:2::10", TCP, 443,
                                    zones=zones)) == ("sslvpn6", ACCEPT)
    mgmt = ("trust", "local")
    assert _verdict(policy, _packet("2001:db8:98::1f", "2001:db8::1", ICMP6, icmp=(135, 0),
                                    zones=mgmt)) == ("ping6_mgmt", ACCEPT)
    assert _verdict(policy, _packet("2001:db8:98::20", "2001:db8::1", ICMP6, icmp=(128, 0),
                                    zones=mgmt)) == ("deny_all", DROP)


def test_huawei_ipv6_unsupported_variants_are_reported_at_their_lines() -> None:
    problems = _problems("huawei", """\
        acl ipv6 number 3001
         rule 5 permit tcp source 2001:db8::1 postfix 64
         rule 10 permit ipv6 source 2001:db8:: ffff:ffff::
         rule 15 permit ipv6 destination 2001:db8::/32 flow-label 7
         rule 20 permit icmpv6 icmp6-type nonsense
         rule 25 permit ipv6 source 10.0.0.0/8
         rule 30 permit tcp source 2001:db8::/32 destination-port eq 22
        interface GigabitEthernet0/0/1
         traffic-filter inbound ipv6 acl 3001
         traffic-filter vlan 10 inbound ipv6 acl 3001
         traffic-filter outbound ipv6 acl 3999
        acl mac 4000
        """)
    assert [(line, code) for line, code, _ in problems] == [
        (2, "unsupported"), (3, "unsupported"), (4, "unsupported"), (5, "invalid-value"),
        (6, "invalid-value"), (10, "unsupported"), (11, "unknown-reference"),
        (12, "unsupported")]


def test_ipv4_and_ipv6_acl_numbers_are_apart() -> None:
    ruleset = PARSERS["huawei"].parse(textwrap.dedent("""\
        acl number 3000
         rule 5 permit ip
        acl ipv6 number 3000
         rule 5 deny ipv6
        """), "x.cfg")
    assert [(c.name, c.family) for c in ruleset.chains] == [("3000", "ip"), ("ipv6 3000", "ip6")]


# ── H3C security policy ───────────────────────────────────────────────────────────────────


def test_h3c_security_policy_is_one_base_chain_of_both_families() -> None:
    ruleset = _fixture("h3c", "security-policy-dual-stack")
    policy = _chain(ruleset, "security-policy")
    assert (policy.name, policy.policy, policy.family) == ("security-policy", DROP, "inet")
    assert [r.rule.name for r in policy.rules][:3] == ["web_in", "sslvpn", "cms_admin"]
    web = policy.rules[0].rule
    assert web.log and web.comment == "website group from the internet"
    assert web.match.src_zones == ("Untrust",) and web.match.dst_zones == ("DMZ",)


@pytest.mark.parametrize(("packet", "expected"), [
    (_packet("203.0.113.9", "10.20.1.10", TCP, 80, zones=("Untrust", "DMZ")), ("web_in", ACCEPT)),
    (_packet("203.0.113.9", "10.20.1.10", TCP, 80, zones=("Untrust", "Trust")),
     ("deny_log", DROP)),
    (_packet("203.0.113.9", "10.20.2.10", TCP, 443, zones=("Untrust", "DMZ")), ("sslvpn", ACCEPT)),
    (_packet("10.20.98.10", "10.20.1.130", TCP, 8444, zones=("Trust", "DMZ")),
     ("cms_admin", ACCEPT)),
    (_packet("10.20.97.10", "10.20.1.130", TCP, 8444, zones=("Trust", "DMZ")),
     ("deny_log", DROP)),
    (_packet("10.20.5.5", "198.51.100.1", UDP, 53, zones=("Trust", "Untrust")),
     ("outer_out", ACCEPT)),
    # ftp_dmz is disabled: the packet falls through to the last rule
    (_packet("203.0.113.9", "10.20.1.25", TCP, 21, zones=("Untrust", "DMZ")), ("deny_log", DROP)),
    (_packet("10.20.99.1", "10.20.0.5", ICMP, icmp=(8, 0), zones=("Trust", "Local")),
     ("ping_mgmt", ACCEPT)),
    (_packet("2001:db8:ff::9", "2001:db8:20:1::10", TCP, 443, zones=("Untrust", "DMZ")),
     ("web6_in", ACCEPT)),
    # an IPv6 packet never meets the IPv4 rules, even where web_in would match it otherwise
    (_packet("2001:db8:ff::9", "2001:db8:20:1::10", TCP, 80, zones=("Untrust", "DMZ")),
     (None, DROP)),
    (_packet("2001:db8:98::1a", "2001:db8:0:1::5", TCP, 22, zones=("Trust", "Local")),
     ("mgmt6_ssh", ACCEPT)),
    (_packet("2001:db8:98::20", "2001:db8:0:1::5", TCP, 22, zones=("Trust", "Local")),
     (None, DROP)),
    (_packet("fe80::1", "ff02::1", ICMP6, icmp=(136, 0)), ("nd6", ACCEPT)),
    # a rule without 'action' drops (H3C's default action)
    (_packet("2001:db8:8::5", "2001:db8:ff::1", TCP, 443, zones=("Trust", "Untrust")),
     ("old_test6", DROP)),
], ids=str)
def test_h3c_security_policy_decides_packets(packet: Packet,
                                            expected: tuple[str | None, Action]) -> None:
    policy = _chain(_fixture("h3c", "security-policy-dual-stack"), "security-policy")
    assert _verdict(policy, packet) == expected


def test_h3c_object_policies_lose_effect_once_security_policies_exist() -> None:
    ruleset = _fixture("h3c", "security-policy-dual-stack")
    trust_dmz = ruleset.chain("Trust-DMZ")
    assert trust_dmz is not None and trust_dmz.hook is None
    assert "security-policy" in ruleset.objects


def test_h3c_ipv6_acls_on_interface_and_vty() -> None:
    ruleset = _fixture("h3c", "security-policy-dual-stack")
    inbound = _chain(ruleset, "ipv6 3000:in")
    assert _verdict(inbound, _packet("2001:db8:9::1", "2001:db8:20:1::10", TCP, 443)) == (
        "0", ACCEPT)
    assert _verdict(inbound, _packet("2001:db8:9::1", "2001:db8:20:1::10", TCP, 80)) == (
        "10", DROP)
    vty = _chain(ruleset, "ipv6 2000:vty-in")
    assert _verdict(vty, _packet("2001:db8:99::1", "2001:db8::1", TCP, 22)) == ("0", ACCEPT)
    assert _verdict(vty, _packet("2001:db8:77::1", "2001:db8::1", TCP, 22)) == (None, DROP)
    assert ruleset.objects["ipv6 2000:vty-in"] == ("line vty 0 63",)
    ssh = _chain(ruleset, "ipv6 2000:ssh-in")
    assert ssh.policy is DROP and ruleset.objects["ipv6 2000:ssh-in"] == (
        "ssh server ipv6 acl ipv6 2000",)


def test_h3c_zone_pair_with_both_families_gets_one_chain() -> None:
    ruleset = _fixture("h3c", "object-policy-ipv6")
    pair = _chain(ruleset, "Trust-Untrust+ipv6 Trust-Untrust6:Trust->Untrust")
    zones = ("Trust", "Untrust")
    assert _verdict(pair, _packet("10.20.1.1", "198.51.100.1", TCP, 80, zones=zones)) == (
        "0", ACCEPT)
    assert _verdict(pair, _packet("10.20.1.1", "198.51.100.1", TCP, 443, zones=zones)) == (
        "5", DROP)
    assert _verdict(pair, _packet("2001:db8:1::1", "2001:db8:ff00::1", TCP, 443,
                                  zones=zones)) == ("0", ACCEPT)
    assert _verdict(pair, _packet("2001:db9::1", "2001:db8:ff00::1", ICMP6, icmp=(128, 0),
                                  zones=zones)) == ("5", ACCEPT)
    assert _verdict(pair, _packet("2001:db9::1", "2001:db8:ff00::1", TCP, 443,
                                  zones=zones)) == ("10", DROP)
    only6 = _chain(ruleset, "ipv6 Untrust-DMZ6:Untrust->DMZ")
    assert _verdict(only6, _packet("2001:db9::1", "2001:db8::80", TCP, 443,
                                   zones=("Untrust", "DMZ"))) == ("0", ACCEPT)
    # the zone pair's IPv6 packet filter (packet-filter ipv6 3100)
    pf = _chain(ruleset, "ipv6 3100:Untrust->DMZ")
    assert _verdict(pf, _packet("2001:db9::1", "2001:db8::80", TCP, 23)) == ("0", DROP)
    unused = ruleset.chain("ipv6 Unused6")
    assert unused is not None and unused.hook is None


def test_h3c_security_policy_problems_are_all_reported_with_lines() -> None:
    problems = _problems("h3c", """\
        #
         version 7.1.064, Release 9333P2301
        #
        object-group ip address V4
         0 network host address 10.0.0.1
        security-policy ip
         rule 0 name a
          action pass
          destination-ip-host 2001:db8::1
          application WeChat
          time-range WORK
         rule 5 name b
          action allow
          service NO_SUCH_SERVICE
          service-port tcp destination eq 99999
         rule 10 nameless
         rule 15 name a
          action pass
         group name G1
          disable
         frobnicate
        security-policy ipv6
         rule 0 name c
          source-ip V4
          source-ip-subnet 2001:db8:: 129
          vrf BLUE
        security-policy ipv6
        security-policy disable
        """)
    assert [(line, code) for line, code, _ in problems] == [
        (9, "invalid-value"), (10, "unsupported"), (11, "unsupported"), (13, "syntax"),
        (14, "unknown-reference"), (15, "invalid-value"), (16, "syntax"), (17, "duplicate"),
        (19, "unsupported"), (21, "syntax"), (24, "invalid-value"), (25, "invalid-value"),
        (26, "unsupported"), (27, "duplicate"), (28, "unsupported")]


def test_h3c_ipv6_acl_variants_reported() -> None:
    problems = _problems("h3c", """\
        #
         version 7.1.064, Release 9141P38
        #
        acl ipv6 advanced 3000
         rule 0 permit ipv6 hop-by-hop type 0
         rule 5 permit tcp source 2001:db8::1 postfix 64
         rule 10 permit icmpv6 icmp6-type echo-request
         rule 15 permit tcp icmp6-type echo-request
        interface GigabitEthernet1/0/1
         packet-filter ipv6 3000 inbound
         packet-filter ipv6 3001 outbound
         packet-filter mac 4000 inbound
        line vty 0 4
         acl ipv6 2000 inbound
         acl mac 4000 inbound
        ssh server ipv6 acl mac 4000
        """)
    assert [(line, code) for line, code, _ in problems] == [
        (5, "unsupported"), (6, "unsupported"), (8, "syntax"), (11, "unknown-reference"),
        (12, "unsupported"), (14, "unknown-reference"), (15, "unsupported"),
        (16, "unsupported")]


def test_detection_of_dual_stack_configurations() -> None:
    h3c = "#\nsecurity-policy ipv6\n rule 0 name a\n  action pass\n"
    huawei = "#\nacl ipv6 number 3000\n rule 5 permit ipv6\n"
    assert detect_format(h3c) == "h3c"
    assert detect_format(huawei) == "huawei"
