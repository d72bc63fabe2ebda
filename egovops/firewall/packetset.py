"""Exact packet sets over the whole header space, as binary decision diagrams (BDDs).

The ruleset analysis (:mod:`egovops.firewall.analysis`) asks questions about *all* packets at once
("is every packet of rule 7 already decided by rules 1-6?"), so it needs sets of packets that are
exact, closed under union, intersection and difference, and cheap to test for emptiness. A
:class:`HeaderSpace` lays the header fields out as BDD variables; a :class:`PacketSet` is one BDD
over them.

Header space (one packet = one assignment of every field):

====================  ==========  ==============================================================
field                 bits        meaning
====================  ==========  ==============================================================
family                1           0 = IPv4, 1 = IPv6
in/out interface      ceil(log2)  symbolic: every name the ruleset uses, one class per wildcard
                                  prefix (``eth+``, ``eth*``) and "other" (``None`` in packets)
src/dst zone          ceil(log2)  symbolic: every zone name used, and "other"
conntrack state       3           the five :class:`~egovops.firewall.model.ConnState` values
protocol              8           IP protocol number
ICMP type, code       8 + 8       only for ICMP (IPv4, proto 1) and ICMPv6 (IPv6, proto 58)
dst address, port     128 + 16    IPv4 uses the top 32 address bits; ports only for tcp/udp/sctp
src address, port     128 + 16
====================  ==========  ==============================================================

The variable order is the table's order: small symbolic fields first (rules are often grouped by
interface or state, so those split early), then protocol, then destination before source, each
address followed by its port. Prefixes and aligned port blocks are cubes, so a rule's set is a
small BDD and unions of realistic rules stay compact.

Fields that mean nothing for a packet (the low 96 address bits of IPv4 packets, the ports of
protocols without ports, the ICMP type and code of non-ICMP packets) are left *free* in every
set: no condition ever constrains them, so each set is a cylinder along them and they cost no BDD
nodes (pinning them to zero would add a 96-node chain below every distinct prefix of a union).
:meth:`PacketSet.size` divides them out per packet class and counts real packets exactly (a
Python ``int``, not the float CUDD returns); :meth:`PacketSet.example` and
:meth:`PacketSet.packets` set them to zero. The *universe* (every valid packet) only excludes the
unused codes of the symbolic fields; complements are taken within it.

Matching semantics (the same in :func:`matches`, which evaluates one concrete packet in plain
Python, and in :meth:`HeaderSpace.from_match`): a Match is a conjunction; an address prefix only
matches its own family, and a negated address list (``! -s 10.0.0.0/8``) only matches packets of
the families its prefixes belong to; a port condition, negated or not, implies tcp/udp/sctp; an
ICMP type implies ICMP of its version; an interface condition never matches ``None``.

The BDD engine is CUDD through ``dd.cudd``; when that binding is missing the pure-Python
``dd.autoref`` is used (same results, slower).

:class:`Box` is the same semantics for the common special case of a product set (one value set
per field), in plain integer arithmetic; the analysis uses boxes where they are exact and BDDs
for everything else (see the comment above :class:`Box`).
"""

from __future__ import annotations

import ipaddress
import math
import random
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from egovops.firewall.model import (
    PROTOCOLS,
    ConnState,
    IcmpMatch,
    IPNetwork,
    Match,
    PortRange,
)

try:  # pragma: no cover - depends on the installed wheel
    from dd import cudd as _bdd_backend

    BACKEND = "cudd"
except ImportError:  # pragma: no cover
    from dd import autoref as _bdd_backend

    BACKEND = "autoref"

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

PORT_PROTOCOLS: frozenset[int] = frozenset({6, 17, 132})
"""Protocols whose packets carry source and destination ports: tcp, udp, sctp."""
ICMP4 = 1
ICMP6 = 58
STATES: tuple[ConnState, ...] = tuple(ConnState)
"""Conntrack states in their encoding order."""
_PROTOCOL_NAMES: dict[int, str] = {}
for _name, _number in PROTOCOLS.items():
    _PROTOCOL_NAMES.setdefault(_number, _name)

_ADDR_BITS = 128
_FAMILY_OF = {4: frozenset({4}), 6: frozenset({6})}
_V4_BITS = 32
_WILDCARDS = ("+", "*")


@dataclass(frozen=True)
class Packet:
    """One concrete packet: what ``check-packet`` evaluates and what findings show as example.

    ``sport``/``dport`` only mean something for tcp, udp and sctp, ``icmp_type``/``icmp_code``
    only for ICMP of the packet's family; they are ignored otherwise. An interface or zone of
    ``None`` is one the ruleset does not name.
    """

    family: int
    src: IPAddress
    dst: IPAddress
    proto: int
    sport: int = 0
    dport: int = 0
    icmp_type: int = 0
    icmp_code: int = 0
    iif: str | None = None
    oif: str | None = None
    src_zone: str | None = None
    dst_zone: str | None = None
    state: ConnState = ConnState.NEW

    def __post_init__(self) -> None:
        if self.family not in (4, 6):
            raise ValueError(f"family must be 4 or 6, not {self.family}")
        if self.src.version != self.family or self.dst.version != self.family:
            raise ValueError(f"addresses {self.src}, {self.dst} are not IPv{self.family}")
        if not 0 <= self.proto <= 255:
            raise ValueError(f"bad protocol {self.proto}")
        for port in (self.sport, self.dport):
            if not 0 <= port <= 65535:
                raise ValueError(f"bad port {port}")
        for value in (self.icmp_type, self.icmp_code):
            if not 0 <= value <= 255:
                raise ValueError(f"bad ICMP type/code {value}")

    @property
    def has_ports(self) -> bool:
        """Whether the protocol carries ports."""
        return self.proto in PORT_PROTOCOLS

    @property
    def is_icmp(self) -> bool:
        """Whether this is ICMP of its own family (so type and code apply)."""
        return self.proto == (ICMP4 if self.family == 4 else ICMP6)

    def __str__(self) -> str:
        proto = _PROTOCOL_NAMES.get(self.proto, str(self.proto))
        if self.has_ports:
            text = f"{proto} {_endpoint(self.src, self.sport)} -> {_endpoint(self.dst, self.dport)}"
        else:
            text = f"{proto} {self.src} -> {self.dst}"
            if self.is_icmp:
                text += f" type {self.icmp_type} code {self.icmp_code}"
        extras = [f"state {self.state}"]
        if self.iif is not None:
            extras.append(f"in {self.iif}")
        if self.oif is not None:
            extras.append(f"out {self.oif}")
        if self.src_zone is not None or self.dst_zone is not None:
            extras.append(f"zone {self.src_zone or 'other'}->{self.dst_zone or 'other'}")
        return f"{text} ({', '.join(extras)})"


def _endpoint(address: IPAddress, port: int) -> str:
    return f"[{address}]:{port}" if address.version == 6 else f"{address}:{port}"


# ---------------------------------------------------------------------------------------------
# Concrete evaluation (plain Python): the reference semantics, used by decide() and the tests.


def interface_matches(pattern: str, name: str | None) -> bool:
    """Whether interface ``name`` matches ``pattern`` (``eth+``/``eth*`` are prefix wildcards)."""
    if name is None:
        return False
    if pattern.endswith(_WILDCARDS):
        return name.startswith(pattern[:-1])
    return name == pattern


def _in_prefixes(address: IPAddress, prefixes: Sequence[IPNetwork]) -> bool:
    return any(net.version == address.version and address in net for net in prefixes)


def _address_matches(prefixes: Sequence[IPNetwork], negated: bool, address: IPAddress) -> bool:
    if not prefixes:
        return True
    inside = _in_prefixes(address, prefixes)
    if negated:
        return address.version in {net.version for net in prefixes} and not inside
    return inside


def _port_matches(ranges: Sequence[PortRange], negated: bool, packet: Packet, port: int) -> bool:
    if not ranges:
        return True
    if not packet.has_ports:
        return False
    inside = any(r.lo <= port <= r.hi for r in ranges)
    return inside != negated


def _icmp_matches(icmp: IcmpMatch, packet: Packet) -> bool:
    return (
        packet.family == icmp.version
        and packet.is_icmp
        and packet.icmp_type == icmp.type
        and (icmp.code is None or packet.icmp_code == icmp.code)
    )


def matches(match: Match, packet: Packet) -> bool:
    """Whether ``packet`` satisfies every condition of ``match`` (see the module docstring)."""
    if match.family is not None and packet.family != match.family:
        return False
    if match.protocols and (packet.proto in match.protocols) == match.protocols_negated:
        return False
    if not _address_matches(match.src, match.src_negated, packet.src):
        return False
    if not _address_matches(match.dst, match.dst_negated, packet.dst):
        return False
    if not _port_matches(match.sports, match.sports_negated, packet, packet.sport):
        return False
    if not _port_matches(match.dports, match.dports_negated, packet, packet.dport):
        return False
    if match.icmp and not any(_icmp_matches(i, packet) for i in match.icmp):
        return False
    if match.in_interfaces and (
        any(interface_matches(p, packet.iif) for p in match.in_interfaces)
        == match.in_interfaces_negated
    ):
        return False
    if match.out_interfaces and (
        any(interface_matches(p, packet.oif) for p in match.out_interfaces)
        == match.out_interfaces_negated
    ):
        return False
    if match.src_zones and packet.src_zone not in match.src_zones:
        return False
    if match.dst_zones and packet.dst_zone not in match.dst_zones:
        return False
    return not (match.states and packet.state not in match.states)


# ---------------------------------------------------------------------------------------------
# Symbolic domains for interface and zone names.


class NameDomain:
    """A finite encoding of names: code 0 is "other" (``None``), then every literal name, then
    one class per wildcard prefix (names starting with it that are neither literal nor inside a
    longer wildcard prefix). Exact for literal and prefix-wildcard conditions.
    """

    def __init__(self, patterns: Iterable[str]) -> None:
        literals: set[str] = set()
        prefixes: set[str] = set()
        for pattern in patterns:
            if pattern.endswith(_WILDCARDS):
                prefixes.add(pattern[:-1])
            else:
                literals.add(pattern)
        self.literals: tuple[str, ...] = tuple(sorted(literals))
        self.prefixes: tuple[str, ...] = tuple(sorted(prefixes))
        self.size = 1 + len(self.literals) + len(self.prefixes)
        self.bits = max(1, math.ceil(math.log2(self.size)))
        self._literal_code = {name: 1 + i for i, name in enumerate(self.literals)}
        self._prefix_code = {p: 1 + len(self.literals) + i for i, p in enumerate(self.prefixes)}
        self._by_length = sorted(self.prefixes, key=len, reverse=True)

    def code(self, name: str | None) -> int:
        """The code of a concrete name."""
        if name is None:
            return 0
        if name in self._literal_code:
            return self._literal_code[name]
        for prefix in self._by_length:
            if name.startswith(prefix):
                return self._prefix_code[prefix]
        return 0

    def codes(self, pattern: str) -> frozenset[int]:
        """Codes of every class the pattern (literal or ``prefix+``/``prefix*``) matches."""
        if not pattern.endswith(_WILDCARDS):
            return frozenset({self.code(pattern)}) if pattern in self._literal_code else frozenset()
        prefix = pattern[:-1]
        found = {c for name, c in self._literal_code.items() if name.startswith(prefix)}
        found |= {c for p, c in self._prefix_code.items() if p.startswith(prefix)}
        return frozenset(found)

    def name(self, code: int) -> str | None:
        """A concrete name in class ``code`` (``None`` for "other")."""
        if code == 0 or code >= self.size:
            return None
        if code <= len(self.literals):
            return self.literals[code - 1]
        prefix = self.prefixes[code - 1 - len(self.literals)]
        for suffix in ("0", "1", "x", "_0", "-x", "_other"):
            if self.code(prefix + suffix) == code:
                return prefix + suffix
        candidate = prefix + "_"
        while self.code(candidate) != code:  # pragma: no cover - pathological name sets
            candidate += "_"
        return candidate

    def label(self, code: int) -> str:
        """How a class is shown in descriptions: the name, ``eth+`` for a wildcard, ``other``."""
        if code == 0 or code >= self.size:
            return "other"
        if code <= len(self.literals):
            return self.literals[code - 1]
        return self.prefixes[code - 1 - len(self.literals)] + "+"


# ---------------------------------------------------------------------------------------------
# The header space.


@dataclass(frozen=True)
class _Field:
    key: str
    names: tuple[str, ...]
    start: int
    """Level of the most significant bit."""

    @property
    def width(self) -> int:
        return len(self.names)


_ORDER = (
    "family", "iif", "oif", "src_zone", "dst_zone", "state", "proto", "icmp_type", "icmp_code",
    "dst", "dport", "src", "sport",
)
_PREFIXES = {
    "family": "fa", "iif": "ii", "oif": "oi", "src_zone": "sz", "dst_zone": "dz", "state": "st",
    "proto": "pr", "icmp_type": "it", "icmp_code": "ic", "dst": "da", "dport": "dp", "src": "sa",
    "sport": "sp",
}


def _collect_names(matches: Iterable[Match]) -> tuple[list[str], list[str]]:
    interfaces: list[str] = []
    zones: list[str] = []
    for match in matches:
        interfaces.extend(match.in_interfaces)
        interfaces.extend(match.out_interfaces)
        zones.extend(match.src_zones)
        zones.extend(match.dst_zones)
    return interfaces, zones


class HeaderSpace:
    """The BDD variables of the header space, with builders and caches for packet sets.

    One space per analysis: every set compared with another must come from the same space. The
    interface and zone domains are fixed at construction, so build the space from every match
    the analysis will see (:meth:`for_matches`).
    """

    def __init__(self, interfaces: Iterable[str] = (), zones: Iterable[str] = ()) -> None:
        self.interfaces = NameDomain(interfaces)
        self.zones = NameDomain(zones)
        bdd = _bdd_backend.BDD()
        bdd.configure(reordering=False)
        self.bdd: Any = bdd
        widths = {
            "family": 1, "iif": self.interfaces.bits, "oif": self.interfaces.bits,
            "src_zone": self.zones.bits, "dst_zone": self.zones.bits, "state": 3, "proto": 8,
            "icmp_type": 8, "icmp_code": 8, "dst": _ADDR_BITS, "dport": 16, "src": _ADDR_BITS,
            "sport": 16,
        }
        self.fields: dict[str, _Field] = {}
        level = 0
        for key in _ORDER:
            names = tuple(f"{_PREFIXES[key]}{i}" for i in range(widths[key]))
            bdd.declare(*names)
            self.fields[key] = _Field(key, names, level)
            level += len(names)
        self.nvars = level
        self.names_by_level: tuple[str, ...] = tuple(
            n for key in _ORDER for n in self.fields[key].names
        )
        self._field_at: list[tuple[_Field, int]] = []
        for key in _ORDER:
            f = self.fields[key]
            self._field_at.extend((f, i) for i in range(f.width))
        self._literals: list[tuple[Any, Any]] = []
        for name in self.names_by_level:
            var = bdd.var(name)
            self._literals.append((~var, var))
        self._cube_cache: dict[tuple[str, int, int], Any] = {}
        self._range_cache: dict[tuple[str, int, int], Any] = {}
        self._codes_cache: dict[tuple[str, frozenset[int]], Any] = {}
        self._match_cache: dict[int, tuple[Match, Any]] = {}
        """id(match) -> (match, node): hashing a Match hashes every prefix, in Python; the
        match is kept so its id cannot be reused."""
        self._conj_cache: dict[tuple[tuple[Match, ...], tuple[Match, ...]], Any] = {}
        self.false: Any = bdd.false
        self.true: Any = bdd.true
        self._fam4 = ~bdd.var("fa0")
        self._fam6 = bdd.var("fa0")
        self._portproto = self._codes("proto", PORT_PROTOCOLS)
        self._icmpproto = (self._fam4 & self._value("proto", ICMP4)) | (
            self._fam6 & self._value("proto", ICMP6)
        )
        self.universe_node: Any = self._build_universe()

    @classmethod
    def for_matches(cls, matches: Iterable[Match]) -> HeaderSpace:
        """A space whose interface and zone domains cover every name in ``matches``."""
        interfaces, zones = _collect_names(matches)
        return cls(interfaces, zones)

    # -- low-level builders (BDD nodes) -------------------------------------------------------

    def _value(self, key: str, value: int, length: int | None = None) -> Any:
        """The cube fixing the top ``length`` bits of field ``key`` to those of ``value``.

        Built bottom-up from literals (each AND adds one node on top): ``BDD.cube`` walks every
        declared variable in Python and costs more than the whole cube.
        """
        f = self.fields[key]
        n = f.width if length is None else length
        cache_key = (key, value, n)
        node = self._cube_cache.get(cache_key)
        if node is None:
            node = self.true
            literals = self._literals
            width = f.width
            for i in range(n - 1, -1, -1):
                node = literals[f.start + i][(value >> (width - 1 - i)) & 1] & node
            self._cube_cache[cache_key] = node
        return node

    def _range(self, key: str, lo: int, hi: int) -> Any:
        """Values ``lo..hi`` of field ``key``, as an OR of aligned blocks."""
        cache_key = (key, lo, hi)
        node = self._range_cache.get(cache_key)
        if node is None:
            width = self.fields[key].width
            node = self.false
            for value, length in _aligned_blocks(lo, hi, width):
                node = node | self._value(key, value, length)
            self._range_cache[cache_key] = node
        return node

    def _codes(self, key: str, codes: frozenset[int]) -> Any:
        cache_key = (key, codes)
        node = self._codes_cache.get(cache_key)
        if node is None:
            node = self.false
            for code in sorted(codes):
                node = node | self._value(key, code)
            self._codes_cache[cache_key] = node
        return node

    def _family(self, families: frozenset[int]) -> Any:
        if families == frozenset({4}):
            return self._fam4
        if families == frozenset({6}):
            return self._fam6
        return self.true if families else self.false

    def _prefix_bits(self, key: str, net: IPNetwork) -> Any:
        """The address bits of ``net`` in field ``key`` (the family is not included)."""
        value = int(net.network_address)
        if net.version == 4:
            value <<= _ADDR_BITS - _V4_BITS
        return self._value(key, value, net.prefixlen)

    def _addresses(
        self, key: str, prefixes: Sequence[IPNetwork], negated: bool
    ) -> tuple[Any, frozenset[int]]:
        """The address condition, and the families it restricts packets to.

        When every prefix has the same family the BDD holds only address bits and the family
        is returned for the caller to add once; mixed lists carry their families inside.
        """
        if len(prefixes) == 1:
            node = self._prefix_bits(key, prefixes[0])
            return (~node if negated else node), _FAMILY_OF[prefixes[0].version]
        families = frozenset(net.version for net in prefixes)
        node = self.false
        for net in prefixes:
            bits = self._prefix_bits(key, net)
            if len(families) > 1:
                bits = (self._fam4 if net.version == 4 else self._fam6) & bits
            node = node | bits
        return (~node if negated else node), families

    def _ports(self, key: str, ranges: Sequence[PortRange], negated: bool) -> Any:
        node = self.false
        for r in ranges:
            node = node | self._range(key, r.lo, r.hi)
        return ~node if negated else node

    def _icmp(self, icmp: IcmpMatch) -> Any:
        node = self._value("icmp_type", icmp.type)
        if icmp.code is not None:
            node = node & self._value("icmp_code", icmp.code)
        return node & self._value("proto", ICMP4 if icmp.version == 4 else ICMP6)

    def _names(self, key: str, domain: NameDomain, patterns: Sequence[str]) -> Any:
        codes: set[int] = set()
        for pattern in patterns:
            codes |= domain.codes(pattern)
        return self._codes(key, frozenset(codes))

    def _build_universe(self) -> Any:
        universe = self._range("state", 0, len(STATES) - 1)
        for key, domain in (("iif", self.interfaces), ("oif", self.interfaces),
                            ("src_zone", self.zones), ("dst_zone", self.zones)):
            universe &= self._range(key, 0, domain.size - 1)
        return universe

    def classes(self) -> Iterator[tuple[Any, frozenset[str]]]:
        """The six packet classes (family x ports/ICMP/other), each with the variables that
        mean nothing for it (left free in every set, so sizes are divided by them)."""
        fields = self.fields
        tail = frozenset(n for key in ("dst", "src") for n in fields[key].names[_V4_BITS:])
        ports = frozenset((*fields["sport"].names, *fields["dport"].names))
        icmp = frozenset((*fields["icmp_type"].names, *fields["icmp_code"].names))
        for family, number in ((self._fam4, ICMP4), (self._fam6, ICMP6)):
            extra = tail if family is self._fam4 else frozenset()
            icmp_node = family & self._value("proto", number)
            yield family & self._portproto, extra | icmp
            yield icmp_node, extra | ports
            yield family & ~self._portproto & ~icmp_node, extra | ports | icmp

    def match_node(self, match: Match) -> Any:
        """The BDD of the packets ``match`` matches (inside the universe); cached per Match.

        Conditions are ANDed bottom-up (source port first, family last), so each step only
        adds nodes above the ones built so far.
        """
        cached = self._match_cache.get(id(match))
        if cached is not None:
            return cached[1]
        families = frozenset({4, 6}) if match.family is None else frozenset({match.family})
        node = self.true
        if match.sports:
            node = self._ports("sport", match.sports, match.sports_negated) & node
        if match.src:
            part, fams = self._addresses("src", match.src, match.src_negated)
            node = part & node
            families &= fams
        if match.dports:
            node = self._ports("dport", match.dports, match.dports_negated) & node
        if match.dst:
            part, fams = self._addresses("dst", match.dst, match.dst_negated)
            node = part & node
            families &= fams
        if match.icmp:
            versions = frozenset(item.version for item in match.icmp)
            icmp = self.false
            for item in match.icmp:
                part = self._icmp(item)
                if len(versions) > 1:
                    part = (self._fam4 if item.version == 4 else self._fam6) & part
                icmp = icmp | part
            node = icmp & node
            families &= versions
        if match.protocols:
            protocols = self._codes("proto", frozenset(match.protocols))
            node = (~protocols if match.protocols_negated else protocols) & node
        if match.sports or match.dports:
            node = self._portproto & node
        if match.states:
            node = self._codes("state", frozenset(STATES.index(s) for s in match.states)) & node
        if match.dst_zones:
            node = self._names("dst_zone", self.zones, match.dst_zones) & node
        if match.src_zones:
            node = self._names("src_zone", self.zones, match.src_zones) & node
        if match.out_interfaces:
            names = self._names("oif", self.interfaces, match.out_interfaces)
            node = (~names if match.out_interfaces_negated else names) & node
        if match.in_interfaces:
            names = self._names("iif", self.interfaces, match.in_interfaces)
            node = (~names if match.in_interfaces_negated else names) & node
        node = self.universe_node & (self._family(families) & node)
        self._match_cache[id(match)] = (match, node)
        return node

    def conjunction_node(self, conjuncts: Sequence[Match], excluded: Sequence[Match] = ()) -> Any:
        """The BDD of ``AND(conjuncts) AND NOT OR(excluded)``.

        Cached per prefix, so flat rules sharing a jump guard (and growing exclusion lists)
        share the work.
        """
        key = (tuple(conjuncts), tuple(excluded))
        node = self._conj_cache.get(key)
        if node is not None:
            return node
        if excluded:
            node = self.conjunction_node(conjuncts, excluded[:-1]) & ~self.match_node(
                excluded[-1]
            )
        elif len(conjuncts) > 1:
            node = self.conjunction_node(conjuncts[:-1]) & self.match_node(conjuncts[-1])
        elif conjuncts:
            node = self.match_node(conjuncts[0])
        else:
            node = self.universe_node
        self._conj_cache[key] = node
        return node

    def packet_node(self, packet: Packet) -> Any:
        """The one-packet BDD (a full cube; meaningless fields set to zero)."""
        shift = _ADDR_BITS - _V4_BITS if packet.family == 4 else 0
        values = {
            "family": 0 if packet.family == 4 else 1,
            "iif": self.interfaces.code(packet.iif),
            "oif": self.interfaces.code(packet.oif),
            "src_zone": self.zones.code(packet.src_zone),
            "dst_zone": self.zones.code(packet.dst_zone),
            "state": STATES.index(packet.state),
            "proto": packet.proto,
            "icmp_type": packet.icmp_type if packet.is_icmp else 0,
            "icmp_code": packet.icmp_code if packet.is_icmp else 0,
            "dst": int(packet.dst) << shift,
            "dport": packet.dport if packet.has_ports else 0,
            "src": int(packet.src) << shift,
            "sport": packet.sport if packet.has_ports else 0,
        }
        node = self.true
        for key in reversed(_ORDER):
            f = self.fields[key]
            value = values[key]
            for i in range(f.width - 1, -1, -1):
                node = self._literals[f.start + i][(value >> (f.width - 1 - i)) & 1] & node
        return node

    # -- PacketSet constructors ---------------------------------------------------------------

    def wrap(self, node: Any) -> PacketSet:
        """A :class:`PacketSet` for a BDD node of this space."""
        return PacketSet(self, node)

    @property
    def universe(self) -> PacketSet:
        """Every valid packet."""
        return PacketSet(self, self.universe_node)

    @property
    def empty(self) -> PacketSet:
        """No packet."""
        return PacketSet(self, self.false)

    def from_match(self, match: Match) -> PacketSet:
        """The packets ``match`` matches."""
        return PacketSet(self, self.match_node(match))

    def from_conjunction(
        self, conjuncts: Sequence[Match], excluded: Sequence[Match] = ()
    ) -> PacketSet:
        """Packets matching every one of ``conjuncts`` and none of ``excluded``."""
        return PacketSet(self, self.conjunction_node(conjuncts, excluded))

    def from_packet(self, packet: Packet) -> PacketSet:
        """The set holding just ``packet``."""
        return PacketSet(self, self.packet_node(packet))

    # -- reading sets back ----------------------------------------------------------------------

    def _children(self, node: Any) -> tuple[Any, Any]:
        low, high = node.low, node.high
        if node.negated:
            return ~low, ~high
        return low, high

    def count(self, node: Any) -> int:
        """Exact number of packets in ``node``: models over all variables, per packet class,
        divided by the assignments of the variables meaningless for that class."""
        total = 0
        for cls, free in self.classes():
            part = node & cls
            if part != self.false:
                total += self._models(part) >> len(free)
        return total

    def _level(self, u: Any) -> int:
        return self.nvars if u == self.true or u == self.false else int(u.level)  # noqa: PLR1714

    def _models(self, node: Any) -> int:
        """Exact number of assignments of all variables satisfying ``node``."""
        memo: dict[int, int] = {}
        return self._models_below(node, memo) << self._level(node)

    def _models_below(self, u: Any, memo: dict[int, int]) -> int:
        """Models of ``u`` over the variables from its own level down."""
        if u == self.false:
            return 0
        if u == self.true:
            return 1
        key = int(u)
        cached = memo.get(key)
        if cached is not None:
            return cached
        here = int(u.level)
        low, high = self._children(u)
        result = (self._models_below(low, memo) << (self._level(low) - here - 1)) + (
            self._models_below(high, memo) << (self._level(high) - here - 1)
        )
        memo[key] = result
        return result

    def pick(self, node: Any) -> dict[int, int] | None:
        """One satisfying path: level -> bit (unlisted levels are free)."""
        if node == self.false:
            return None
        bits: dict[int, int] = {}
        u = node
        while u != self.true:
            low, high = self._children(u)
            if low != self.false:
                bits[int(u.level)] = 0
                u = low
            else:
                bits[int(u.level)] = 1
                u = high
        return bits

    def cubes(self, node: Any, limit: int) -> Iterator[dict[int, int]]:
        """Disjoint cubes (paths to true) of ``node``, at most ``limit`` of them."""
        produced = 0
        stack: list[tuple[Any, dict[int, int]]] = [(node, {})]
        while stack and produced < limit:
            u, bits = stack.pop()
            if u == self.false:
                continue
            if u == self.true:
                produced += 1
                yield bits
                continue
            low, high = self._children(u)
            lv = int(u.level)
            stack.append((high, {**bits, lv: 1}))
            stack.append((low, {**bits, lv: 0}))

    def field_value(self, bits: dict[int, int], key: str) -> int:
        """The value of field ``key`` in a (partial) assignment, free bits taken as 0."""
        f = self.fields[key]
        value = 0
        for i in range(f.width):
            value = (value << 1) | bits.get(f.start + i, 0)
        return value

    def decode(self, bits: dict[int, int]) -> Packet:
        """The packet of a full (or partial, free bits = 0) assignment."""
        family = 4 if self.field_value(bits, "family") == 0 else 6
        shift = _ADDR_BITS - _V4_BITS if family == 4 else 0
        make = ipaddress.IPv4Address if family == 4 else ipaddress.IPv6Address
        state = self.field_value(bits, "state")
        return Packet(
            family=family,
            src=make(self.field_value(bits, "src") >> shift),
            dst=make(self.field_value(bits, "dst") >> shift),
            proto=self.field_value(bits, "proto"),
            sport=self.field_value(bits, "sport"),
            dport=self.field_value(bits, "dport"),
            icmp_type=self.field_value(bits, "icmp_type"),
            icmp_code=self.field_value(bits, "icmp_code"),
            iif=self.interfaces.name(self.field_value(bits, "iif")),
            oif=self.interfaces.name(self.field_value(bits, "oif")),
            src_zone=self.zones.name(self.field_value(bits, "src_zone")),
            dst_zone=self.zones.name(self.field_value(bits, "dst_zone")),
            state=STATES[state] if state < len(STATES) else ConnState.NEW,
        )

    def example_node(self, node: Any) -> Packet | None:
        """One packet of ``node``, preferring readable ones (IPv4, new, tcp, high source port)."""
        if node == self.false:
            return None
        preferences = (
            self._fam4,
            self._value("state", STATES.index(ConnState.NEW)),
            self._value("proto", 6),
            ~self._portproto | self._range("sport", 1024, 65535),
        )
        for preference in preferences:
            narrowed = node & preference
            if narrowed != self.false:
                node = narrowed
        bits = self.pick(node)
        assert bits is not None
        return self.decode(bits)


def _aligned_blocks(lo: int, hi: int, width: int) -> Iterator[tuple[int, int]]:
    """Split ``lo..hi`` into aligned power-of-two blocks: (first value, prefix length)."""
    while lo <= hi:
        size = lo & -lo if lo else 1 << width
        while lo + size - 1 > hi:
            size >>= 1
        yield lo, width - size.bit_length() + 1
        lo += size


# ---------------------------------------------------------------------------------------------
# Packet sets.


@dataclass(frozen=True, eq=False, slots=True)
class PacketSet:
    """An exact set of packets of one :class:`HeaderSpace` (immutable; operators make new sets).

    ``a | b``, ``a & b``, ``a - b``, ``~a`` (within the universe), ``a <= b`` (subset),
    ``a == b``; :attr:`is_empty`, :meth:`size`, :meth:`example`, :meth:`describe`.
    """

    space: HeaderSpace
    node: Any = field(repr=False)

    def _other(self, other: PacketSet) -> Any:
        if other.space is not self.space:
            raise ValueError("packet sets from different header spaces")
        return other.node

    def __or__(self, other: PacketSet) -> PacketSet:
        return PacketSet(self.space, self.node | self._other(other))

    def __and__(self, other: PacketSet) -> PacketSet:
        return PacketSet(self.space, self.node & self._other(other))

    def __sub__(self, other: PacketSet) -> PacketSet:
        return PacketSet(self.space, self.node & ~self._other(other))

    def __invert__(self) -> PacketSet:
        return PacketSet(self.space, self.space.universe_node & ~self.node)

    def __le__(self, other: PacketSet) -> bool:
        return bool((self.node & ~self._other(other)) == self.space.false)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PacketSet):
            return NotImplemented
        return bool(self.node == self._other(other))

    def __hash__(self) -> int:
        return hash(int(self.node))

    @property
    def is_empty(self) -> bool:
        """Whether the set holds no packet."""
        return bool(self.node == self.space.false)

    def overlaps(self, other: PacketSet) -> bool:
        """Whether the two sets share a packet."""
        return bool((self.node & self._other(other)) != self.space.false)

    def size(self) -> int:
        """Exact number of packets in the set."""
        return self.space.count(self.node)

    def __contains__(self, packet: object) -> bool:
        if not isinstance(packet, Packet):
            return False
        return bool((self.node & self.space.packet_node(packet)) != self.space.false)

    def example(self) -> Packet | None:
        """One packet of the set (``None`` when empty)."""
        return self.space.example_node(self.node)

    def describe(self, limit: int = 64) -> str:
        """A compact human summary, e.g. ``tcp/80,443 from 10.20.0.0/16 to any``."""
        return _describe(self.space, self.node, limit)

    def packets(self, limit: int = 100_000) -> Iterator[Packet]:
        """Every packet of the set; raises ``ValueError`` past ``limit`` (meant for tests and
        tiny sets)."""
        if self.size() > limit:
            raise ValueError(f"set holds more than {limit} packets")
        space = self.space
        level_of = {name: lv for lv, name in enumerate(space.names_by_level)}
        for cls, free_names in space.classes():
            part = self.node & cls
            meaningless = {level_of[n] for n in free_names}
            for bits in space.cubes(part, limit):
                free = [
                    lv for lv in range(space.nvars) if lv not in bits and lv not in meaningless
                ]
                for combo in range(1 << len(free)):
                    full = dict(bits)
                    for i, lv in enumerate(free):
                        full[lv] = (combo >> i) & 1
                    yield space.decode(full)


def example(packets: PacketSet) -> Packet | None:
    """One concrete packet of ``packets`` (``None`` when empty)."""
    return packets.example()


def describe(packets: PacketSet, limit: int = 64) -> str:
    """A compact human summary of ``packets``: correct, not necessarily minimal."""
    return packets.describe(limit)


def size(packets: PacketSet) -> int:
    """Exact number of packets in ``packets``."""
    return packets.size()


# ---------------------------------------------------------------------------------------------
# Boxes: the common special case, in plain Python.
#
# Almost every rule is a *box*: a product of one value set per field (a set of interface codes,
# a union of port ranges, a union of prefixes of one family…). Intersections, containment and
# "A minus B when B differs from A in one field only" of boxes are exact with integer interval
# arithmetic, at a few microseconds each, while one BDD operation on rule-sized BDDs costs tens
# of microseconds here. The analysis uses boxes where they are exact and BDDs for the rest
# (negated address lists mixing families, ICMP lists that are not products, exclusions that
# cut a box into a non-box, shadowing by several rules). Same semantics as the BDDs: a box field
# of ``None`` means any value; ports and ICMP fields of packets that have none are "any".

Intervals = tuple[tuple[int, int], ...]
"""Sorted, disjoint, non-adjacent inclusive intervals."""
BoxField = Intervals | frozenset[int] | None
_BOX_FIELDS = _ORDER
_F_FAMILY, _F_IIF, _F_OIF, _F_SZONE, _F_DZONE, _F_STATE, _F_PROTO, _F_ITYPE, _F_ICODE, \
    _F_DST, _F_DPORT, _F_SRC, _F_SPORT = range(len(_BOX_FIELDS))
_PORT_INTERVALS: Intervals = tuple((p, p) for p in sorted(PORT_PROTOCOLS))
_NO_CODES: frozenset[int] = frozenset()
_OVERLAP_ORDER = (_F_DST, _F_SRC, _F_DPORT, _F_PROTO, _F_FAMILY, _F_SPORT, _F_STATE, _F_IIF,
                  _F_OIF, _F_SZONE, _F_DZONE, _F_ITYPE, _F_ICODE)
"""Every field index, in the order :meth:`Box.overlaps` and :meth:`Box.contains_point` test
them: the fields most likely to tell two rules apart first."""


def _intervals_of(values: Iterable[int]) -> Intervals:
    return _union_intervals((v, v) for v in values)


def _intersect_intervals(a: Intervals, b: Intervals) -> Intervals:
    out = []
    i = j = 0
    while i < len(a) and j < len(b):
        lo = max(a[i][0], b[j][0])
        hi = min(a[i][1], b[j][1])
        if lo <= hi:
            out.append((lo, hi))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return tuple(out)


def _meet_intervals(a: Intervals, b: Intervals) -> bool:
    """Whether two interval lists share a value."""
    if len(a) == 1 and len(b) == 1:
        return a[0][0] <= b[0][1] and b[0][0] <= a[0][1]
    i = j = 0
    while i < len(a) and j < len(b):
        if a[i][0] <= b[j][1] and b[j][0] <= a[i][1]:
            return True
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return False


def _inside_intervals(a: Intervals, b: Intervals) -> bool:
    j = 0
    for lo, hi in a:
        while j < len(b) and b[j][1] < lo:
            j += 1
        if j == len(b) or b[j][0] > lo or b[j][1] < hi:
            return False
    return True


def _minus_intervals(a: Intervals, b: Intervals) -> Intervals:
    out: list[tuple[int, int]] = []
    j = 0
    for lo, hi in a:
        cur = lo
        while j < len(b) and b[j][1] < cur:
            j += 1
        k = j
        while k < len(b) and b[k][0] <= hi:
            if b[k][0] > cur:
                out.append((cur, b[k][0] - 1))
            cur = max(cur, b[k][1] + 1)
            k += 1
        if cur <= hi:
            out.append((cur, hi))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class Box:
    """A product set of packets: one value set per header field (``None`` = any).

    ``fields`` follows the header-space order (family, iif, oif, src_zone, dst_zone, state,
    proto, icmp_type, icmp_code, dst, dport, src, sport). Family, interface, zone and state
    fields are frozensets of codes; the others are :data:`Intervals`; addresses are integers
    of the family's own width and require a single family.
    """

    fields: tuple[BoxField, ...]
    space: HeaderSpace = field(repr=False, compare=False)

    def _domain(self, index: int, family: BoxField = None) -> BoxField:
        """All values of field ``index`` (addresses: of ``family``, default the box's)."""
        space = self.space
        if index == _F_FAMILY:
            return frozenset({4, 6})
        if index in (_F_IIF, _F_OIF):
            return frozenset(range(space.interfaces.size))
        if index in (_F_SZONE, _F_DZONE):
            return frozenset(range(space.zones.size))
        if index == _F_STATE:
            return frozenset(range(len(STATES)))
        if index in (_F_DST, _F_SRC):
            family = family if family is not None else self.fields[_F_FAMILY]
            width = _V4_BITS if family == frozenset({4}) else _ADDR_BITS
            return ((0, (1 << width) - 1),)
        if index in (_F_DPORT, _F_SPORT):
            return ((0, 65535),)
        return ((0, 255),)

    @property
    def is_empty(self) -> bool:
        """Whether no packet is in the box."""
        fields = self.fields
        return () in fields or _NO_CODES in fields

    @property
    def is_full(self) -> bool:
        """Whether every packet is in the box."""
        return all(f is None for f in self.fields)

    def overlaps(self, other: Box) -> bool:
        """Whether the boxes share a packet."""
        fa = self.fields
        fb = other.fields
        # the fields that tell rules apart most often come first (same result in any order)
        for i in _OVERLAP_ORDER:
            a = fa[i]
            b = fb[i]
            if a is None:
                if b is not None and not b:
                    return False
            elif b is None:
                if not a:
                    return False
            elif isinstance(a, frozenset):
                if a.isdisjoint(b):
                    return False
            elif len(a) == 1 and len(b) == 1:
                x = a[0]
                y = b[0]  # type: ignore[index]
                if x[0] > y[1] or y[0] > x[1]:
                    return False
            elif not _meet_intervals(a, b):  # type: ignore[arg-type]
                return False
        return True

    def overlap_test(self) -> Callable[[Box], bool]:
        """A function telling for any box whether it shares a packet with this one: the same
        as :meth:`overlaps`, faster when one box is tested against many, as only the fields
        this box constrains are compared."""
        if self.is_empty:
            return lambda other: False
        checks: list[tuple[int, int, Any, int, int]] = []
        for i in _OVERLAP_ORDER:
            a = self.fields[i]
            if a is None:
                continue  # meets any non-empty field; an empty one empties its box
            if isinstance(a, frozenset):
                checks.append((i, 0, a, 0, 0))
            elif len(a) == 1:
                checks.append((i, 1, a, a[0][0], a[0][1]))
            else:
                checks.append((i, 2, a, 0, 0))
        unchecked = [i for i in _OVERLAP_ORDER if self.fields[i] is None]

        def test(other: Box) -> bool:
            fb = other.fields
            for i, kind, a, lo, hi in checks:
                b = fb[i]
                if b is None:
                    continue
                if kind == 0:
                    if a.isdisjoint(b):
                        return False
                elif kind == 1 and len(b) == 1:
                    y = b[0]  # type: ignore[index]
                    if lo > y[1] or y[0] > hi:
                        return False
                elif not _meet_intervals(a, b):  # type: ignore[arg-type]
                    return False
            for i in unchecked:
                b = fb[i]
                if b is not None and not b:
                    return False
            return True

        return test

    def superset_test(self) -> Callable[[Box], bool]:
        """A function telling for any box whether it lies inside this one: the same as
        ``other <= self``, faster when many boxes are tested, as only the fields this box
        constrains are compared."""
        checks = [(i, self.fields[i]) for i in _OVERLAP_ORDER if self.fields[i] is not None]

        def test(other: Box) -> bool:
            if other.is_empty:
                return True
            fa = other.fields
            for i, b in checks:
                a = fa[i]
                have = other._domain(i) if a is None else a
                if isinstance(have, frozenset):
                    if not have <= b:  # type: ignore[operator]
                        return False
                elif len(have) == 1 and len(b) == 1:  # type: ignore[arg-type]
                    x = have[0]  # type: ignore[index]
                    y = b[0]  # type: ignore[index]
                    if x[0] < y[0] or x[1] > y[1]:
                        return False
                elif not _inside_intervals(have, b):  # type: ignore[arg-type]
                    return False
            return True

        return test

    def __le__(self, other: Box) -> bool:
        """Whether every packet of this box is in ``other`` (an empty box is in every box)."""
        if self.is_empty:
            return True
        fa = self.fields
        fb = other.fields
        for i in _OVERLAP_ORDER:
            b = fb[i]
            if b is None:
                continue
            a = fa[i]
            have = self._domain(i) if a is None else a
            if isinstance(have, frozenset):
                if not have <= b:  # type: ignore[operator]
                    return False
            elif len(have) == 1 and len(b) == 1:  # type: ignore[arg-type]
                x = have[0]  # type: ignore[index]
                y = b[0]  # type: ignore[index]
                if x[0] < y[0] or x[1] > y[1]:
                    return False
            elif not _inside_intervals(have, b):  # type: ignore[arg-type]
                return False
        return True

    def __and__(self, other: Box) -> Box:
        fields = []
        for a, b in zip(self.fields, other.fields, strict=True):
            if a is None:
                fields.append(b)
            elif b is None:
                fields.append(a)
            elif isinstance(a, frozenset):
                fields.append(a & b)  # type: ignore[operator]
            else:
                fields.append(_intersect_intervals(a, b))  # type: ignore[arg-type]
        return Box(tuple(fields), self.space)

    def minus(self, other: Box) -> Box | None:
        """``self - other`` when it is a box (``other`` covers ``self`` in all fields but at
        most one), else ``None``."""
        if not self.overlaps(other):
            return self
        differing = -1
        for i, (a, b) in enumerate(zip(self.fields, other.fields, strict=True)):
            if b is None:
                continue
            full_a = self._domain(i) if a is None else a
            inside = (
                full_a <= b  # type: ignore[operator]
                if isinstance(full_a, frozenset)
                else _inside_intervals(full_a, b)  # type: ignore[arg-type]
            )
            if inside:
                continue
            if differing >= 0:
                return None
            differing = i
        fields = list(self.fields)
        if differing < 0:
            fields[_F_FAMILY] = frozenset()
            return Box(tuple(fields), self.space)
        a = self._domain(differing) if fields[differing] is None else fields[differing]
        b = other.fields[differing]
        if isinstance(a, frozenset):
            fields[differing] = a - b  # type: ignore[operator]
        else:
            fields[differing] = _minus_intervals(a, b)  # type: ignore[arg-type]
        return Box(tuple(fields), self.space)

    def subtract(self, other: Box) -> list[Box]:
        """``self - other`` as disjoint non-empty boxes (at most one per field ``other``
        constrains more than ``self``)."""
        if not self.overlaps(other):
            return [self]
        return self.cut(other)

    def cut(self, other: Box) -> list[Box]:
        """:meth:`subtract` for an ``other`` known to overlap this box (the caller tested
        :meth:`overlaps`)."""
        pieces: list[Box] = []
        current = list(self.fields)
        for i, b in enumerate(other.fields):
            if b is None:
                continue
            a = current[i]
            if a is None:
                a = self._domain(i, current[_F_FAMILY])
            if isinstance(a, frozenset):
                rest: BoxField = a - b  # type: ignore[operator]
                kept: BoxField = a & b  # type: ignore[operator]
            else:
                rest = _minus_intervals(a, b)  # type: ignore[arg-type]
                kept = _intersect_intervals(a, b)  # type: ignore[arg-type]
            if rest:
                piece = list(current)
                piece[i] = rest
                pieces.append(Box(tuple(piece), self.space))
            current[i] = kept
        return pieces

    def contains_point(self, point: Sequence[int]) -> bool:
        """Whether the packet ``point`` (one integer per field, as from :meth:`points`) is in
        the box."""
        fields = self.fields
        for i in _OVERLAP_ORDER:
            allowed = fields[i]
            if allowed is None:
                continue
            value = point[i]
            if isinstance(allowed, frozenset):
                if value not in allowed:
                    return False
            else:
                for lo, hi in allowed:
                    if lo <= value <= hi:
                        break
                else:
                    return False
        return True

    def packet(self, point: Sequence[int]) -> Packet:
        """The :class:`Packet` of an integer tuple from :meth:`points`."""
        space = self.space
        family = point[_F_FAMILY]
        make = ipaddress.IPv4Address if family == 4 else ipaddress.IPv6Address
        return Packet(
            family=family,
            src=make(point[_F_SRC]),
            dst=make(point[_F_DST]),
            proto=point[_F_PROTO],
            sport=point[_F_SPORT],
            dport=point[_F_DPORT],
            icmp_type=point[_F_ITYPE],
            icmp_code=point[_F_ICODE],
            iif=space.interfaces.name(point[_F_IIF]),
            oif=space.interfaces.name(point[_F_OIF]),
            src_zone=space.zones.name(point[_F_SZONE]),
            dst_zone=space.zones.name(point[_F_DZONE]),
            state=STATES[point[_F_STATE]],
        )

    def points(self, count: int, seed: int) -> list[tuple[int, ...]]:
        """``count`` packets of the box (as integer tuples: family 4/6, codes, numbers),
        deterministic for ``seed``: both corners, then random ones. The box must not be
        empty."""
        rng = random.Random(seed)
        out = []
        # per (field, family): the field's values (a sorted list for codes), worked out once
        domains: dict[tuple[int, int], Intervals | list[int]] = {}
        for k in range(count):
            point: list[int] = []
            family = 4
            for i, allowed in enumerate(self.fields):
                domain = domains.get((i, family))
                if domain is None:
                    found: Intervals | frozenset[int]
                    if allowed is not None:
                        found = allowed
                    elif i == _F_FAMILY:
                        found = frozenset({4, 6})
                    else:
                        found = self._domain(i, frozenset({family})) or ()
                    domain = sorted(found) if isinstance(found, frozenset) else found
                    domains[i, family] = domain
                if isinstance(domain, list):
                    values = domain
                    value = values[0] if k == 0 else values[-1] if k == 1 else rng.choice(values)
                elif k == 0:
                    value = domain[0][0]
                elif k == 1:
                    value = domain[-1][1]
                else:
                    lo, hi = rng.choice(domain)
                    value = rng.randint(lo, hi)
                if i == _F_FAMILY:
                    family = value
                point.append(value)
            out.append(tuple(point))
        return out

    def node(self) -> Any:
        """The BDD of the box."""
        space = self.space
        f = self.fields
        node = space.true
        for index, key in ((_F_SPORT, "sport"), (_F_SRC, "src"), (_F_DPORT, "dport"),
                           (_F_DST, "dst"), (_F_ICODE, "icmp_code"), (_F_ITYPE, "icmp_type"),
                           (_F_PROTO, "proto")):
            value = f[index]
            if value is None:
                continue
            shift = 0
            if index in (_F_DST, _F_SRC) and f[_F_FAMILY] == frozenset({4}):
                shift = _ADDR_BITS - _V4_BITS
            part = space.false
            for lo, hi in value:  # type: ignore[misc]
                if shift:
                    for start, length in _aligned_blocks(lo, hi, _V4_BITS):
                        part = part | space._value(key, start << shift, length)
                else:
                    part = part | space._range(key, lo, hi)
            node = part & node
        for index, key in ((_F_STATE, "state"), (_F_DZONE, "dst_zone"), (_F_SZONE, "src_zone"),
                           (_F_OIF, "oif"), (_F_IIF, "iif")):
            value = f[index]
            if value is not None:
                node = space._codes(key, value) & node  # type: ignore[arg-type]
        family = f[_F_FAMILY]
        if family is not None:
            node = space._family(family) & node  # type: ignore[arg-type]
        return space.universe_node & node

    def example(self) -> Packet | None:
        """One packet of the box, preferring readable ones (IPv4, new, tcp, high sport)."""
        if self.is_empty:
            return None
        f = self.fields
        space = self.space

        def lowest(value: BoxField, prefer: Sequence[int] = ()) -> int:
            if value is None:
                return prefer[0] if prefer else 0
            if isinstance(value, frozenset):
                for p in prefer:
                    if p in value:
                        return p
                return min(value)
            for p in prefer:
                if any(lo <= p <= hi for lo, hi in value):
                    return p
            return value[0][0]

        family = lowest(f[_F_FAMILY], (4, 6))
        make = ipaddress.IPv4Address if family == 4 else ipaddress.IPv6Address
        proto = lowest(f[_F_PROTO], (6, 17, 1 if family == 4 else 58))
        sport_field = f[_F_SPORT]
        sport = lowest(sport_field, (1024,))
        if sport_field is not None and sport < 1024 and not isinstance(sport_field, frozenset):
            above = _intersect_intervals(sport_field, ((1024, 65535),))
            sport = above[0][0] if above else sport
        state = lowest(f[_F_STATE], (STATES.index(ConnState.NEW),))
        return Packet(
            family=family,
            src=make(lowest(f[_F_SRC])),
            dst=make(lowest(f[_F_DST])),
            proto=proto,
            sport=sport,
            dport=lowest(f[_F_DPORT]),
            icmp_type=lowest(f[_F_ITYPE]),
            icmp_code=lowest(f[_F_ICODE]),
            iif=space.interfaces.name(lowest(f[_F_IIF])),
            oif=space.interfaces.name(lowest(f[_F_OIF])),
            src_zone=space.zones.name(lowest(f[_F_SZONE])),
            dst_zone=space.zones.name(lowest(f[_F_DZONE])),
            state=STATES[state],
        )


def _normalise_field(box_field: BoxField, domain: BoxField) -> BoxField:
    """``None`` for a field that holds its whole domain."""
    return None if box_field == domain else box_field


def match_box(space: HeaderSpace, match: Match) -> Box | None:
    """The box of the packets ``match`` matches, or ``None`` when they do not form a box."""
    fields: list[BoxField] = [None] * len(_BOX_FIELDS)
    family: frozenset[int] = frozenset({4, 6})
    if match.family is not None:
        family &= {match.family}
    proto: Intervals | None = None

    def narrow_proto(values: Intervals) -> None:
        nonlocal proto
        proto = values if proto is None else _intersect_intervals(proto, values)

    if match.protocols:
        listed = _intervals_of(match.protocols)
        narrow_proto(_minus_intervals(((0, 255),), listed) if match.protocols_negated else listed)
    for index, ranges, negated in ((_F_DPORT, match.dports, match.dports_negated),
                                   (_F_SPORT, match.sports, match.sports_negated)):
        if ranges:
            values = _union_intervals((r.lo, r.hi) for r in ranges)
            fields[index] = _minus_intervals(((0, 65535),), values) if negated else values
            narrow_proto(_PORT_INTERVALS)
    for index, prefixes, negated in ((_F_DST, match.dst, match.dst_negated),
                                     (_F_SRC, match.src, match.src_negated)):
        if not prefixes:
            continue
        versions: set[int] = {net.version for net in prefixes}
        if len(versions) > 1:
            return None
        version: int = versions.pop()
        family &= {version}
        values = _union_intervals(
            (int(net.network_address), int(net.broadcast_address)) for net in prefixes
        )
        if negated:
            width = _V4_BITS if version == 4 else _ADDR_BITS
            values = _minus_intervals(((0, (1 << width) - 1),), values)
        fields[index] = values
    if match.icmp:
        icmp_versions: set[int] = {item.version for item in match.icmp}
        if len(icmp_versions) > 1:
            return None
        icmp_version = icmp_versions.pop()
        family &= {icmp_version}
        narrow_proto(((ICMP4, ICMP4),) if icmp_version == 4 else ((ICMP6, ICMP6),))
        by_type: dict[int, set[int] | None] = {}
        for item in match.icmp:
            known = by_type.get(item.type, set())
            if item.code is None or known is None:
                by_type[item.type] = None
            else:
                by_type[item.type] = known | {item.code}
        code_sets = {frozenset(c) if c is not None else None for c in by_type.values()}
        if len(code_sets) > 1:
            return None
        code_set = code_sets.pop()
        fields[_F_ITYPE] = _intervals_of(by_type)
        fields[_F_ICODE] = None if code_set is None else _intervals_of(code_set)
    for index, domain, patterns, negated in (
        (_F_IIF, space.interfaces, match.in_interfaces, match.in_interfaces_negated),
        (_F_OIF, space.interfaces, match.out_interfaces, match.out_interfaces_negated),
        (_F_SZONE, space.zones, match.src_zones, False),
        (_F_DZONE, space.zones, match.dst_zones, False),
    ):
        if patterns:
            codes: set[int] = set()
            for pattern in patterns:
                codes |= domain.codes(pattern)
            if negated:
                codes = set(range(domain.size)) - codes
            fields[index] = frozenset(codes)
    if match.states:
        fields[_F_STATE] = _normalise_field(
            frozenset(STATES.index(s) for s in match.states), frozenset(range(len(STATES)))
        )
    fields[_F_PROTO] = proto
    fields[_F_FAMILY] = None if family == {4, 6} else family
    return Box(tuple(fields), space)


def conjunction_box(
    space: HeaderSpace, conjuncts: Sequence[Match], excluded: Sequence[Match] = ()
) -> Box | None:
    """The box of ``AND(conjuncts) AND NOT OR(excluded)``, or ``None`` when it is not one."""
    if len(conjuncts) == 1 and not excluded:
        return match_box(space, conjuncts[0])  # the same fields as "any" & it
    box = Box((None,) * len(_BOX_FIELDS), space)
    for match in conjuncts:
        part = match_box(space, match)
        if part is None:
            return None
        box = box & part
    for match in excluded:
        part = match_box(space, match)
        if part is None:
            return None
        reduced = box.minus(part)
        if reduced is None:
            return None
        box = reduced
    return box


# ---------------------------------------------------------------------------------------------
# Human summaries.
#
# describe() turns a BDD into text in four steps: (1) make the unused codes of symbolic fields
# free where every real code is in, so the set has fewer and wider cubes; (2) list the
# disjoint cubes (paths to true); (3) read each cube as a region, one value set per field;
# (4) merge regions that differ in a single field, then print each region. Every printed region
# is exactly a part of the set and together they are the whole set (unless cut off with "…").


class _Mask(tuple[int, int]):
    """A value/care bit pattern that is not a union of few intervals (printed ``value&care``)."""

    __slots__ = ()


_Intervals = tuple[tuple[int, int], ...]
_FieldValue = _Intervals | _Mask | None
"""``None`` is "any"."""

_MERGE_ORDER = (
    "dport", "sport", "proto", "icmp_type", "icmp_code", "dst", "src", "state", "iif", "oif",
    "src_zone", "dst_zone",
)
_MAX_EXPANSION_BITS = 6


def _normalise_for_description(space: HeaderSpace, node: Any) -> Any:
    bdd = space.bdd
    fields = space.fields
    for key, size_ in (("state", len(STATES)), ("iif", space.interfaces.size),
                       ("oif", space.interfaces.size), ("src_zone", space.zones.size),
                       ("dst_zone", space.zones.size)):
        if size_ == 1 << fields[key].width:
            continue
        invalid = ~space._range(key, 0, size_ - 1)
        node = node | (invalid & bdd.forall(list(fields[key].names), node | invalid))
    return node


def _union_intervals(intervals: Iterable[tuple[int, int]]) -> _Intervals:
    merged: list[tuple[int, int]] = []
    for lo, hi in sorted(intervals):
        if merged and lo <= merged[-1][1] + 1:
            if hi > merged[-1][1]:
                merged[-1] = (merged[-1][0], hi)
        else:
            merged.append((lo, hi))
    return tuple(merged)


def _field_from_bits(bits: dict[int, int], start: int, width: int) -> _FieldValue:
    fixed = {i: bits[start + i] for i in range(width) if start + i in bits}
    if not fixed:
        return None
    last = max(fixed)
    free_inside = [i for i in range(last) if i not in fixed]
    if len(free_inside) > _MAX_EXPANSION_BITS:
        value = sum(b << (width - 1 - i) for i, b in fixed.items())
        care = sum(1 << (width - 1 - i) for i in fixed)
        return _Mask((value, care))
    shift = width - last - 1
    intervals = []
    for combo in range(1 << len(free_inside)):
        assigned = dict(fixed)
        for j, i in enumerate(free_inside):
            assigned[i] = (combo >> j) & 1
        head = 0
        for i in range(last + 1):
            head = (head << 1) | assigned[i]
        intervals.append((head << shift, ((head + 1) << shift) - 1))
    return _union_intervals(intervals)


def _domain_size(space: HeaderSpace, key: str, family: frozenset[int] | None) -> int:
    if key in ("dst", "src"):
        return 1 << (_V4_BITS if family == frozenset({4}) else _ADDR_BITS)
    if key == "state":
        return len(STATES)
    if key in ("iif", "oif"):
        return space.interfaces.size
    if key in ("src_zone", "dst_zone"):
        return space.zones.size
    return 1 << space.fields[key].width


def _clip(value: _FieldValue, domain: int) -> _FieldValue:
    if value is None or isinstance(value, _Mask):
        return value
    clipped = tuple((lo, min(hi, domain - 1)) for lo, hi in value if lo < domain)
    if clipped == ((0, domain - 1),):
        return None
    return clipped


_Region = tuple[Any, ...]
"""(family, then one :data:`_FieldValue` per key of _ORDER[1:])."""


def _regions(space: HeaderSpace, cube: dict[int, int]) -> list[_Region]:
    fam_level = space.fields["family"].start
    families = [cube[fam_level]] if fam_level in cube else [0, 1]
    regions = []
    for fam_bit in families:
        family = frozenset({4 if fam_bit == 0 else 6})
        values: list[Any] = [family]
        for key in _ORDER[1:]:
            f = space.fields[key]
            width = _V4_BITS if key in ("dst", "src") and fam_bit == 0 else f.width
            value = _field_from_bits(cube, f.start, width)
            values.append(_clip(value, _domain_size(space, key, family)))
        regions.append(tuple(values))
    return regions


def _merge(space: HeaderSpace, regions: list[_Region]) -> list[_Region]:
    index = {key: i for i, key in enumerate(_ORDER)}
    changed = True
    while changed and len(regions) > 1:
        changed = False
        for key in (*_MERGE_ORDER, "family"):
            i = index[key]
            groups: dict[_Region, list[Any]] = {}
            for region in regions:
                groups.setdefault(region[:i] + region[i + 1:], []).append(region[i])
            if len(groups) == len(regions):
                continue
            merged: list[_Region] = []
            for rest, values in groups.items():
                combined = _combine(space, key, rest, values, index)
                if combined is _NO_MERGE:
                    merged.extend((*rest[:i], v, *rest[i:]) for v in values)
                else:
                    merged.append((*rest[:i], combined, *rest[i:]))
            if len(merged) < len(regions):
                changed = True
            regions = merged
    return regions


_NO_MERGE = object()


def _combine(
    space: HeaderSpace, key: str, rest: _Region, values: list[Any], index: dict[str, int]
) -> Any:
    """The union of ``values`` of one field, or ``_NO_MERGE`` when they cannot be merged."""
    if len(values) == 1:
        return values[0]
    if key == "family":
        dst, src = rest[index["dst"] - 1], rest[index["src"] - 1]
        if dst is not None or src is not None:
            return _NO_MERGE
        families: frozenset[int] = frozenset().union(*values)
        return families
    if any(isinstance(v, _Mask) for v in values):
        return _NO_MERGE
    if any(v is None for v in values):
        return None
    family = rest[0]
    union = _union_intervals(iv for v in values for iv in v)
    return _clip(union, _domain_size(space, key, family))


def _complement(intervals: _Intervals, domain: int) -> _Intervals:
    result = []
    nxt = 0
    for lo, hi in intervals:
        if lo > nxt:
            result.append((nxt, lo - 1))
        nxt = hi + 1
    if nxt < domain:
        result.append((nxt, domain - 1))
    return tuple(result)


def _render_ints(value: _FieldValue, domain: int, names: dict[int, str] | None = None) -> str:
    if value is None:
        return "any"
    if isinstance(value, _Mask):
        return f"{value[0]}&{value[1]}"

    def show(intervals: _Intervals) -> str:
        parts = []
        for lo, hi in intervals:
            if lo == hi:
                parts.append(names.get(lo, str(lo)) if names else str(lo))
            elif names and hi - lo < 4:
                parts.extend(names.get(v, str(v)) for v in range(lo, hi + 1))
            else:
                parts.append(f"{lo}-{hi}")
        return ",".join(parts)

    complement = _complement(value, domain)
    if complement and len(complement) < len(value):
        return f"not {show(complement)}"
    return show(value)


def _render_addresses(value: _FieldValue, family: frozenset[int]) -> str:
    if value is None:
        return "any"
    version = 4 if family == frozenset({4}) else 6
    make = ipaddress.IPv4Address if version == 4 else ipaddress.IPv6Address
    width = _V4_BITS if version == 4 else _ADDR_BITS
    if isinstance(value, _Mask):
        return f"{make(value[0])} mask {make(value[1])}"

    def show(intervals: _Intervals) -> str:
        nets = [
            str(net)
            for lo, hi in intervals
            for net in ipaddress.summarize_address_range(make(lo), make(hi))
        ]
        return ",".join(nets)

    complement = _complement(value, 1 << width)
    if complement and len(complement) < len(value):
        return f"not {show(complement)}"
    return show(value)


def _render_names(value: _FieldValue, domain: NameDomain) -> str:
    if value is None or isinstance(value, _Mask):
        return "any"
    return ",".join(domain.label(c) for lo, hi in value for c in range(lo, hi + 1))


def _render(space: HeaderSpace, region: _Region) -> str:
    v = dict(zip(_ORDER, region, strict=True))
    family: frozenset[int] | None = v["family"]
    proto = _render_ints(v["proto"], 256, _PROTOCOL_NAMES)
    head = proto
    if v["icmp_type"] is not None:
        head += f" type {_render_ints(v['icmp_type'], 256)}"
        if v["icmp_code"] is not None:
            head += f" code {_render_ints(v['icmp_code'], 256)}"
    if v["dport"] is not None:
        head += f"/{_render_ints(v['dport'], 65536)}"
    if family is not None and len(family) == 1 and v["dst"] is None and v["src"] is None:
        head = ("ipv4 " if 4 in family else "ipv6 ") + head
    fam = family or frozenset({4, 6})
    text = f"{head} from {_render_addresses(v['src'], fam)}"
    if v["sport"] is not None:
        text += f" port {_render_ints(v['sport'], 65536)}"
    text += f" to {_render_addresses(v['dst'], fam)}"
    if v["iif"] is not None:
        text += f" in {_render_names(v['iif'], space.interfaces)}"
    if v["oif"] is not None:
        text += f" out {_render_names(v['oif'], space.interfaces)}"
    if v["src_zone"] is not None:
        text += f" from-zone {_render_names(v['src_zone'], space.zones)}"
    if v["dst_zone"] is not None:
        text += f" to-zone {_render_names(v['dst_zone'], space.zones)}"
    if v["state"] is not None and not isinstance(v["state"], _Mask):
        states = ",".join(str(STATES[c]) for lo, hi in v["state"] for c in range(lo, hi + 1))
        text += f" state {states}"
    return text


def _describe(space: HeaderSpace, node: Any, limit: int) -> str:
    if node == space.false:
        return "nothing"
    if node == space.universe_node:
        return "any packet"
    node = _normalise_for_description(space, node)
    regions: list[_Region] = []
    truncated = False
    for n, cube in enumerate(space.cubes(node, limit * 4 + 1)):
        if n == limit * 4:
            truncated = True
            break
        regions.extend(_regions(space, cube))
    regions = _merge(space, regions)
    texts = [_render(space, r) for r in regions]
    if len(texts) > limit:
        texts = texts[:limit]
        truncated = True
    return "; ".join(texts) + ("; …" if truncated else "")
