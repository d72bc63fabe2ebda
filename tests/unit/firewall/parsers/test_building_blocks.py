"""Shared pieces of the parsers: addresses, ports, services, the configuration tree."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from egovops.firewall.model import IcmpMatch, Match, PortRange
from egovops.firewall.parsers import addresses, ports
from egovops.firewall.parsers.config_tree import parse_tree
from egovops.firewall.parsers.services import PREDEFINED_SERVICES, Service, service_matches


@given(st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1))
def test_wildcard_expansion_matches_exactly_the_wildcard(base: int, mask: int,
                                                         probe: int) -> None:
    mask &= 0xFF0000FF  # scattered bits in the first octet, a contiguous run in the last
    addr, wild = str(ipaddress.IPv4Address(base)), str(ipaddress.IPv4Address(mask))
    try:
        prefixes = addresses.wildcard(addr, wild)
    except ValueError:
        return
    wanted = (probe & ~mask) == (base & ~mask)
    found = any(ipaddress.IPv4Address(probe) in p for p in prefixes)
    assert found == wanted


@pytest.mark.parametrize(("mask", "length"), [
    ("255.255.255.0", 24), ("255.255.0.0", 16), ("0.0.0.0", 0), ("255.255.255.255", 32),
    ("24", 24),
])
def test_netmask_length(mask: str, length: int) -> None:
    assert addresses.netmask_length(mask) == length


def test_non_contiguous_netmask_is_refused() -> None:
    with pytest.raises(ValueError, match="not a contiguous netmask"):
        addresses.netmask_length("255.0.255.0")


def test_address_range_is_summarised() -> None:
    assert [str(n) for n in addresses.address_range("10.20.1.20", "10.20.1.30")] == [
        "10.20.1.20/30", "10.20.1.24/30", "10.20.1.28/31", "10.20.1.30/32"]
    with pytest.raises(ValueError, match="backwards"):
        addresses.address_range("10.0.0.9", "10.0.0.1")


@pytest.mark.parametrize(("name", "number"), [
    ("www", 80), ("http", 80), ("https", 443), ("telnet", 23), ("ssh", 22), ("domain", 53),
    ("snmp", 161), ("ftp", 21), ("8443", 8443),
])
def test_port_names(name: str, number: int) -> None:
    assert ports.port_number(name) == number


def test_port_operator_edges() -> None:
    assert ports.port_operator("lt", ["1024"]) == ((PortRange(0, 1023),), False)
    assert ports.port_operator("neq", ["23"]) == ((PortRange(23, 23),), True)
    with pytest.raises(ValueError):
        ports.port_operator("gt", ["65535"])
    with pytest.raises(ValueError):
        ports.port_number("70000")


def test_icmp_names_per_vendor() -> None:
    assert ports.icmp_match("echo") == IcmpMatch(8)
    assert ports.icmp_match("echo-request") == IcmpMatch(8)
    assert ports.icmp_match("3/4") == IcmpMatch(3, 4)
    assert ports.icmp_match("nd-neighbor-solicit", 6) == IcmpMatch(135, None, 6)


def test_service_matches_stay_exact() -> None:
    base = Match()
    matches = service_matches(base, [*PREDEFINED_SERVICES["http"],
                                     *PREDEFINED_SERVICES["dns"],
                                     *PREDEFINED_SERVICES["ntp"]])
    shapes = sorted((m.protocols, tuple(str(p) for p in m.dports)) for m in matches)
    assert shapes == [((6,), ("53", "80")), ((17,), ("53", "123"))]
    assert service_matches(base, [Service(6), Service(None)]) == [base]
    tcp_any = service_matches(base, [Service(6), Service(6, dports=(PortRange(22, 22),))])
    assert [(m.protocols, m.dports) for m in tcp_any] == [((6,), ())]


def test_config_tree_nests_by_indentation_and_drops_separators() -> None:
    tree = parse_tree("#\nsecurity-policy\n rule name a\n  action permit\n#\nreturn\n", "#")
    policy, end = tree
    assert (policy.line, policy.text, end.text) == (2, "security-policy", "return")
    (rule,) = policy.children
    assert rule.rest(2) == "a"
    assert rule.children[0].words[1].column == 10
