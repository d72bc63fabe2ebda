"""A tiny header space for brute-force checks, and hypothesis strategies for matches in it.

Rules built here only mention addresses inside 10.0.0.0/29, destination ports 0-7, tcp/udp/icmp
and ICMP types 0 and 8, so every packet outside those values behaves like one representative:
:func:`representatives` enumerates one packet per equivalence class, which makes an exhaustive
first-match evaluation over them exact for questions of emptiness (shadowing, redundancy, verdict
changes) over the whole header space.
"""

from __future__ import annotations

import ipaddress
import itertools

from hypothesis import strategies as st

from egovops.firewall.model import (
    Action,
    Chain,
    ConnState,
    IcmpMatch,
    Match,
    PortRange,
    Rule,
    Ruleset,
    SourceRef,
)
from egovops.firewall.packetset import Packet

BASE = int(ipaddress.IPv4Address("10.0.0.0"))
V4 = [ipaddress.IPv4Address(BASE + i) for i in range(9)]  # 10.0.0.8 stands for "outside"
V6 = ipaddress.IPv6Address("2001:db8::1")
TCP, UDP, ICMP, GRE, SCTP = 6, 17, 1, 47, 132


def prefixes() -> st.SearchStrategy[ipaddress.IPv4Network]:
    return st.builds(
        lambda length, offset: ipaddress.IPv4Network(
            (BASE + (offset >> (32 - length) << (32 - length)), length)
        ),
        st.integers(29, 32),
        st.integers(0, 7),
    )


def port_ranges() -> st.SearchStrategy[PortRange]:
    return st.tuples(st.integers(0, 7), st.integers(0, 7)).map(
        lambda t: PortRange(min(t), max(t))
    )


@st.composite
def matches(draw: st.DrawFn, states: bool = False, interfaces: bool = False) -> Match:
    """A random match inside the tiny space (sometimes contradictory, on purpose)."""
    kind = draw(st.sampled_from(["any", "tcp", "udp", "tcpudp", "icmp", "proto", "noports"]))
    fields: dict[str, object] = {}
    if kind in ("tcp", "udp", "tcpudp"):
        fields["protocols"] = {"tcp": (TCP,), "udp": (UDP,), "tcpudp": (TCP, UDP)}[kind]
        if draw(st.booleans()):
            fields["dports"] = tuple(draw(st.lists(port_ranges(), min_size=1, max_size=2)))
            fields["dports_negated"] = draw(st.booleans())
    elif kind == "icmp":
        fields["icmp"] = tuple(
            IcmpMatch(t) for t in draw(st.lists(st.sampled_from([0, 8]), min_size=1,
                                                max_size=2, unique=True))
        )
    elif kind == "proto":
        fields["protocols"] = tuple(draw(st.lists(st.sampled_from([TCP, UDP, ICMP]), min_size=1,
                                                  max_size=2, unique=True)))
        fields["protocols_negated"] = draw(st.booleans())
    elif kind == "noports":
        # ports without protocol: implies tcp/udp/sctp
        fields["dports"] = (draw(port_ranges()),)
    for side in ("src", "dst"):
        if draw(st.booleans()):
            fields[side] = tuple(draw(st.lists(prefixes(), min_size=1, max_size=2)))
            fields[f"{side}_negated"] = draw(st.integers(0, 4)) == 0
    if states and draw(st.booleans()):
        fields["states"] = frozenset(draw(st.lists(
            st.sampled_from([ConnState.NEW, ConnState.ESTABLISHED]), min_size=1, max_size=2)))
    if interfaces and draw(st.booleans()):
        fields["in_interfaces"] = ("eth0",)
        fields["in_interfaces_negated"] = draw(st.booleans())
    if draw(st.integers(0, 9)) == 0:
        fields["family"] = draw(st.sampled_from([4, 6]))
    return Match(**fields)  # type: ignore[arg-type]


def tiny_space_packets(states: bool = False, interfaces: bool = False) -> list[Packet]:
    """Every packet of the tiny space: IPv4, source in 10.0.0.0/29, destination in
    10.0.0.0/30, source port 1, tcp/udp with destination port 0-7, ICMP types 0/8 code 0
    (optionally both states, in eth0 or other)."""
    out = []
    state_values = [ConnState.NEW, ConnState.ESTABLISHED] if states else [ConnState.NEW]
    iifs: list[str | None] = ["eth0", None] if interfaces else [None]
    for src, dst, state, iif in itertools.product(V4[:8], V4[:4], state_values, iifs):
        for proto in (TCP, UDP):
            for dport in range(8):
                out.append(Packet(4, src, dst, proto, 1, dport, state=state, iif=iif))
        for icmp_type in (0, 8):
            out.append(Packet(4, src, dst, ICMP, icmp_type=icmp_type, state=state, iif=iif))
    return out


def tiny_space_matches(states: bool = False) -> list[Match]:
    """Matches whose union is exactly the tiny space (input interface left free; output
    interface "other")."""
    state_set = frozenset({ConnState.NEW, ConnState.ESTABLISHED} if states else {ConnState.NEW})
    common = {"src": (ipaddress.IPv4Network("10.0.0.0/29"),),
              "dst": (ipaddress.IPv4Network("10.0.0.0/30"),), "states": state_set,
              "out_interfaces": ("eth0",), "out_interfaces_negated": True}
    return [
        Match(protocols=(TCP, UDP), sports=(PortRange(1, 1),), dports=(PortRange(0, 7),),
              **common),  # type: ignore[arg-type]
        Match(icmp=(IcmpMatch(0, 0), IcmpMatch(8, 0)), **common),  # type: ignore[arg-type]
    ]


def representatives() -> list[Packet]:
    """One packet per class of packets the tiny rules cannot tell apart."""
    out = []
    for src, dst in itertools.product(V4, V4):
        for proto in (TCP, UDP, SCTP):
            for dport in range(9):
                out.append(Packet(4, src, dst, proto, 1, dport))
        for icmp_type in (0, 8, 3):
            out.append(Packet(4, src, dst, ICMP, icmp_type=icmp_type))
        out.append(Packet(4, src, dst, GRE))
    for proto in (TCP, UDP, SCTP):
        for dport in range(9):
            out.append(Packet(6, V6, V6, proto, 1, dport))
    out.append(Packet(6, V6, V6, ICMP))
    out.append(Packet(6, V6, V6, 58, icmp_type=8))
    out.append(Packet(6, V6, V6, GRE))
    return out


def chain(rules: list[tuple[Match, Action]], policy: Action = Action.DROP,
          name: str = "input") -> Ruleset:
    """A ruleset of one base chain."""
    built = tuple(
        Rule(m, a, source=SourceRef("test.rules", n + 1)) for n, (m, a) in enumerate(rules)
    )
    return Ruleset((Chain(name, built, hook="input", policy=policy),), "test", "test.rules")
