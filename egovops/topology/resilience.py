"""Single points of failure of each zone: devices and links whose loss cuts nodes or units off.

Reads the typed inventory; the CLI and the audit report the returned :class:`Resilience`
records. Per zone, the graph is the zone's devices and the links lying in the zone (see
:mod:`egovops.topology.graph`); the zone's devices at tier-1 (core) nodes are its roots, all
joined to one virtual super-root that is never reported.

- A device is a single point of failure when removing it disconnects other devices from the
  roots (an articulation point), or leaves a backbone node with none of the zone's devices
  still reaching them (e.g. the only access switch of a tier-3 node): its units are cut off.
- A link is a single point of failure when it is a bridge; parallel links between the same two
  devices back each other up.

:func:`analyze_resilience` does this with one iterative depth-first search (Tarjan low-link,
no recursion; 50,000 devices and 100,000 links take well under a second), in O(V + E) plus the
size of the answer, up to a log factor from bisection. A cut child's subtree is a preorder range;
a node is cut off with a subtree exactly when the lowest common ancestor of the node's devices
lies in that range, and those ancestors are kept by an offline (Tarjan) union-find during the
same search, so no connectivity is ever recomputed per device.
:func:`naive_resilience` removes each device and link in turn and re-counts reachability; it
gives the same answer much more slowly and serves as the baseline for tests and benchmarks.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Literal

from egovops.errors import UsageError
from egovops.model.inventory import Device, Inventory, Link, Tier
from egovops.topology.graph import interface_zones


@dataclass(frozen=True)
class SinglePoint:
    """A device or link whose failure alone cuts part of a zone off from its core.

    ``node`` is the device's backbone node; for a link it is the node of the end that gets cut
    off (the end away from the core). ``nodes_cut`` are the backbone nodes none of whose zone
    devices could still reach the core; ``units_cut`` the units of this zone at those nodes.
    """

    kind: Literal["device", "link"]
    id: str
    node: str | None
    zone: str
    nodes_cut: tuple[str, ...]
    units_cut: tuple[str, ...]


@dataclass(frozen=True)
class Resilience:
    """The single points of failure of one zone, most harmful first.

    ``roots`` are the zone's devices at tier-1 nodes; when there are none, nothing is analysed
    and both lists are empty.
    """

    zone: str
    roots: tuple[str, ...]
    devices: tuple[SinglePoint, ...]
    links: tuple[SinglePoint, ...]

    @property
    def spof_count(self) -> int:
        """Number of single points of failure (devices and links)."""
        return len(self.devices) + len(self.links)


@dataclass(frozen=True)
class _ZoneInput:
    """The part of the inventory one zone's analysis needs, by position."""

    zone: str
    devices: tuple[str, ...]
    nodes: tuple[str | None, ...]
    """Backbone node of each device."""
    roots: tuple[int, ...]
    links: list[Link]
    """The links lying in the zone; a link's position is its edge number."""
    adj: list[list[int]]
    """Half-edges leaving each device: ``2e`` runs from end a to end b of edge ``e``, ``2e+1``
    back (plain ints, so that large sites do not fill the garbage collector with tuples)."""
    head: list[int]
    """The device each half-edge leads to."""
    units: dict[str, tuple[str, ...]]
    """Unit ids of this zone by node id, sorted."""


def analyze_resilience(inv: Inventory, zone: str | None = None) -> tuple[Resilience, ...]:
    """Single points of failure per zone: every zone with devices at a tier-1 node, or ``zone``.

    Raises :class:`~egovops.errors.UsageError` when ``zone`` is not a zone of the site.
    """
    return tuple(_analyze(z) for z in _zone_inputs(inv, zone))


def naive_resilience(inv: Inventory, zone: str | None = None) -> tuple[Resilience, ...]:
    """The same answer as :func:`analyze_resilience`, by removing each device and link in turn.

    O(V·(V + E)); a baseline for tests and benchmarks, not for large sites.
    """
    return tuple(_analyze_naive(z) for z in _zone_inputs(inv, zone))


def _zone_inputs(inv: Inventory, zone: str | None) -> list[_ZoneInput]:
    known = [z.id for z in inv.zones]
    known += sorted({d.zone for d in inv.devices} - set(known))
    if zone is not None and zone not in known:
        raise UsageError(f"unknown zone {zone!r}; the site has: {', '.join(known) or 'none'}")
    tiers = {n.id: n.tier for n in inv.nodes}
    core_zones = {
        d.zone for d in inv.devices if d.node is not None and tiers.get(d.node) == Tier.CORE
    }
    wanted = [zone] if zone is not None else [z for z in known if z in core_zones]
    # One pass over devices and one over links (the rule of graph.link_zones, inlined: this
    # loop dominates the run time on large sites).
    devices: dict[str, list[Device]] = {z: [] for z in wanted}
    where: dict[str, tuple[str, int]] = {}
    for dev in inv.devices:
        members = devices.get(dev.zone)
        if members is None:
            where[dev.id] = (dev.zone, -1)
        else:
            where[dev.id] = (dev.zone, len(members))
            members.append(dev)
    own = interface_zones(inv)
    nowhere = ("", -1)
    adjs: dict[str, list[list[int]]] = {
        z: [[] for _ in members] for z, members in devices.items()
    }
    heads: dict[str, list[int]] = {z: [] for z in wanted}
    links: dict[str, list[Link]] = {z: [] for z in wanted}
    for link in inv.links:
        a, b = link.a, link.b
        z, i = where.get(a.device, nowhere)
        z_b, j = where.get(b.device, nowhere)
        if i < 0 or z != z_b or (
            own
            and (
                own.get((a.device, a.interface), z) != z
                or own.get((b.device, b.interface), z) != z
            )
        ):
            continue
        zone_links = links[z]
        h = 2 * len(zone_links)
        zone_links.append(link)
        adj = adjs[z]
        adj[i].append(h)
        adj[j].append(h + 1)
        head = heads[z]
        head.append(j)
        head.append(i)
    inputs: list[_ZoneInput] = []
    for z in wanted:
        units: dict[str, list[str]] = {}
        for unit in inv.units:
            if z in unit.networks:
                units.setdefault(unit.node, []).append(unit.id)
        members = devices[z]
        inputs.append(
            _ZoneInput(
                zone=z,
                devices=tuple(d.id for d in members),
                nodes=tuple(d.node for d in members),
                roots=tuple(
                    i
                    for i, d in enumerate(members)
                    if d.node is not None and tiers.get(d.node) == Tier.CORE
                ),
                links=links[z],
                adj=adjs[z],
                head=heads[z],
                units={node: tuple(sorted(ids)) for node, ids in units.items()},
            )
        )
    return inputs


def _point(
    zi: _ZoneInput,
    kind: Literal["device", "link"],
    ident: str,
    node: str | None,
    nodes_cut: Iterable[str],
) -> SinglePoint:
    cut = tuple(sorted(set(nodes_cut)))
    units = tuple(sorted(u for n in cut for u in zi.units.get(n, ())))
    return SinglePoint(kind=kind, id=ident, node=node, zone=zi.zone, nodes_cut=cut,
                       units_cut=units)


def _impact(point: SinglePoint) -> tuple[int, int, str]:
    return (-len(point.units_cut), -len(point.nodes_cut), point.id)


def _result(zi: _ZoneInput, devices: list[SinglePoint], links: list[SinglePoint]) -> Resilience:
    return Resilience(
        zone=zi.zone,
        roots=tuple(sorted(zi.devices[r] for r in zi.roots)),
        devices=tuple(sorted(devices, key=_impact)),
        links=tuple(sorted(links, key=_impact)),
    )


@dataclass(frozen=True)
class _SearchTree:
    """A depth-first search tree, by vertex (lists indexed by vertex number)."""

    order: list[int]
    """Vertices in preorder, the start first."""
    pre: list[int]
    """Preorder number (-1: not reached); a subtree is the range ``pre[v]`` … ``end[v] - 1``."""
    end: list[int]
    low: list[int]
    """Lowest preorder number reached from the subtree by one non-tree edge."""
    parent: list[int]
    via: list[int]
    """Half-edge by which each vertex was reached."""
    lca: list[int]
    """Per node, the lowest common ancestor of its reached devices (-1: none reached)."""


def _search(adj: list[list[int]], head: list[int], start: int, node_of: list[int],
            nodes: int) -> _SearchTree:
    """One iterative DFS from ``start``: Tarjan low-links, plus Tarjan's offline LCA of the
    devices of each node (a union-find in which finished vertices point at their parent)."""
    size = len(adj)
    pre = [-1] * size
    low = [0] * size
    end = [0] * size
    parent = [-1] * size
    via = [-1] * size
    uf = list(range(size))
    lca = [-1] * nodes
    order = [start]
    pre[start] = 0
    counter = 1
    stack: list[tuple[int, int, Iterator[int]]] = [(start, -1, iter(adj[start]))]
    while stack:
        v, back, leaving = stack[-1]
        for h in leaving:
            if h == back:  # the edge we came by; a parallel edge is not skipped
                continue
            w = head[h]
            pw = pre[w]
            if pw < 0:
                pre[w] = low[w] = counter
                counter += 1
                parent[w] = v
                via[w] = h
                order.append(w)
                stack.append((w, h ^ 1, iter(adj[w])))
                k = node_of[w]
                if k >= 0:
                    # LCA(earlier devices of k, w) = the on-stack root of their set
                    x = lca[k]
                    if x < 0:
                        lca[k] = w
                    else:
                        top = x
                        while uf[top] != top:
                            top = uf[top]
                        while x != top:
                            up = uf[x]
                            uf[x] = top
                            x = up
                        lca[k] = top
                break
            if pw < low[v]:  # noqa: PLR1730  (hot loop: a compare beats calling min)
                low[v] = pw
        else:
            stack.pop()
            end[v] = counter
            if stack:
                p = stack[-1][0]
                uf[v] = p
                low[p] = min(low[p], low[v])
    return _SearchTree(order=order, pre=pre, end=end, low=low, parent=parent, via=via, lca=lca)


def _analyze(zi: _ZoneInput) -> Resilience:
    """One DFS from the super-root, then the cut sets from preorder ranges; see the module."""
    if not zi.roots:
        return _result(zi, [], [])
    sroot = len(zi.devices)  # the virtual super-root
    # The super-root's edges get the edge numbers after the real ones.
    virtual = 2 * len(zi.links)
    adj = [*zi.adj, [virtual + 2 * j for j in range(len(zi.roots))]]
    head = list(zi.head)
    for j, r in enumerate(zi.roots):
        adj[r] = [*adj[r], virtual + 2 * j + 1]
        head += (r, sroot)
    node_ids = sorted({nd for nd in zi.nodes if nd is not None})
    node_index = {nd: k for k, nd in enumerate(node_ids)}
    node_of = [node_index[nd] if nd is not None else -1 for nd in zi.nodes] + [-1]
    tree = _search(adj, head, sroot, node_of, len(node_ids))
    order, pre, end, low, parent = tree.order, tree.pre, tree.end, tree.low, tree.parent

    # Cut children (whose subtree hangs on its parent alone) and bridges.
    cut_children: dict[int, list[int]] = {}
    is_cut = [False] * len(adj)
    bridges: list[int] = []
    for w in order[1:]:
        p = parent[w]
        if p == sroot or low[w] < pre[p]:
            continue
        is_cut[w] = True
        cut_children.setdefault(p, []).append(w)
        if low[w] > pre[p]:
            bridges.append(w)

    # A node is cut off with a subtree when its devices' common ancestor lies in the subtree.
    lcas = {k: x for k, x in enumerate(tree.lca) if x >= 0 and x != sroot}
    placed = sorted((pre[x], k) for k, x in lcas.items())
    lca_pre = [p for p, _ in placed]
    lca_node = [k for _, k in placed]

    def nodes_within(v: int) -> list[int]:
        """Nodes all of whose reached devices lie in the subtree of ``v``."""
        return lca_node[bisect_left(lca_pre, pre[v]) : bisect_left(lca_pre, end[v])]

    # When the common ancestor is a device itself, that device cuts the node off only if every
    # other device of the node sits below one of its cut children.
    members: dict[int, list[int]] = {k: [] for k in lcas}
    children: dict[int, list[int]] = {x: [] for x in lcas.values()}
    for w in order[1:]:
        k = node_of[w]
        if k in members:
            members[k].append(w)
        kids = children.get(parent[w])
        if kids is not None:
            kids.append(w)
    starts = {x: [pre[c] for c in kids] for x, kids in children.items()}
    own_cut: dict[int, list[int]] = {}
    for k, x in lcas.items():
        kids, first = children[x], starts[x]
        if all(y == x or is_cut[kids[bisect_right(first, pre[y]) - 1]] for y in members[k]):
            own_cut.setdefault(x, []).append(k)

    devices: list[SinglePoint] = []
    for v in order[1:]:
        cut = [k for c in cut_children.get(v, ()) for k in nodes_within(c)]
        cut += own_cut.get(v, ())
        if cut or v in cut_children:
            devices.append(
                _point(zi, "device", zi.devices[v], zi.nodes[v], (node_ids[k] for k in cut))
            )
    links = [
        _point(zi, "link", zi.links[tree.via[c] >> 1].key, zi.nodes[c],
               (node_ids[k] for k in nodes_within(c)))
        for c in bridges
    ]
    return _result(zi, devices, links)


def _reach(zi: _ZoneInput, lost_device: int = -1, lost_link: int = -1) -> list[bool]:
    """Devices reachable from the roots without ``lost_device`` and ``lost_link``."""
    seen = [False] * len(zi.devices)
    queue = deque(r for r in zi.roots if r != lost_device)
    for r in queue:
        seen[r] = True
    while queue:
        v = queue.popleft()
        for h in zi.adj[v]:
            w = zi.head[h]
            if not seen[w] and w != lost_device and h >> 1 != lost_link:
                seen[w] = True
                queue.append(w)
    return seen


def _analyze_naive(zi: _ZoneInput) -> Resilience:
    if not zi.roots:
        return _result(zi, [], [])
    index = {device: i for i, device in enumerate(zi.devices)}
    before = _reach(zi)
    reached_nodes = {nd for nd, ok in zip(zi.nodes, before, strict=True) if ok and nd}

    def cut_nodes(after: list[bool], lost_device: int = -1) -> list[str]:
        alive = {
            nd
            for i, (nd, ok) in enumerate(zip(zi.nodes, after, strict=True))
            if ok and nd and i != lost_device
        }
        return sorted(reached_nodes - alive)

    devices: list[SinglePoint] = []
    for d, ok in enumerate(before):
        if not ok:
            continue
        after = _reach(zi, lost_device=d)
        lost = any(b and not a and i != d for i, (b, a) in enumerate(zip(before, after,
                                                                          strict=True)))
        nodes = cut_nodes(after, d)
        if lost or nodes:
            devices.append(_point(zi, "device", zi.devices[d], zi.nodes[d], nodes))
    links: list[SinglePoint] = []
    for e, link in enumerate(zi.links):
        a, b = index[link.a.device], index[link.b.device]
        if not before[a] or a == b:
            continue
        after = _reach(zi, lost_link=e)
        if after == before:
            continue
        far = b if after[a] else a
        links.append(_point(zi, "link", link.key, zi.nodes[far], cut_nodes(after)))
    return _result(zi, devices, links)
