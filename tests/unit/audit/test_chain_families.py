"""A base chain only sees the address families its table or ACL covers.

An nftables/iptables ``ip`` table never sees IPv6 packets (and ``ip6`` never IPv4): with no
``ip6`` table, IPv6 is forwarded unfiltered however strict the IPv4 policy. Zone-based security
policies and ASA's unified ACLs decide both families with one default action.
"""

from __future__ import annotations

import ipaddress
import shutil
from pathlib import Path

import pytest

from egovops.audit.engine import audit_firewall
from egovops.audit.firewall import chain_accepts
from egovops.firewall.analysis import space_for, verdict
from egovops.firewall.flatten import flatten
from egovops.firewall.model import Action
from egovops.firewall.packetset import Packet
from egovops.firewall.parsers import parse_config
from egovops.load import load_inventory

FW_SERIES = Path(__file__).resolve().parents[2] / "data" / "inventories" / "fw-series"
POLICIES = Path(__file__).resolve().parents[3] / "policies"

TCP = 6
V4 = Packet(4, ipaddress.ip_address("10.20.1.1"), ipaddress.ip_address("10.40.0.11"), TCP,
            sport=40000, dport=22)
V6 = Packet(6, ipaddress.ip_address("2001:db8:20::1"), ipaddress.ip_address("2001:db8:40::11"),
            TCP, sport=40000, dport=22)

DROP_FORWARD = """
table {family} filter {{
    chain forward {{
        type filter hook forward priority filter; policy drop;
        tcp dport 443 accept
    }}
}}
"""


def _accepts(text: str, fmt: str) -> tuple[bool, bool]:
    (chain,) = flatten(parse_config(text, "gw.conf", fmt))
    accepted = chain_accepts(chain, space_for([chain]))
    return V4 in accepted, V6 in accepted


@pytest.mark.parametrize(("family", "expected"), [
    ("ip", (False, True)),     # IPv6 never enters an ip table: it passes unfiltered
    ("ip6", (True, False)),
    ("inet", (False, False)),  # one policy for both
])
def test_nftables_table_family_decides_which_packets_the_policy_drops(
        family: str, expected: tuple[bool, bool]) -> None:
    assert _accepts(DROP_FORWARD.format(family=family), "nftables") == expected


def test_iptables_save_filters_ipv4_only() -> None:
    text = "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n"
    ruleset = parse_config(text, "rules.v4", "iptables")
    forward = next(c for c in flatten(ruleset) if c.hook == "forward")
    accepted = chain_accepts(forward, space_for([forward]))
    assert V4 not in accepted
    assert V6 in accepted


def test_huawei_security_policy_default_covers_both_families() -> None:
    text = """#
security-policy
 default action deny
 rule name web
  source-zone trust
  destination-zone untrust
  service https
  action permit
#
"""
    ruleset = parse_config(text, "usg.cfg", "huawei")
    (chain,) = (c for c in flatten(ruleset) if c.hook == "security-policy")
    assert chain.families is None
    accepted = chain_accepts(chain, space_for([chain]))
    assert V4 not in accepted and V6 not in accepted


def test_a_gateway_with_ipv6_addresses_and_an_ipv4_only_filter_is_default_allow_for_ipv6(
        tmp_path: Path) -> None:
    site = tmp_path / "site"
    shutil.copytree(FW_SERIES, site)
    devices = site / "devices.yaml"
    text = devices.read_text(encoding="utf-8")
    # fw-dmz gets an IPv6 address; its ruleset is an 'inet' table, fw-border's becomes 'ip'
    devices.write_text(text.replace("addresses: [10.50.0.2/24]",
                                    "addresses: [10.50.0.2/24, '2001:db8:50::2/64']")
                       .replace("addresses: [10.20.0.2/30]",
                                "addresses: [10.20.0.2/30, '2001:db8:20::2/64']"),
                       encoding="utf-8")
    border = site / "configs" / "fw-border.nft"
    border.write_text(border.read_text(encoding="utf-8").replace("table inet", "table ip"),
                      encoding="utf-8")
    result = audit_firewall(load_inventory(site), POLICIES)
    unfiltered = sorted(f.subject for f in result.findings
                        if f.check == "firewall.default-deny")
    assert unfiltered == ["fw-border:ipv6:default"]


def test_check_packet_skips_a_chain_of_the_other_family() -> None:
    text = DROP_FORWARD.format(family="ip") + DROP_FORWARD.format(family="ip6").replace(
        "table ip6 filter", "table ip6 filter6")
    chains = flatten(parse_config(text, "gw.conf", "nftables"))
    assert [c.family for c in chains] == ["ip", "ip6"]
    assert verdict(chains, V4)[1] is Action.DROP
    assert verdict(chains, V6)[1] is Action.DROP
    (v4_only,) = flatten(parse_config(DROP_FORWARD.format(family="ip"), "gw.conf", "nftables"))
    assert verdict([v4_only], V6) == (None, Action.ACCEPT)
