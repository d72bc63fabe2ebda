"""Exact ruleset analysis over the whole header space: anomalies, packet queries, diffs.

Input: :class:`~egovops.firewall.flatten.FlatChain`\\ s (first-match lists, see
:mod:`egovops.firewall.flatten`). Output: :class:`Anomaly` findings, verdicts for one packet,
:class:`VerdictChange`\\ s between two versions of a chain, and the set of packets a chain
accepts (for the isolation audit). Nothing is sampled: every verdict is exact over all packets.

Definitions (``M_i`` = packets rule ``i`` matches, with its jump guard and exclusions; ``E_i`` =
the packets it decides, ``M_i`` minus every earlier ``M_j``):

* **never-matches**: ``M_i`` is empty (contradictory conditions, or a path that excludes it), or
  an earlier rule matches every packet.
* **shadowed** / **redundant-shadowed**: ``E_i`` is empty: earlier rules, alone or *together*,
  decide every packet of rule ``i``; "shadowed" when some of those packets get another verdict.
  ``related`` lists the deciders in first-match order.
* **redundant**: ``E_i`` is not empty but the rules after ``i`` (then the policy) give every
  packet of ``E_i`` the verdict rule ``i`` gives: removing it alone changes nothing (removing
  one redundant rule can make another one necessary).
* **correlated**: ``M_i`` partly overlaps an earlier ``M_j`` with another action, neither
  containing the other; **generalisation** (informational): ``M_i`` contains such an ``M_j``.
  Only rules that decide something take part.
* **undefined-reference**: a jump/goto to a missing chain (from the flattening).

How, in one pass in rule order, without comparing all pairs:

1. *Candidates from an index.* Every rule is filed in :class:`_OverlapIndex` under its
   destination port(s) and its destination and source address cells (the prefix cut to /8,
   /16, /24, /32, or "any"). A rule's candidates are the rules filed where it could meet them: a
   small superset of the rules that really overlap it, found with a few dozen dict look-ups.
2. *Exact sets, cheap where possible.* Nearly every rule is a :class:`~egovops.firewall.
   packetset.Box` (one value set per field); a box minus a box is a few disjoint boxes. The
   pass takes the earlier overlapping candidates out of rule ``i`` in order: what is left is
   ``E_i`` (shadowed when empty), and who took something are the deciders. The same on the
   later candidates gives the redundancy verdict: for a box rule whose ``E_i`` was not
   computed, the packets of it the later rules (then the policy) would give another verdict
   are cut into boxes, and a corner of one of them that no earlier rule contains (looked up
   in the index) proves at once that it is not redundant; else the earlier rules are taken
   out of those boxes, skipping the rules whose envelope (lowest and highest address and
   port) cannot meet them. Overlap and containment with the earlier
   candidates give correlations and generalisations. Rules that are not boxes (mixed-family
   negations, non-product ICMP lists, exclusions cutting a box), and remainders that would
   split into more than ``_MAX_PIECES`` boxes, switch to BDDs
   (:class:`~egovops.firewall.packetset.HeaderSpace`), which are exact for everything but cost
   tens of microseconds per operation on this hardware, against a few for boxes.
3. *General rules late in long chains* (a whole range to any address on one port) overlap
   thousands of earlier rules. They first try single packets, looked up in the index: a packet
   of the rule that no earlier rule matches proves it decides something (and, evaluated against
   the later rules, often proves it is not redundant); an earlier rule containing it proves it
   is shadowed, and sampled packets name the deciders and prove a differing verdict. Only what
   these shortcuts do not settle goes through step 2, with a balanced BDD union of the earlier
   rules. Every reported kind stays exact; only the ``related`` list of such a shortcut is drawn
   from sampled packets (its detail says so).

Work per rule is proportional to its overlapping neighbours, not to ``n``; lists of related rules
stop at ``max_related``. Packet queries (:func:`decide`, :func:`verdict`) evaluate the flat rules
directly; :func:`verdict_sets`, :func:`reachable` and :func:`diff` build full BDDs.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from egovops.firewall.flatten import FlatChain, FlatRule, flatten
from egovops.firewall.model import Action, Bound, Match, Ruleset
from egovops.firewall.packetset import (
    _F_DPORT,
    _F_DST,
    _F_FAMILY,
    _F_SRC,
    Box,
    HeaderSpace,
    Packet,
    PacketSet,
    conjunction_box,
    match_box,
    matches,
)


class AnomalyKind(StrEnum):
    """What is wrong (or worth knowing) about a rule."""

    SHADOWED = "shadowed"
    """Earlier rules decide every packet it matches, some with a different verdict."""
    REDUNDANT_SHADOWED = "redundant-shadowed"
    """Earlier rules decide every packet it matches, all with the same verdict."""
    REDUNDANT = "redundant"
    """Removing it alone changes no verdict: the later rules or the policy agree with it."""
    CORRELATED = "correlated"
    """Partly overlaps an earlier rule with a different action; neither contains the other."""
    GENERALISATION = "generalisation"
    """Contains an earlier rule with a different action (informational)."""
    NEVER_MATCHES = "never-matches"
    """No packet can reach it: contradictory conditions, or after an unconditional verdict."""
    UNDEFINED_REFERENCE = "undefined-reference"
    """A jump/goto to a chain that does not exist."""


_KIND_ORDER = {kind: i for i, kind in enumerate(AnomalyKind)}


@dataclass(frozen=True)
class Anomaly:
    """One finding about one rule of one base chain."""

    kind: AnomalyKind
    chain: str
    """Name of the base chain analysed."""
    rule: FlatRule
    related: tuple[FlatRule, ...]
    """The rules that cause it (blocking, overlapping, taking over), in rule order."""
    example: Packet | None
    """A packet showing it (``None`` when no packet can, e.g. never-matches)."""
    detail: str


@dataclass(frozen=True)
class VerdictChange:
    """Packets whose verdict goes from ``old`` to ``new`` between two versions of a chain."""

    old: Action
    new: Action
    packets: PacketSet
    description: str
    size: int
    example: Packet | None


def space_for(chains: Iterable[FlatChain]) -> HeaderSpace:
    """A header space covering every interface and zone name the chains use."""
    found: list[Match] = []
    for chain in chains:
        for fr in (*chain.rules, *chain.undefined):
            found.extend(fr.guard)
            found.extend(fr.excluded)
            found.append(fr.rule.match)
    return HeaderSpace.for_matches(found)


def rule_node(space: HeaderSpace, rule: FlatRule) -> Any:
    """BDD of the packets a flat rule matches (guard, own match, exclusions)."""
    return space.conjunction_node(rule.guard, rule.excluded) & space.match_node(rule.rule.match)


def rule_set(space: HeaderSpace, rule: FlatRule) -> PacketSet:
    """The packets a flat rule matches (when reached)."""
    return space.wrap(rule_node(space, rule))


# ---------------------------------------------------------------------------------------------
# Concrete packet queries.


def flat_rule_matches(rule: FlatRule, packet: Packet) -> bool:
    """Whether ``packet`` satisfies the flat rule's guard, own match and exclusions."""
    return all(matches(m, packet) for m in rule.conjuncts) and not any(
        matches(m, packet) for m in rule.excluded
    )


def takes_part(rule: FlatRule, bound: Bound | None) -> bool:
    """Whether ``rule`` counts as matching (all of its conjuncts) when evaluating for
    ``bound`` of the accepted packets: a certain rule always; an uncertain one (it matches an
    unknown part of them) as written when ``bound`` is ``None``, for the upper bound when it
    accepts, for the lower bound when it denies. Taking every uncertain accept and no
    uncertain deny gives a superset of what the chain really accepts, the opposite a subset,
    whatever part the uncertain rules really match."""
    if not rule.uncertain or bound is None or bound in (Bound.BOTH, Bound.NONE):
        return True
    return (rule.action is Action.ACCEPT) == (bound is Bound.UPPER)


def decide(flat_chain: FlatChain, packet: Packet,
           bound: Bound | None = None) -> tuple[FlatRule | None, Action]:
    """The rule deciding ``packet`` in one chain (``None`` = the policy) and its verdict
    (for ``bound``: see :func:`takes_part`)."""
    for rule in flat_chain.rules:
        if takes_part(rule, bound) and flat_rule_matches(rule, packet):
            return rule, rule.action
    return None, flat_chain.policy


def verdict(chains: Sequence[FlatChain], packet: Packet,
            bound: Bound | None = None) -> tuple[FlatRule | None, Action]:
    """Which rule decides ``packet`` and how, across base chains crossed in order.

    ``chains`` are the base chains of one hook in priority order (netfilter semantics): a drop
    or reject in any of them is final, an accept hands the packet to the next chain; a chain of
    another address family is skipped. Returns the deciding rule (``None`` when a policy
    decided) and the verdict; no chain means accept.
    """
    decided: tuple[FlatRule | None, Action] = (None, Action.ACCEPT)
    for chain in chains:
        if chain.families is not None and packet.family not in chain.families:
            continue  # an ip (ip6) chain never sees IPv6 (IPv4) packets
        decided = decide(chain, packet, bound)
        if decided[1] is not Action.ACCEPT:
            return decided
    return decided


# ---------------------------------------------------------------------------------------------
# Packet-set queries.


def verdict_sets(
    flat_chain: FlatChain, space: HeaderSpace | None = None, bound: Bound | None = None
) -> dict[Action, PacketSet]:
    """For each verdict the chain can give, the exact set of packets getting it.

    With uncertain rules (:attr:`FlatRule.uncertain`), ``bound`` ``upper`` gives the largest
    accepted set any reading of them allows and ``lower`` the smallest (:func:`takes_part`);
    ``None`` reads them as written. Without uncertain rules the bound changes nothing.
    """
    space = space or space_for([flat_chain])
    covered = space.false
    decided: dict[Action, Any] = {}
    for rule in flat_chain.rules:
        if not takes_part(rule, bound):
            continue
        node = rule_node(space, rule)
        effective = node & ~covered
        if effective != space.false:
            decided[rule.action] = decided.get(rule.action, space.false) | effective
            covered = covered | effective
    rest = space.universe_node & ~covered
    if rest != space.false:
        decided[flat_chain.policy] = decided.get(flat_chain.policy, space.false) | rest
    return {action: space.wrap(node) for action, node in decided.items()}


def reachable(
    flat_chain: FlatChain, action: Action = Action.ACCEPT, space: HeaderSpace | None = None
) -> PacketSet:
    """The packets the chain gives ``action`` (by default: the packets it lets through)."""
    space = space or space_for([flat_chain])
    return verdict_sets(flat_chain, space).get(action, space.empty)


def diff(
    old: FlatChain, new: FlatChain, space: HeaderSpace | None = None
) -> list[VerdictChange]:
    """Every (old verdict, new verdict) pair that changes, with its packets, size and example."""
    space = space or space_for([old, new])
    before = verdict_sets(old, space)
    after = verdict_sets(new, space)
    order = list(Action)
    changes = []
    for a in sorted(before, key=order.index):
        for b in sorted(after, key=order.index):
            if a is b:
                continue
            packets = before[a] & after[b]
            if packets.is_empty:
                continue
            changes.append(
                VerdictChange(a, b, packets, packets.describe(), packets.size(), packets.example())
            )
    return changes


# ---------------------------------------------------------------------------------------------
# Anomalies.


_LEVELS = {4: (8, 16, 24, 32), 6: (32, 48, 64, 128)}
_WIDTH = {4: 32, 6: 128}
_WILD_CELL = (0, 0, 0)
_PORT_ANY = -1
_PORT_RANGE = -2
_EXPAND_PORTS = 16
_MAX_INTERVALS = 16

_Keys = tuple[
    "tuple[tuple[int, int], ...] | None",
    "tuple[int, tuple[tuple[int, int], ...]] | None",
    "tuple[int, tuple[tuple[int, int], ...]] | None",
]


def _prefix_intervals(
    prefixes: Sequence[Any] | None,
) -> tuple[int, tuple[tuple[int, int], ...]] | None:
    if not prefixes:
        return None
    versions = {net.version for net in prefixes}
    if len(versions) > 1:
        return None
    return versions.pop(), tuple(
        sorted((int(net.network_address), int(net.broadcast_address)) for net in prefixes)
    )


def _narrowest(conjuncts: Sequence[Match], attr: str) -> tuple[Any, ...] | None:
    """The non-negated condition ``attr`` of the conjunct allowing the fewest values."""
    best: tuple[Any, ...] | None = None
    best_span = 0
    for match in conjuncts:
        values = getattr(match, attr)
        if not values or getattr(match, f"{attr}_negated"):
            continue
        if attr == "dports":
            span = sum(r.hi - r.lo + 1 for r in values)
        else:
            span = sum(net.num_addresses << (96 if net.version == 4 else 0) for net in values)
        if best is None or span < best_span:
            best, best_span = values, span
    return best


def _index_keys(rule: FlatRule, box: Box | None) -> _Keys:
    """(dst ports, dst addresses, src addresses) every packet of the rule lies in (``None`` =
    unknown/any): from the box when there is one, else from the narrowest conjunct."""
    if box is not None:
        f = box.fields
        family = f[_F_FAMILY]
        version = next(iter(family)) if isinstance(family, frozenset) and len(family) == 1 else 0
        dport = f[_F_DPORT]
        dst = f[_F_DST]
        src = f[_F_SRC]
        return (
            dport if isinstance(dport, tuple) and len(dport) <= _MAX_INTERVALS else None,
            (version, dst) if version and isinstance(dst, tuple)
            and len(dst) <= _MAX_INTERVALS else None,
            (version, src) if version and isinstance(src, tuple)
            and len(src) <= _MAX_INTERVALS else None,
        )
    conjuncts = rule.conjuncts
    ports = _narrowest(conjuncts, "dports")
    return (
        tuple((r.lo, r.hi) for r in ports) if ports else None,
        _prefix_intervals(_narrowest(conjuncts, "dst")),
        _prefix_intervals(_narrowest(conjuncts, "src")),
    )


def _cells(addresses: tuple[int, tuple[tuple[int, int], ...]] | None) -> set[tuple[int, int, int]]:
    """Index cells of an address condition: per interval, the cell (version, level, network)
    of the deepest level that holds it whole; the wild cell when none does or for "any"."""
    if addresses is None:
        return {_WILD_CELL}
    version, intervals = addresses
    width = _WIDTH[version]
    cells = set()
    for lo, hi in intervals:
        cell = _WILD_CELL
        for level in _LEVELS[version]:
            shift = width - level
            if lo >> shift != hi >> shift:
                break
            cell = (version, level, lo >> shift << shift)
        cells.add(cell)
    return cells


def _port_keys(ranges: tuple[tuple[int, int], ...] | None) -> list[int]:
    if ranges is None:
        return [_PORT_ANY]
    if sum(hi - lo + 1 for lo, hi in ranges) > _EXPAND_PORTS:
        return [_PORT_RANGE]
    return sorted({p for lo, hi in ranges for p in range(lo, hi + 1)})


_Cell = tuple[int, int, int]


class _OverlapIndex:
    """A cheap index of rules by destination port, destination cell and source cell.

    A cell is an address interval's deepest enclosing block among a few levels (/8, /16, /24,
    /32 for IPv4; /32, /48, /64, /128 for IPv6) or "any". A query visits the port buckets it
    can meet, and in each the cells that can meet its own addresses (the enclosing cells at
    every level, and the existing cells inside its intervals), in both address dimensions. It
    returns a superset of the rules that can share a packet with the query; exact tests follow.
    """

    def __init__(self) -> None:
        # port key -> dst cell -> src cell -> positions
        self.table: dict[int, dict[tuple[int, int, int], dict[tuple[int, int, int], list[int]]]]
        self.table = {}
        # port key -> src cell -> positions: for queries with any destination
        self.by_src: dict[int, dict[tuple[int, int, int], list[int]]] = {}
        self._dst: set[tuple[int, int, int]] = set()
        self._src: set[tuple[int, int, int]] = set()
        self.dst_sorted: dict[tuple[int, int], list[int]] = {}
        self.src_sorted: dict[tuple[int, int], list[int]] = {}
        # every port key merged, for queries on any port (built by freeze)
        self.any_port: dict[_Cell, dict[_Cell, list[int]]] = {}
        self.any_port_by_src: dict[_Cell, list[int]] = {}
        # query parts many rules share (service ports, department subnets), once frozen
        self._ports_of: dict[
            tuple[tuple[int, int], ...] | None,
            tuple[list[dict[_Cell, dict[_Cell, list[int]]]], list[dict[_Cell, list[int]]]],
        ] = {}
        self._dst_cells: dict[tuple[int, tuple[tuple[int, int], ...]], set[_Cell] | None] = {}
        self._src_cells: dict[tuple[int, tuple[tuple[int, int], ...]], set[_Cell] | None] = {}

    def add(self, position: int, keys: _Keys) -> None:
        ports, dst, src = keys
        dcells = _cells(dst)
        scells = _cells(src)
        self._dst |= dcells
        self._src |= scells
        for port in _port_keys(ports):
            src_only = self.by_src.setdefault(port, {})
            for scell in scells:
                src_only.setdefault(scell, []).append(position)
            by_dst = self.table.setdefault(port, {})
            for dcell in dcells:
                by_src = by_dst.setdefault(dcell, {})
                for scell in scells:
                    by_src.setdefault(scell, []).append(position)

    def freeze(self) -> None:
        """Sort the existing cells per level (for "cells inside" look-ups)."""
        self._ports_of.clear()
        self._dst_cells.clear()
        self._src_cells.clear()
        # (a rule filed under several ports is listed once per port: the queries make sets)
        self.any_port = {}
        for by_dst in self.table.values():
            for dcell, by_src in by_dst.items():
                into = self.any_port.setdefault(dcell, {})
                for scell, positions in by_src.items():
                    into.setdefault(scell, []).extend(positions)
        self.any_port_by_src = {}
        for src_only in self.by_src.values():
            for scell, positions in src_only.items():
                self.any_port_by_src.setdefault(scell, []).extend(positions)
        for cells, out in ((self._dst, self.dst_sorted), (self._src, self.src_sorted)):
            out.clear()
            for version, level, net in cells:
                if level:
                    out.setdefault((version, level), []).append(net)
            for nets in out.values():
                nets.sort()

    @staticmethod
    def _visit(
        addresses: tuple[int, tuple[tuple[int, int], ...]] | None,
        existing: dict[tuple[int, int], list[int]],
    ) -> set[tuple[int, int, int]] | None:
        """Cells that can meet ``addresses`` (``None``: every cell)."""
        if addresses is None:
            return None
        version, intervals = addresses
        width = _WIDTH[version]
        cells = {_WILD_CELL}
        for lo, hi in intervals:
            for level in _LEVELS[version]:
                shift = width - level
                if lo >> shift == hi >> shift:
                    cells.add((version, level, lo >> shift << shift))
                else:
                    nets = existing.get((version, level))
                    if nets:
                        start = bisect_left(nets, lo >> shift << shift)
                        for net in nets[start:bisect_right(nets, hi)]:
                            cells.add((version, level, net))
        return cells

    def containing(self, point: Sequence[int]) -> set[int]:
        """Positions of every rule that may contain the packet ``point`` (a superset)."""
        version = point[_F_FAMILY]
        width = _WIDTH[version]

        def cells(value: int) -> list[tuple[int, int, int]]:
            out = [_WILD_CELL]
            for level in _LEVELS[version]:
                shift = width - level
                out.append((version, level, value >> shift << shift))
            return out

        dcells = cells(point[_F_DST])
        scells = cells(point[_F_SRC])
        found: set[int] = set()
        for port in (point[_F_DPORT], _PORT_RANGE, _PORT_ANY):
            by_dst = self.table.get(port)
            if by_dst is None:
                continue
            for dcell in dcells:
                by_src = by_dst.get(dcell)
                if by_src is None:
                    continue
                for scell in scells:
                    positions = by_src.get(scell)
                    if positions is not None:
                        found.update(positions)
        return found

    def candidates(self, keys: _Keys) -> set[int]:
        """Positions of every rule that may share a packet with a rule of ``keys``."""
        ranges, dst, src = keys
        table = self.table
        tables = self._ports_of.get(ranges)
        if tables is None:
            if ranges is None:
                tables = [self.any_port], [self.any_port_by_src]
            else:
                wanted = set(_port_keys(ranges))
                wide = _PORT_RANGE in wanted
                ports = [
                    p for p in table
                    if p < 0 or p in wanted or (wide and any(lo <= p <= hi for lo, hi in ranges))
                ]
                tables = [table[p] for p in ports], [self.by_src[p] for p in ports]
            self._ports_of[ranges] = tables
        port_tables, src_tables = tables
        dcells: set[_Cell] | None = None
        if dst is not None:
            dcells = self._dst_cells.get(dst)
            if dcells is None:
                dcells = self._visit(dst, self.dst_sorted)
                self._dst_cells[dst] = dcells
        scells: set[_Cell] | None = None
        if src is not None:
            scells = self._src_cells.get(src)
            if scells is None:
                scells = self._visit(src, self.src_sorted)
                self._src_cells[src] = scells
        found: set[int] = set()
        if dcells is None and scells is not None:
            for src_only in src_tables:
                if len(scells) < len(src_only):
                    for c in scells:
                        positions = src_only.get(c)
                        if positions is not None:
                            found.update(positions)
                else:
                    for c, positions in src_only.items():
                        if c in scells:
                            found.update(positions)
            return found
        for by_dst in port_tables:
            if dcells is None:
                entries: Iterable[dict[tuple[int, int, int], list[int]]] = by_dst.values()
            elif len(dcells) < len(by_dst):
                entries = [by_dst[c] for c in dcells if c in by_dst]
            else:
                entries = [entry for c, entry in by_dst.items() if c in dcells]
            for by_src in entries:
                if scells is None:
                    for positions in by_src.values():
                        found.update(positions)
                elif len(scells) < len(by_src):
                    for c in scells:
                        positions = by_src.get(c)
                        if positions is not None:
                            found.update(positions)
                else:
                    for c, positions in by_src.items():
                        if c in scells:
                            found.update(positions)
        return found


_ACTIVE, _SHADOWED, _EMPTY, _AFTER = range(4)
_Set = Any
"""Packets while analysing: a :class:`Box`, a list of disjoint boxes, or a BDD node."""
_MAX_PIECES = 64
_WITNESS_AFTER = 24
"""Rules overlapping at least this many earlier rules first look for witness packets."""
_WITNESS_TRIES = 8
_MANY = 64
"""Rules with this many earlier candidates try the single-packet shortcuts first."""
_CORNER_PIECES = 32
"""How many boxes :meth:`_ChainAnalysis._undecided_point` tries the corners of."""


_Envelope = tuple[int, int, int, int, int, int]
_BEYOND = 1 << _WIDTH[6]
"""Above every address and port: the upper end of the envelope of an "any" field."""
_NO_ENVELOPE: _Envelope = (_BEYOND, -1, _BEYOND, -1, _BEYOND, -1)
"""Meets no envelope (empty boxes, and the placeholder for rules that are not boxes)."""


def _envelope(box: Box) -> _Envelope:
    """(lowest, highest) destination address, source address and destination port of a box,
    as plain integers of any family: boxes whose envelopes do not meet share no packet (a
    cheap test before :meth:`Box.overlaps` on many boxes)."""
    out: list[int] = []
    fields = box.fields
    for index in (_F_DST, _F_SRC, _F_DPORT):
        value = fields[index]
        if value is None:
            out += (0, _BEYOND)
        elif value:
            out += (value[0][0], value[-1][1])  # type: ignore[index]
        else:
            return _NO_ENVELOPE
    return out[0], out[1], out[2], out[3], out[4], out[5]


def _envelope_of(boxes: Sequence[Box]) -> _Envelope:
    """The smallest envelope holding the envelopes of every box (of none: meets nothing)."""
    if not boxes:
        return _NO_ENVELOPE
    envelopes = [_envelope(box) for box in boxes]
    if len(envelopes) == 1:
        return envelopes[0]
    return (
        min(e[0] for e in envelopes), max(e[1] for e in envelopes),
        min(e[2] for e in envelopes), max(e[3] for e in envelopes),
        min(e[4] for e in envelopes), max(e[5] for e in envelopes),
    )


class _ChainAnalysis:
    """One pass over a chain; see the module docstring."""

    def __init__(self, chain: FlatChain, space: HeaderSpace, max_related: int) -> None:
        self.chain = chain
        self.space = space
        self.max_related = max_related
        self.rules = chain.rules
        self.boxes = [
            conjunction_box(space, rule.conjuncts, rule.excluded) for rule in chain.rules
        ]
        self.envelopes = [
            _envelope(box) if box is not None else _NO_ENVELOPE for box in self.boxes
        ]
        self._nodes: dict[int, Any] = {}
        self.status = [_ACTIVE] * len(self.rules)
        self.anomalies: list[Anomaly] = []
        self.index = _OverlapIndex()
        self.empty = [self._is_empty(self.set_of(i)) for i in range(len(self.rules))]
        self.keys: list[_Keys | None] = [None] * len(self.rules)
        for i, rule in enumerate(self.rules):
            if not self.empty[i]:
                keys = self.keys[i] = _index_keys(rule, self.boxes[i])
                self.index.add(i, keys)
        self.index.freeze()

    # -- sets: boxes when possible, BDDs otherwise -------------------------------------------
    #
    # A rule's set is its Box or, when it is not a box, its BDD. What is left of a set while
    # earlier (or later) rules are taken away is a list of disjoint boxes, or a BDD once the
    # list would grow past _MAX_PIECES or a non-box rule is involved.

    def node(self, i: int) -> Any:
        node = self._nodes.get(i)
        if node is None:
            node = rule_node(self.space, self.rules[i])
            self._nodes[i] = node
        return node

    def set_of(self, i: int) -> _Set:
        box = self.boxes[i]
        return box if box is not None else self.node(i)

    def _as_node(self, value: _Set) -> Any:
        if isinstance(value, Box):
            return value.node()
        if isinstance(value, list):
            node = self.space.false
            for box in value:
                node = node | box.node()
            return node
        return value

    def _is_empty(self, value: _Set) -> bool:
        if isinstance(value, Box):
            return value.is_empty
        if isinstance(value, list):
            return not value
        return bool(value == self.space.false)

    def _overlaps_rule_set(self, value: _Set, j: int) -> bool:
        """Whether ``value`` (box, box list or BDD) meets rule ``j``."""
        other = self.set_of(j)
        if isinstance(other, Box):
            if isinstance(value, Box):
                return value.overlaps(other)
            if isinstance(value, list):
                return any(piece.overlaps(other) for piece in value)
        return bool((self._as_node(value) & self.node(j)) != self.space.false)

    def _meeting(self, mine: _Set, positions: Iterable[int], active: bool) -> Iterator[int]:
        """The rules in ``positions`` that meet ``mine`` (a rule's set), in order: only the
        active ones (``active``) or only the non-empty ones. Same as testing each with
        :meth:`_overlaps_rule_set`, with the fields of ``mine`` prepared once for boxes."""
        status = self.status
        empty = self.empty
        if not isinstance(mine, Box):
            for j in positions:
                if (status[j] != _ACTIVE if active else empty[j]):
                    continue
                if self._overlaps_rule_set(mine, j):
                    yield j
            return
        boxes = self.boxes
        meets = mine.overlap_test()
        for j in positions:
            if (status[j] != _ACTIVE if active else empty[j]):
                continue
            box = boxes[j]
            if box is None:
                if self._overlaps_rule_set(mine, j):
                    yield j
            elif meets(box):
                yield j

    def _inside(self, a: _Set, b: _Set) -> bool:
        if isinstance(a, Box) and isinstance(b, Box):
            return a <= b
        return bool((self._as_node(a) & ~self._as_node(b)) == self.space.false)

    def _some_of_intersection(self, a: _Set, b: _Set) -> _Set:
        """A non-empty part of ``a & b`` (all of it for boxes and BDDs), for examples."""
        if isinstance(b, Box):
            if isinstance(a, Box):
                return a & b
            if isinstance(a, list):
                for piece in a:
                    if piece.overlaps(b):
                        return piece & b
        return self._as_node(a) & self._as_node(b)

    def _take(self, remaining: _Set, j: int, want_part: bool) -> tuple[bool, _Set, _Set | None]:
        """Take rule ``j``'s packets out of ``remaining``: whether it had any, what is left,
        and (when ``want_part``) some of what it took, for an example."""
        other = self.set_of(j)
        if isinstance(other, Box) and isinstance(remaining, list):
            hit: list[Box] = []
            pieces: list[Box] = []
            for p in remaining:
                (hit if p.overlaps(other) else pieces).append(p)
            if not hit:
                return False, remaining, None
            part = hit[0] & other if want_part else None
            for piece in hit:
                pieces.extend(piece.cut(other))
            if len(pieces) <= _MAX_PIECES:
                return True, pieces, part
            return True, self._as_node(pieces), part
        node = self._as_node(remaining)
        other_node = self.node(j)
        left = node & ~other_node
        if left == node:
            return False, remaining, None
        return True, left, (node & other_node) if want_part else None

    def _is_universe(self, value: _Set) -> bool:
        if isinstance(value, Box):
            return value.is_full
        return bool(value == self.space.universe_node)

    def _example(self, value: _Set) -> Packet | None:
        if isinstance(value, Box):
            return value.example()
        if isinstance(value, list):
            return value[0].example() if value else None
        return self.space.example_node(value)

    # -- helpers -------------------------------------------------------------------------------

    def add(
        self, kind: AnomalyKind, index: int, related: Iterable[int], packets: _Set | None,
        detail: str,
    ) -> None:
        self.anomalies.append(
            Anomaly(
                kind,
                self.chain.name,
                self.rules[index],
                tuple(self.rules[j] for j in related),
                self._example(packets) if packets is not None else None,
                detail,
            )
        )

    def listing(self, indexes: Sequence[int], total: int, complete: bool = True) -> str:
        text = ", ".join(f"#{j} {self.rules[j].source} ({self.rules[j].action})" for j in indexes)
        more = total - len(indexes)
        if more > 0:
            text += f" and {more}{'' if complete else ' or more'} more"
        return text or "none"

    # -- the pass --------------------------------------------------------------------------------

    def run(self) -> list[Anomaly]:
        rules = self.rules
        status = self.status
        unconditional: int | None = None
        for i, rule in enumerate(rules):
            if self.empty[i]:
                status[i] = _EMPTY
                if not rule.implicit:
                    self.never(i)
                continue
            if unconditional is not None:
                status[i] = _AFTER
                if not rule.implicit:
                    first = rules[unconditional]
                    self.add(
                        AnomalyKind.NEVER_MATCHES, i, (unconditional,), None,
                        f"it comes after #{first.index} {first.source}, which gives every packet "
                        f"'{first.action}'",
                    )
                continue
            mine = self.set_of(i)
            if self._is_universe(mine):
                unconditional = i
            keys = self.keys[i]
            assert keys is not None  # filed in the index: not empty
            candidates = sorted(self.index.candidates(keys))
            split = bisect_left(candidates, i)
            if split >= _MANY and isinstance(mine, Box) and self.many_earlier(
                i, mine, candidates, split
            ):
                continue
            earlier = list(self._meeting(mine, candidates[:split], True))
            witnesses = self.witnesses(mine, earlier, i)
            if witnesses:
                # not shadowed (a packet of it no earlier rule matches): the exact remainder
                # is only computed if the redundancy check needs it
                self.overlaps(i, earlier)
                self.redundant(i, None, candidates[split + 1:], earlier, witnesses)
                continue
            if self.shadowed_by_container(i, mine, earlier):
                continue
            # first-match share of every overlapping earlier rule: what rule i still decides
            remaining: _Set = [mine] if isinstance(mine, Box) else mine
            deciders: list[int] = []
            differing: _Set | None = None
            for j in earlier:
                want = differing is None and rules[j].action is not rule.action
                taken, remaining, part = self._take(remaining, j, want)
                if not taken:
                    continue
                if want:
                    differing = part
                deciders.append(j)
                if self._is_empty(remaining):
                    break
            if earlier and self._is_empty(remaining):
                status[i] = _SHADOWED
                if not rule.implicit:
                    self.shadowed(i, deciders, differing)
                continue
            if rule.implicit:
                continue
            self.overlaps(i, earlier)
            self.redundant(i, remaining, candidates[split + 1:], earlier, [])
        for rule in self.chain.undefined:
            self.anomalies.append(
                Anomaly(
                    AnomalyKind.UNDEFINED_REFERENCE,
                    self.chain.name,
                    rule,
                    (),
                    None,
                    f"{rule.rule.action} to chain {rule.rule.target!r}, which is not defined; "
                    "the analysis treats the rule as absent",
                )
            )
        self.anomalies.sort(key=lambda a: (a.rule.index, _KIND_ORDER[a.kind]))
        return self.anomalies

    def never(self, i: int) -> None:
        rule = self.rules[i]
        own = match_box(self.space, rule.rule.match)
        own_empty = (
            own.is_empty if own is not None
            else self.space.match_node(rule.rule.match) == self.space.false
        )
        if own_empty:
            reason = "its conditions contradict each other"
        else:
            reason = (
                f"no packet reaches it through {' > '.join(rule.path)} (the jump conditions "
                "or an earlier return/goto exclude it)"
            )
        self.add(AnomalyKind.NEVER_MATCHES, i, (), None, reason)

    def shadowed(self, i: int, deciders: list[int], differing: _Set | None) -> None:
        rule = self.rules[i]
        shown = deciders[:self.max_related]
        listed = self.listing(shown, len(deciders))
        if differing is not None:
            self.add(
                AnomalyKind.SHADOWED, i, shown, differing,
                f"earlier rules decide every packet it matches, some not '{rule.action}': "
                f"{listed}",
            )
        else:
            self.add(
                AnomalyKind.REDUNDANT_SHADOWED, i, shown, self.set_of(i),
                f"earlier rules decide every packet it matches, all '{rule.action}' like it: "
                f"{listed}",
            )

    def overlaps(self, i: int, earlier: Iterable[int]) -> None:
        """Correlations with and generalisations of earlier rules with another action.

        The scan stops once ``max_related`` rules of both kinds are listed."""
        rules = self.rules
        mine = self.set_of(i)
        action = rules[i].action
        limit = self.max_related
        correlated: list[int] = []
        contained: list[int] = []
        complete = True
        boxes = self.boxes
        holds = mine.superset_test() if isinstance(mine, Box) else None
        for j in earlier:
            if rules[j].action is action or rules[j].implicit:
                continue
            box = boxes[j]
            if holds is not None and box is not None:
                inside = holds(box)
            else:
                inside = self._inside(self.set_of(j), mine)
            if inside:
                contained.append(j)
            else:
                correlated.append(j)
            if len(contained) > limit and len(correlated) > limit:
                complete = False
                break
        if correlated:
            first = correlated[0]
            shown = correlated[:limit]
            self.add(
                AnomalyKind.CORRELATED, i, shown,
                self._some_of_intersection(mine, self.set_of(first)),
                f"partly overlaps earlier rules with another action: "
                f"{self.listing(shown, len(correlated), complete)}; packets in the overlap get "
                f"'{rules[first].action}' from #{first}, not '{action}'",
            )
        if contained:
            shown = contained[:limit]
            self.add(
                AnomalyKind.GENERALISATION, i, shown, self.set_of(contained[0]),
                f"generalises earlier rules with another action (they are its exceptions): "
                f"{self.listing(shown, len(contained), complete)}",
            )

    def decider_of_point(self, point: tuple[int, ...], before: int) -> int | None:
        """The first active rule before position ``before`` containing ``point``; -1 when a
        non-box rule might (unknown), ``None`` when no rule does."""
        best: int | None = None
        for j in self.index.containing(point):
            if j >= before or self.status[j] != _ACTIVE or (best is not None and j > best):
                continue
            box = self.boxes[j]
            if box is None:
                return -1
            if box.contains_point(point):
                best = j
        return best

    def many_earlier(self, i: int, mine: Box, candidates: list[int], split: int) -> bool:
        """Shortcuts for a box rule with many earlier candidates (general rules late in a
        long chain), by looking up single packets in the index instead of scanning: a packet
        of it that no earlier rule matches proves it is not shadowed; an earlier rule
        containing it proves it is. Returns False when neither settles it."""
        rules = self.rules
        action = rules[i].action
        points = mine.points(_WITNESS_TRIES, i)
        deciders = [self.decider_of_point(p, i) for p in points]
        witnesses = [p for p, d in zip(points, deciders, strict=True) if d is None]
        if witnesses:
            earlier = self._meeting(mine, candidates[:split], True)
            seen: list[int] = []

            def recorded() -> Iterator[int]:
                for j in earlier:
                    seen.append(j)
                    yield j

            self.overlaps(i, recorded())
            later = candidates[split + 1:]
            not_box = self.first_not_box(later)
            for point in witnesses:
                if self.verdict_after(point, i, not_box) not in (action, None):
                    return True
            full = seen + list(earlier)  # the rest of the same scan
            self.redundant(i, None, later, full, [])
            return True
        if any(d is None or d < 0 for d in deciders):
            return False
        container = min(
            (j for j in self.index.containing(points[0])
             if j < i and self.status[j] == _ACTIVE and self.boxes[j] is not None
             and mine <= self.boxes[j]),  # type: ignore[operator]
            default=None,
        )
        if container is None:
            return False
        found: set[int] = set()
        differing: Packet | None = None
        for point in mine.points(_WITNESS_TRIES * 4, i):
            j = self.decider_of_point(point, container + 1)
            if j is None or j < 0:
                return False
            found.add(j)
            if differing is None and rules[j].action is not action:
                differing = mine.packet(point)
        if differing is None:
            # earlier rules with another action that overlap it: do they decide any of its
            # packets? Try packets of each overlap; undecided after a few tries: exact path.
            others = list(self._meeting(
                mine,
                (j for j in candidates[:bisect_left(candidates, container + 1)]
                 if rules[j].action is not action),
                True,
            ))
            for j in others[:_WITNESS_TRIES]:
                box = self.boxes[j]
                if box is None:
                    return False
                for point in (mine & box).points(2, j):
                    decider = self.decider_of_point(point, container + 1)
                    if decider is not None and decider >= 0 and (
                        rules[decider].action is not action
                    ):
                        found.add(decider)
                        differing = mine.packet(point)
                        break
                if differing is not None:
                    break
            if differing is None and others:
                return False
        self.report_container(i, mine, container, sorted(found), differing)
        return True

    def witnesses(self, mine: _Set, earlier: list[int], seed: int) -> list[tuple[int, ...]]:
        """For a box rule overlapping many earlier box rules: a few of its packets that no
        earlier rule matches (empty when none of the tries is such a packet)."""
        if len(earlier) < _WITNESS_AFTER or not isinstance(mine, Box):
            return []
        others = [self.boxes[j] for j in earlier]
        if any(box is None for box in others):
            return []
        boxes = [box for box in others if box is not None]
        found = []
        for point in mine.points(_WITNESS_TRIES, seed):
            if not any(box.contains_point(point) for box in boxes):
                found.append(point)
                if len(found) == 2:
                    break
        return found

    def shadowed_by_container(self, i: int, mine: _Set, earlier: list[int]) -> bool:
        """Settle a box rule overlapping many earlier box rules, one of which contains it:
        it is shadowed; its deciders are listed from sampled packets. Returns False (nothing
        reported) when there is no container or the verdicts need the exact computation."""
        if len(earlier) < _WITNESS_AFTER or not isinstance(mine, Box):
            return False
        boxes = self.boxes
        rules = self.rules
        container = next((j for j in earlier if mine <= boxes[j]), None)  # type: ignore[operator]
        if container is None:
            return False
        before = earlier[:earlier.index(container) + 1]
        action = rules[i].action
        found: set[int] = set()
        differing: Packet | None = None
        for point in mine.points(_WITNESS_TRIES * 4, i):
            for j in before:
                box = boxes[j]
                if box is not None and box.contains_point(point):
                    found.add(j)
                    if differing is None and rules[j].action is not action:
                        differing = mine.packet(point)
                    break
        if differing is None and any(rules[j].action is not action for j in before):
            return False  # some earlier rule acts otherwise: does it decide any packet?
        self.report_container(i, mine, container, sorted(found), differing)
        return True

    def report_container(
        self, i: int, mine: Box, container: int, deciders: list[int], differing: Packet | None
    ) -> None:
        rules = self.rules
        action = rules[i].action
        self.status[i] = _SHADOWED
        if rules[i].implicit:
            return
        shown = deciders[:self.max_related]
        listed = self.listing(shown, len(shown)) + " (and others: sampled)"
        if differing is not None:
            detail = (f"earlier rules decide every packet it matches, some not '{action}' "
                      f"(#{container} {rules[container].source} alone covers it): {listed}")
            kind = AnomalyKind.SHADOWED
        else:
            detail = (f"earlier rules decide every packet it matches, all '{action}' like it "
                      f"(#{container} {rules[container].source} alone covers it): {listed}")
            kind = AnomalyKind.REDUNDANT_SHADOWED
        self.anomalies.append(
            Anomaly(kind, self.chain.name, rules[i], tuple(rules[j] for j in shown),
                    differing or mine.example(), detail)
        )

    def redundant_by_boxes(
        self, i: int, mine: _Set, later: list[int], earlier: list[int]
    ) -> bool | None:
        """Redundancy of box rule ``i`` without its remainder: the packets of it that the
        later rules (then the policy) would give another verdict must all be decided by
        earlier rules. ``None`` when that cannot be settled with few boxes. ``earlier`` must
        be every active earlier rule overlapping it, in order (the corner checks of
        :meth:`_undecided_point` find them through the index)."""
        if not isinstance(mine, Box):
            return None
        rules = self.rules
        boxes = self.boxes
        envelopes = self.envelopes
        action = rules[i].action
        rest: list[Box] = [mine]
        other: list[Box] = []
        tries = _CORNER_PIECES
        env = _envelope_of(rest)
        for k in later:
            box = boxes[k]
            if box is None:
                return None
            e = envelopes[k]
            if (e[0] > env[1] or env[0] > e[1] or e[2] > env[3] or env[2] > e[3]
                    or e[4] > env[5] or env[4] > e[5]):
                continue  # no piece can meet it
            hit: list[Box] = []
            kept: list[Box] = []
            for p in rest:
                (hit if p.overlaps(box) else kept).append(p)
            if not hit:
                continue
            if rules[k].action is not action:
                given = [p & box for p in hit]
                if tries > 0:
                    # packets rule k would decide otherwise: one no earlier rule decides
                    # settles it (not redundant) without the rest of the pass
                    tries -= len(given)
                    if self._undecided_point(i, given):
                        return False
                other.extend(given)
            rest = kept
            for piece in hit:
                rest.extend(piece.cut(box))
            env = _envelope_of(rest)
            if len(rest) + len(other) > 4 * _MAX_PIECES:
                return False if self._undecided_point(i, other) else None
        if self.chain.policy is not action:
            other.extend(rest)
        if self._undecided_point(i, other):
            return False
        env = _envelope_of(other)
        for j in earlier:
            box = boxes[j]
            if box is None:
                return None
            e = envelopes[j]
            if not (e[0] > env[1] or env[0] > e[1] or e[2] > env[3] or env[2] > e[3]
                    or e[4] > env[5] or env[4] > e[5]):
                left: list[Box] = []
                changed = False
                for piece in other:
                    if piece.overlaps(box):
                        left.extend(piece.cut(box))
                        changed = True
                    else:
                        left.append(piece)
                if changed:
                    other = left
                    env = _envelope_of(other)
            if not other:
                return True
            if len(other) > 4 * _MAX_PIECES:
                return False if self._undecided_point(i, other) else None
        return not other

    def _undecided_point(self, i: int, other: list[Box]) -> bool:
        """Whether a corner packet of one of the first boxes of ``other`` (packets of rule
        ``i`` that the later rules or the policy give another verdict) is in no active
        earlier rule, looked up in the index: then rule ``i`` decides it, and is not
        redundant. False when no corner tried is such a packet."""
        for piece in other[:_CORNER_PIECES]:
            for point in piece.points(2, i):
                if self.decider_of_point(point, i) is None:
                    return True
        return False

    def exact_remainder(self, i: int, earlier: list[int]) -> _Set:
        """What rule ``i`` decides: its set minus every overlapping earlier rule (BDD)."""
        nodes = [self.node(j) for j in earlier]
        while len(nodes) > 1:  # balanced union: cheaper than one long chain of ORs
            nodes = [
                nodes[k] | nodes[k + 1] if k + 1 < len(nodes) else nodes[k]
                for k in range(0, len(nodes), 2)
            ]
        union = nodes[0] if nodes else self.space.false
        return self.node(i) & ~union

    def verdict_of_point(self, point: tuple[int, ...], later: list[int]) -> Action | None:
        """The verdict the rules in ``later`` (then the policy) give ``point``; ``None`` when
        one of them is not a box."""
        for k in later:
            box = self.boxes[k]
            if box is None:
                return None
            if not self.empty[k] and box.contains_point(point):
                return self.rules[k].action
        return self.chain.policy

    def first_not_box(self, later: list[int]) -> int | None:
        """The first position in ``later`` whose rule is not a box (``None``: all are)."""
        boxes = self.boxes
        return next((k for k in later if boxes[k] is None), None)

    def verdict_after(
        self, point: tuple[int, ...], i: int, not_box: int | None
    ) -> Action | None:
        """:meth:`verdict_of_point` of a packet of rule ``i`` for ``later`` = the candidates
        after ``i`` (every later rule that can share a packet with it), whose first non-box
        rule is ``not_box`` (:meth:`first_not_box`): found through the index, as the first
        later rule containing the packet is one of the rules the index returns for it."""
        boxes = self.boxes
        best = not_box
        container = False
        for k in self.index.containing(point):
            if k <= i or (best is not None and k >= best):
                continue
            box = boxes[k]
            if box is not None and box.contains_point(point):
                best = k
                container = True
        if best is None:
            return self.chain.policy
        return self.rules[best].action if container else None

    def redundant(
        self,
        i: int,
        effective: _Set | None,
        later: list[int],
        earlier: list[int],
        witnesses: list[tuple[int, ...]],
    ) -> None:
        """Report rule ``i`` when the rules after it, then the policy, give the packets it
        decides (``effective``; ``None``: not computed yet, ``witnesses`` are some of them)
        its own verdict anyway."""
        rules = self.rules
        action = rules[i].action
        not_box = self.first_not_box(later) if witnesses else None
        for point in witnesses:
            if self.verdict_after(point, i, not_box) not in (action, None):
                return  # a packet it decides would get another verdict without it
        if effective is None:
            mine = self.set_of(i)
            overlapping = list(self._meeting(mine, later, False))
            settled = self.redundant_by_boxes(i, mine, overlapping, earlier)
            if settled is not None:
                if settled:
                    self.report_redundant(
                        i, [k for k in overlapping if rules[k].action is action], True, mine
                    )
                return
            effective = self.exact_remainder(i, earlier)
        remaining = effective
        takers: list[int] = []
        for k in later:
            if self.empty[k]:
                continue
            if rules[k].action is not action:
                if self._overlaps_rule_set(remaining, k):
                    return
                continue
            taken, remaining, _ = self._take(remaining, k, False)
            if not taken:
                continue
            takers.append(k)
            if self._is_empty(remaining):
                break
        to_policy = not self._is_empty(remaining)
        if to_policy and self.chain.policy is not action:
            return
        self.report_redundant(i, takers, to_policy, effective)

    def report_redundant(self, i: int, takers: list[int], to_policy: bool, packets: _Set) -> None:
        action = self.rules[i].action
        shown = takers[:self.max_related]
        who = self.listing(shown, len(takers)) if takers else ""
        if to_policy:
            who = f"{who} and the default policy" if who else "the default policy"
        self.add(
            AnomalyKind.REDUNDANT, i, shown, packets,
            f"removing it changes no verdict: the packets it decides get '{action}' anyway "
            f"from {who}",
        )


def analyze(
    flat_chain: FlatChain, space: HeaderSpace | None = None, *, max_related: int = 16
) -> list[Anomaly]:
    """Every anomaly of one flattened base chain, in rule order.

    ``space`` must cover the chain's interface and zone names (default: built from the chain);
    ``max_related`` caps the rules listed per finding.
    """
    space = space or space_for([flat_chain])
    return _ChainAnalysis(flat_chain, space, max_related).run()


def analyze_ruleset(ruleset: Ruleset, *, max_related: int = 16) -> list[Anomaly]:
    """Flatten ``ruleset`` and analyse every base chain (undefined references included).

    Raises :class:`~egovops.errors.ConfigError` on jump loops (see :func:`flatten`).
    """
    chains = flatten(ruleset)
    space = space_for(chains)
    found: list[Anomaly] = []
    for chain in chains:
        found.extend(analyze(chain, space, max_related=max_related))
    return found
