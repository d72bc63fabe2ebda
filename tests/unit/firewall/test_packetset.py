"""Packet sets: BDD operations against brute force over a tiny header space; boxes against BDDs."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from egovops.firewall.model import ConnState, IcmpMatch, Match, PortRange
from egovops.firewall.packetset import (
    HeaderSpace,
    NameDomain,
    Packet,
    PacketSet,
    conjunction_box,
    describe,
    example,
    match_box,
    matches,
    size,
)

from .tiny import matches as tiny_matches
from .tiny import tiny_space_matches, tiny_space_packets

N = ipaddress.ip_network
SETTINGS = settings(max_examples=20, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])
PACKETS = tiny_space_packets(states=True, interfaces=True)


def key(p: Packet) -> tuple[object, ...]:
    return (p.family, p.src, p.dst, p.proto, p.sport if p.has_ports else 0,
            p.dport if p.has_ports else 0, p.icmp_type if p.is_icmp else 0,
            p.icmp_code if p.is_icmp else 0, p.iif, p.oif, p.state)


def tiny(space: HeaderSpace) -> PacketSet:
    result = space.empty
    for m in tiny_space_matches(states=True):
        result = result | space.from_match(m)
    return result


def members(s: PacketSet, space: HeaderSpace) -> set[tuple[object, ...]]:
    return {key(p) for p in (s & tiny(space)).packets()}


def brute(pred: object) -> set[tuple[object, ...]]:
    return {key(p) for p in PACKETS if pred(p)}  # type: ignore[operator]


def test_tiny_space_is_what_the_helpers_enumerate() -> None:
    space = HeaderSpace(["eth0"])
    assert tiny(space).size() == len(PACKETS)
    assert members(space.universe, space) == {key(p) for p in PACKETS}


@SETTINGS
@given(tiny_matches(states=True, interfaces=True), tiny_matches(states=True, interfaces=True))
def test_set_operations_agree_with_brute_force(a: Match, b: Match) -> None:
    space = HeaderSpace(["eth0"])
    sa, sb = space.from_match(a), space.from_match(b)
    in_a = brute(lambda p: matches(a, p))
    in_b = brute(lambda p: matches(b, p))
    assert members(sa, space) == in_a
    assert members(sa | sb, space) == in_a | in_b
    assert members(sa & sb, space) == in_a & in_b
    assert members(sa - sb, space) == in_a - in_b
    assert members(~sa, space) == {key(p) for p in PACKETS} - in_a
    assert (sa & tiny(space)).size() == len(in_a)
    assert (sa & sb & tiny(space)).is_empty == (not in_a & in_b)
    assert (sa | sb) == (sb | sa)
    assert ((sa & tiny(space)) <= (sb & tiny(space))) == (in_a <= in_b)
    inside = sa & tiny(space)
    if not inside.is_empty:
        packet = inside.example()
        assert packet is not None
        assert matches(a, packet)
        assert packet in sa
    for p in PACKETS[::97]:
        assert (p in sa) == matches(a, p)


@SETTINGS
@given(tiny_matches(states=True, interfaces=True), tiny_matches(states=True, interfaces=True))
def test_boxes_agree_with_bdds(a: Match, b: Match) -> None:
    space = HeaderSpace(["eth0"])
    ba, bb = match_box(space, a), match_box(space, b)
    na, nb = space.match_node(a), space.match_node(b)
    if ba is None or bb is None:
        return
    assert ba.node() == na
    assert ba.is_empty == (na == space.false)
    assert ba.overlaps(bb) == ((na & nb) != space.false)
    assert (ba <= bb) == ((na & ~nb) == space.false)
    assert ba.overlap_test()(bb) == ba.overlaps(bb) == bb.overlap_test()(ba)
    assert ba.superset_test()(bb) == (bb <= ba)
    assert bb.superset_test()(ba) == (ba <= bb)
    assert (ba & bb).node() == (na & nb)
    pieces = ba.subtract(bb)
    if ba.overlaps(bb):
        assert ba.cut(bb) == pieces
    union = space.false
    for piece in pieces:
        assert (union & piece.node()) == space.false  # disjoint
        union = union | piece.node()
    assert union == (na & ~nb)
    reduced = ba.minus(bb)
    if reduced is not None:
        assert reduced.node() == (na & ~nb)
    if not ba.is_empty:
        sample = ba.example()
        assert sample is not None
        assert matches(a, sample)
        for point in ba.points(4, 0):
            assert ba.contains_point(point)
            assert matches(a, ba.packet(point))


@SETTINGS
@given(st.lists(tiny_matches(), min_size=1, max_size=3), st.lists(tiny_matches(), max_size=2))
def test_conjunction_with_exclusions(conjuncts: list[Match], excluded: list[Match]) -> None:
    space = HeaderSpace(["eth0"])
    node = space.conjunction_node(conjuncts, excluded)
    expected = brute(lambda p: all(matches(m, p) for m in conjuncts)
                     and not any(matches(m, p) for m in excluded))
    assert members(space.wrap(node), space) == expected
    box = conjunction_box(space, conjuncts, excluded)
    if box is not None:
        assert box.node() == node


def test_sizes_are_exact_integers() -> None:
    space = HeaderSpace()
    web = space.from_match(Match(src=(N("10.20.0.0/16"),), protocols=(6,),
                                 dports=(PortRange(80, 80), PortRange(443, 443))))
    # sources 2^16, destinations 2^32, source ports 2^16, 2 destination ports, 5 states,
    # interfaces and zones: one "other" class each
    assert web.size() == 2**16 * 2**32 * 2**16 * 2 * 5
    assert size(web) == web.size()
    icmp = space.from_match(Match(icmp=(IcmpMatch(8),)))
    assert icmp.size() == 2**32 * 2**32 * 256 * 5
    v6_any = space.from_match(Match(family=6))
    # per packet class: ports only for tcp/udp/sctp, ICMP fields only for ICMPv6
    expected = 2**256 * 5 * (3 * 2**32 + 2**16 + 252)
    assert v6_any.size() == expected
    assert space.empty.size() == 0


def test_example_and_describe() -> None:
    space = HeaderSpace()
    web = space.from_match(Match(src=(N("10.20.0.0/16"),), protocols=(6,),
                                 dports=(PortRange(80, 80), PortRange(443, 443))))
    assert describe(web) == "tcp/80,443 from 10.20.0.0/16 to any"
    packet = example(web)
    assert packet is not None
    assert packet.proto == 6
    assert packet.dport in (80, 443)
    assert packet.src in N("10.20.0.0/16")
    assert describe(space.empty) == "nothing"
    assert describe(space.universe) == "any packet"
    not_ten = space.from_match(Match(dst=(N("10.0.0.0/8"),), dst_negated=True))
    assert describe(not_ten) == "any from any to not 10.0.0.0/8"
    states = space.from_match(Match(states=frozenset({ConnState.ESTABLISHED})))
    assert describe(states) == "any from any to any state established"
    assert str(packet).startswith("tcp 10.20.")


def test_interface_wildcards() -> None:
    domain = NameDomain(["eth0", "eth+", "eth1*", "lo"])
    assert domain.code("eth0") != domain.code("eth7")
    assert domain.code("eth7") == domain.code("eth8")
    assert domain.code("eth12") != domain.code("eth7")
    assert domain.code("wlan0") == 0
    assert domain.codes("eth+") == {domain.code(n) for n in ("eth0", "eth7", "eth12")}
    for code in range(domain.size):
        name = domain.name(code)
        assert domain.code(name) == code
    space = HeaderSpace(["eth0", "eth+", "eth1*"])
    eth_any = space.from_match(Match(in_interfaces=("eth+",)))
    assert Packet(4, ipaddress.IPv4Address(1), ipaddress.IPv4Address(2), 6,
                  iif="eth42") in eth_any
    assert Packet(4, ipaddress.IPv4Address(1), ipaddress.IPv4Address(2), 6,
                  iif="wlan0") not in eth_any


def test_contradictions_are_empty() -> None:
    space = HeaderSpace()
    assert space.from_match(Match(protocols=(1,), dports=(PortRange(80, 80),))).is_empty
    assert space.from_match(Match(family=6, src=(N("10.0.0.0/8"),))).is_empty
    assert space.from_match(Match(protocols=(6,), icmp=(IcmpMatch(8),))).is_empty
    assert not space.from_match(Match(protocols=(6,), protocols_negated=True)).is_empty


def test_sets_of_different_spaces_do_not_mix() -> None:
    with pytest.raises(ValueError, match="different header spaces"):
        _ = HeaderSpace().universe | HeaderSpace().universe


def test_packet_validation() -> None:
    with pytest.raises(ValueError, match="not IPv6"):
        Packet(6, ipaddress.IPv4Address(1), ipaddress.IPv4Address(2), 6)
    with pytest.raises(ValueError, match="bad port"):
        Packet(4, ipaddress.IPv4Address(1), ipaddress.IPv4Address(2), 6, dport=70000)
