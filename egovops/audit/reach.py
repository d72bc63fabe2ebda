"""Zone reach composed along paths that cross several firewalls in a row.

:func:`egovops.audit.firewall.zone_reach` judges one gateway hook at a time. This module
answers the question across the topology: *which packets can zone A send to zone C through the
firewalls on the way*, when the way crosses more than one of them (e.g. the border firewall,
then a DMZ firewall behind it).

Segments. The inventory's device graph (:func:`egovops.topology.graph.build_graph`) without the
firewalls (devices whose ruleset is loaded) falls apart into *segments*: connected groups of
ordinary devices (switches, routers without a ruleset, servers). A link joining two firewalls
directly is a segment of its own, and so is each firewall interface without a link (a tunnel
interface such as an SSL-VPN pool: the zone it is declared in). A segment holds the zones of its
devices (home and interface zones) and of the firewall interfaces attached to it. A declared
one-way transfer device (data diode) joins nothing: no connection can be opened across it (its
return direction does not exist), and connections are what the reach counts.

Paths. A path runs segment, firewall, segment, … without repeating either; it leads from zone
A to zone C when A is a zone of its first segment and C one of its last. Routing is not modelled:
every topological path counts (an over-approximation, the safe side for an audit). Paths with
more than :data:`MAX_FIREWALLS` firewalls are not followed.

Hops. At each firewall the packet enters on an interface attached to the previous segment and
leaves on one attached to the next (any such pair), with the vendor zones the inventory's
``firewall_zones`` map to those interfaces' zones. Every forwarding hook that applies to that
pair must accept it (see :func:`hook_applies`), as a new connection. The chains are evaluated
with interfaces and vendor zones pinned to the hop's values (:func:`pin_chain`), so what remains
is a condition on the packet's own headers; all firewalls are evaluated in one shared
:class:`~egovops.firewall.packetset.HeaderSpace` and a path's packets are the intersection of
its hops' sets with "source in A, destination in C". Alternative paths are united.

Sizes of composed sets count packet headers only (no interface or zone fields).

Unproven. When a firewall on the way has uncertain rules or a taint
(:class:`~egovops.audit.firewall.GatewayRuleset`), the composition runs twice, for the upper
and the lower bound of what each hop accepts; an entry whose bounds differ is reported with
the upper bound as its packets and says ``unproven`` (what is proved, what it depends on).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace

import networkx as nx

from egovops.audit.firewall import (
    GatewayRuleset,
    chain_accepts,
    unproven_note,
    zone_addresses,
    zone_pair,
)
from egovops.firewall.flatten import FlatChain, FlatRule
from egovops.firewall.model import Bound, ConnState, Match
from egovops.firewall.packetset import HeaderSpace, PacketSet, interface_matches
from egovops.model.findings import ZoneReach
from egovops.model.inventory import DeviceRole, Inventory
from egovops.topology.graph import build_graph

MAX_FIREWALLS = 5
"""Longest chain of firewalls a composed path may cross."""


# -- pinning interfaces and vendor zones ---------------------------------------------------------


@dataclass(frozen=True)
class HopContext:
    """The interface and vendor-zone values of a packet crossing one firewall."""

    iif: str | None
    oif: str | None
    src_zone: str | None
    dst_zone: str | None


def pin_match(match: Match, ctx: HopContext) -> Match | None:
    """``match`` with its interface and vendor-zone conditions decided for ``ctx``: ``None``
    when they fail, else the match without them (same semantics as
    :func:`egovops.firewall.packetset.matches`)."""
    if match.in_interfaces and (
        any(interface_matches(p, ctx.iif) for p in match.in_interfaces)
        == match.in_interfaces_negated
    ):
        return None
    if match.out_interfaces and (
        any(interface_matches(p, ctx.oif) for p in match.out_interfaces)
        == match.out_interfaces_negated
    ):
        return None
    if match.src_zones and ctx.src_zone not in match.src_zones:
        return None
    if match.dst_zones and ctx.dst_zone not in match.dst_zones:
        return None
    if not (match.in_interfaces or match.out_interfaces or match.src_zones
            or match.dst_zones):
        return match
    return replace(match, in_interfaces=(), out_interfaces=(), in_interfaces_negated=False,
                   out_interfaces_negated=False, src_zones=(), dst_zones=())


def pin_chain(chain: FlatChain, ctx: HopContext) -> FlatChain:
    """The chain as it decides packets with ``ctx``'s interfaces and vendor zones: rules that
    cannot match are left out, exclusions that cannot match are dropped."""
    rules: list[FlatRule] = []
    for fr in chain.rules:
        conjuncts = [pin_match(m, ctx) for m in fr.conjuncts]
        if any(m is None for m in conjuncts):
            continue
        *guard, own = [m for m in conjuncts if m is not None]
        excluded = tuple(p for p in (pin_match(m, ctx) for m in fr.excluded) if p is not None)
        rules.append(replace(fr, rule=replace(fr.rule, match=own), guard=tuple(guard),
                             excluded=excluded))
    return replace(chain, rules=tuple(rules), undefined=())


def hook_applies(gw: GatewayRuleset, hook: str, ctx: HopContext) -> bool:
    """Whether a forwarding hook sees packets crossing the device as ``ctx`` says.

    * an ACL applied to interfaces (hook ``<acl>:in`` / ``<acl>:out``) applies when it is
      applied to the entry (``in``) or exit (``out``) interface
      (:meth:`GatewayRuleset.acl_binding`). An ACL on an interface the inventory does not name
      is not applied (more reach, the safe side);
    * a zone-pair policy (``<policy>:<from>-><to>``) applies to its pair of vendor zones;
    * every other hook (``forward``, ``FORWARD``, ``security-policy``, ``global``) applies.
    """
    binding = gw.acl_binding(hook)
    if binding is not None:
        direction, ifaces = binding
        iface = ctx.iif if direction == "in" else ctx.oif
        return iface is not None and iface in ifaces
    pair = zone_pair(hook)
    if pair is not None:
        return (ctx.src_zone, ctx.dst_zone) == pair
    return True


# -- segments and paths -------------------------------------------------------------------------


@dataclass(frozen=True)
class Port:
    """A firewall interface attached to a segment."""

    device: str
    interface: str


@dataclass(frozen=True)
class Segment:
    """Devices joined without crossing a firewall, with their zones and the firewall
    interfaces attached to them."""

    id: str
    zones: tuple[str, ...]
    ports: tuple[Port, ...]


def segments(inv: Inventory, firewalls: Iterable[str]) -> tuple[Segment, ...]:
    """The segments of the site when ``firewalls`` filter (see the module docstring)."""
    walls = set(firewalls)
    diodes = {d.id for d in inv.devices if d.role is DeviceRole.DATA_DIODE}
    graph = build_graph(inv)
    rest = graph.subgraph(n for n in graph.nodes if n not in walls | diodes)
    member: dict[str, str] = {}
    zones: dict[str, dict[str, None]] = {}
    ports: dict[str, list[Port]] = {}
    for component in sorted((sorted(c) for c in nx.connected_components(rest)),
                            key=lambda c: c[0]):
        seg = f"seg:{component[0]}"
        zones[seg] = {}
        ports[seg] = []
        for dev_id in component:
            member[dev_id] = seg
            dev = inv.device_by_id[dev_id]
            zones[seg][dev.zone] = None
            for iface in dev.interfaces:
                zones[seg][iface.zone or dev.zone] = None
    linked: set[tuple[str, str]] = set()
    for link in inv.links:
        a, b = link.a, link.b
        ends = [e for e in (a, b) if e.device in walls]
        if not ends:
            continue
        if a.device in diodes or b.device in diodes:
            linked.update((e.device, e.interface) for e in ends)
            continue  # no connection crosses a one-way transfer device
        if len(ends) == 2:
            seg = f"link:{link.key}"
            zones[seg], ports[seg] = {}, []
        else:
            other = b if a.device in walls else a
            seg = member[other.device]
        for end in ends:
            linked.add((end.device, end.interface))
            zones[seg][inv.device_by_id[end.device].interface_zone(end.interface)] = None
            ports[seg].append(Port(end.device, end.interface))
    for dev_id in sorted(walls):
        dev = inv.device_by_id[dev_id]
        for iface in dev.interfaces:
            if (dev_id, iface.name) in linked:
                continue
            seg = f"stub:{dev_id}:{iface.name}"
            zones[seg] = {iface.zone or dev.zone: None}
            ports[seg] = [Port(dev_id, iface.name)]
    order = [z.id for z in inv.zones]
    rank = {z: i for i, z in enumerate(order)}
    return tuple(
        Segment(seg, tuple(sorted(zones[seg], key=lambda z: (rank.get(z, len(order)), z))),
                tuple(dict.fromkeys(ports[seg])))
        for seg in zones
    )


@dataclass(frozen=True)
class Hop:
    """One firewall on a path, with the interfaces the packet may enter and leave by."""

    device: str
    entry: tuple[str, ...]
    exit: tuple[str, ...]


@dataclass(frozen=True)
class FirewallPath:
    """Segments and firewalls in turn: ``segments[i]`` → ``hops[i]`` → ``segments[i + 1]``."""

    segments: tuple[Segment, ...]
    hops: tuple[Hop, ...]

    @property
    def via(self) -> tuple[str, ...]:
        """The firewalls crossed, in order."""
        return tuple(h.device for h in self.hops)


def firewall_paths(segs: Sequence[Segment],
                   max_firewalls: int = MAX_FIREWALLS) -> Iterator[FirewallPath]:
    """Every simple path from a segment through at least one firewall to another segment."""
    by_device: dict[str, dict[str, list[str]]] = {}
    for seg in segs:
        for port in seg.ports:
            by_device.setdefault(port.device, {}).setdefault(seg.id, []).append(port.interface)
    by_id = {s.id: s for s in segs}

    def walk(path: list[Segment], hops: list[Hop]) -> Iterator[FirewallPath]:
        here = path[-1]
        if len(hops) >= max_firewalls:
            return
        seen_devices = {h.device for h in hops}
        seen_segments = {s.id for s in path}
        for device in dict.fromkeys(p.device for p in here.ports):
            if device in seen_devices:
                continue
            sides = by_device[device]
            for seg_id, exits in sides.items():
                if seg_id in seen_segments:
                    continue
                hop = Hop(device, tuple(sides[here.id]), tuple(exits))
                step_path, step_hops = [*path, by_id[seg_id]], [*hops, hop]
                yield FirewallPath(tuple(step_path), tuple(step_hops))
                yield from walk(step_path, step_hops)

    for seg in segs:
        yield from walk([seg], [])


# -- composition ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PathReach:
    """What ``source`` can send to ``target`` along the firewall sequences in ``via``."""

    source: str
    target: str
    via: tuple[tuple[str, ...], ...]
    """One firewall sequence per alternative (their packets are united)."""
    packets: PacketSet


class ReachComposer:
    """Packet sets of hops and paths in one header space shared by every firewall."""

    def __init__(self, inv: Inventory, gateways: Iterable[GatewayRuleset],
                 bound: Bound = Bound.UPPER, space: HeaderSpace | None = None) -> None:
        self.inventory = inv
        self.gateways = {gw.device.id: gw for gw in gateways}
        self.bound = bound
        """Which bound of the uncertain rules and taints the hops take."""
        self.space = space or HeaderSpace()
        """No interface or zone names: pinned chains have no such conditions left."""
        self._new = self.space.from_match(Match(states=frozenset({ConnState.NEW})))
        self._hops: dict[tuple[str, HopContext], PacketSet] = {}

    def hop_context_set(self, gw: GatewayRuleset, ctx: HopContext) -> PacketSet:
        """New connections ``gw`` forwards with ``ctx``'s interfaces and vendor zones."""
        key = (gw.device.id, ctx)
        cached = self._hops.get(key)
        if cached is not None:
            return cached
        hooks = gw.hooks()
        result = self._new
        pairs = [h for h in hooks if zone_pair(h) is not None]
        applied = [h for h in hooks if hook_applies(gw, h, ctx)]
        if pairs and not any(h in pairs for h in applied):
            result = self.space.empty  # zone-pair firewalls deny between zones without policy
        for hook in applied:
            for chain in hooks[hook]:
                result = result & chain_accepts(pin_chain(chain, ctx), self.space, self.bound)
        if self.bound is Bound.UPPER and any(s.bound in (Bound.LOWER, Bound.BOTH)
                                             for s in gw.taint):
            result = self._new
        if self.bound is Bound.LOWER and any(s.bound in (Bound.UPPER, Bound.BOTH)
                                             for s in gw.taint):
            result = self.space.empty
        self._hops[key] = result
        return result

    def hop_set(self, hop: Hop) -> PacketSet:
        """New connections the hop's firewall forwards from any entry to any exit interface."""
        gw = self.gateways[hop.device]
        result = self.space.empty
        for iif, oif in itertools.product(hop.entry, hop.exit):
            for src_zone, dst_zone in itertools.product(gw.vendor_zones(iif),
                                                         gw.vendor_zones(oif)):
                result = result | self.hop_context_set(gw, HopContext(iif, oif, src_zone,
                                                                      dst_zone))
        return result

    def between(self, source: str, target: str) -> PacketSet:
        """Packets from zone ``source``'s addresses to zone ``target``'s."""
        src, src_neg = zone_addresses(self.inventory, source)
        dst, dst_neg = zone_addresses(self.inventory, target)
        return self.space.from_match(Match(src=src, src_negated=src_neg, dst=dst,
                                           dst_negated=dst_neg))

    def path_set(self, path: FirewallPath, source: str, target: str) -> PacketSet:
        """Packets from ``source`` to ``target`` every firewall of ``path`` forwards."""
        result = self.between(source, target)
        for hop in path.hops:
            if result.is_empty:
                break
            result = result & self.hop_set(hop)
        return result

    def compose(self, max_firewalls: int = MAX_FIREWALLS) -> list[PathReach]:
        """For each ordered zone pair, what passes along each firewall sequence (all
        sequences, single firewalls included), in zone order then shortest sequence first."""
        segs = segments(self.inventory, self.gateways)
        found: dict[tuple[str, str, tuple[str, ...]], PacketSet] = {}
        for path in firewall_paths(segs, max_firewalls):
            first, last = path.segments[0], path.segments[-1]
            for source in first.zones:
                for target in last.zones:
                    if source == target:
                        continue
                    packets = self.path_set(path, source, target)
                    if packets.is_empty:
                        continue
                    key = (source, target, path.via)
                    previous = found.get(key)
                    found[key] = packets if previous is None else previous | packets
        order = {z.id: i for i, z in enumerate(self.inventory.zones)}
        keys = sorted(found, key=lambda k: (order.get(k[0], len(order)), order.get(
            k[1], len(order)), len(k[2]), k[2]))
        return [PathReach(s, t, (via,), found[(s, t, via)]) for s, t, via in keys]


def composed_reach(inv: Inventory, gateways: Sequence[GatewayRuleset],
                   max_firewalls: int = MAX_FIREWALLS, bound: Bound = Bound.UPPER,
                   space: HeaderSpace | None = None) -> list[PathReach]:
    """Reach along paths crossing two or more firewalls, one entry per zone pair and firewall
    sequence, and for zone pairs with several sequences one more entry: their union (for
    ``bound`` of uncertain rules and taints; in ``space`` when given)."""
    per_sequence = ReachComposer(inv, gateways, bound, space).compose(max_firewalls)
    by_pair: dict[tuple[str, str], list[PathReach]] = {}
    for r in per_sequence:
        by_pair.setdefault((r.source, r.target), []).append(r)
    result: list[PathReach] = []
    for (source, target), items in by_pair.items():
        if all(len(r.via[0]) < 2 for r in items):
            continue  # one firewall at a time: zone_reach reports it per hook
        result.extend(r for r in items if len(r.via[0]) >= 2)
        if len(items) > 1:
            union = items[0].packets
            for r in items[1:]:
                union = union | r.packets
            result.append(PathReach(source, target, tuple(r.via[0] for r in items), union))
    return result


def composed_zone_reach(inv: Inventory,
                        gateways: Sequence[GatewayRuleset]) -> list[ZoneReach]:
    """:func:`composed_reach` as report entries (``via fw1,fw2``; alternatives ``|``),
    unproven where a firewall on the way is uncertain and the bounds differ."""
    upper = composed_reach(inv, gateways)
    doubts = [(gw.device.id, gw.doubt) for gw in gateways if gw.uncertain]
    lower: dict[tuple[str, str, tuple[tuple[str, ...], ...]], PacketSet] = {}
    if doubts and upper:
        space = upper[0].packets.space
        lower = {(r.source, r.target, r.via): r.packets
                 for r in composed_reach(inv, gateways, bound=Bound.LOWER, space=space)}
    out = []
    for r in upper:
        example = r.packets.example()
        unproven = ""
        crossed = {d for v in r.via for d in v}
        doubt = "; ".join(f"{d}: {why}" for d, why in doubts if d in crossed)
        if doubt:
            proved = lower.get((r.source, r.target, r.via), r.packets.space.empty)
            unproven = unproven_note(r.packets, proved, doubt)
        out.append(ZoneReach(r.source, r.target, " | ".join(",".join(v) for v in r.via), "",
                             r.packets.describe(), r.packets.size(),
                             str(example) if example else "", paths=r.via, unproven=unproven))
    return out
