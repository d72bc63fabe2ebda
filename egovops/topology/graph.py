"""The topology graph: devices joined by links, per-zone connectivity, and the backbone node graph.

Built from a loaded :class:`~egovops.model.Inventory` (nothing here touches the network) and
consumed by the tier, resilience and capacity analyses and by the CLI's ``topology`` commands.

A link *lies in* a zone when both its end devices have that zone as home zone and both end
interfaces are in it too (an interface may declare its own zone, e.g. the outside port of a
gateway). Links between zones are kept in :func:`build_graph` but never count inside a zone.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx

from egovops.model.inventory import Inventory


def build_graph(inv: Inventory) -> nx.MultiGraph:
    """The device graph of a site.

    Vertices are device ids with attributes ``zone`` (home zone), ``node`` (backbone node id or
    ``None``), ``tier`` (``int`` tier of that node or ``None``) and ``role`` (e.g. ``"switch"``).
    There is one edge per link, keyed by ``link.key``, with attributes ``link`` (the
    :class:`~egovops.model.Link`), ``bandwidth`` (bits/s) and ``media``.
    """
    graph = nx.MultiGraph(site=inv.site.id)
    nodes = inv.node_by_id
    for dev in inv.devices:
        node = nodes.get(dev.node) if dev.node is not None else None
        graph.add_node(
            dev.id,
            zone=dev.zone,
            node=dev.node,
            tier=int(node.tier) if node is not None else None,
            role=dev.role.value,
        )
    for link in inv.links:
        graph.add_edge(
            link.a.device,
            link.b.device,
            key=link.key,
            link=link,
            bandwidth=link.bandwidth,
            media=link.media,
        )
    return graph


def link_zones(inv: Inventory) -> tuple[str | None, ...]:
    """The zone each link of ``inv.links`` lies in (same order), ``None`` for links across zones.

    Built in one pass over devices and links, so it is cheap on large sites.
    """
    home = {dev.id: dev.zone for dev in inv.devices}
    own = interface_zones(inv)
    zones: list[str | None] = []
    append = zones.append
    for link in inv.links:
        a, b = link.a, link.b
        zone = home.get(a.device)
        if (
            zone is None
            or home.get(b.device) != zone
            or (
                own
                and (
                    own.get((a.device, a.interface), zone) != zone
                    or own.get((b.device, b.interface), zone) != zone
                )
            )
        ):
            append(None)
        else:
            append(zone)
    return tuple(zones)


def interface_zones(inv: Inventory) -> dict[tuple[str, str], str]:
    """Zones of the interfaces that declare their own, by ``(device id, interface name)``."""
    return {
        (dev.id, iface.name): iface.zone
        for dev in inv.devices
        for iface in dev.interfaces
        if iface.zone
    }


@dataclass(frozen=True)
class ZoneConnectivity:
    """How the devices of one zone hang together over links that lie in the zone."""

    zone: str
    devices: int
    components: tuple[tuple[str, ...], ...]
    """Connected groups of device ids, each sorted; largest group first."""

    @property
    def connected(self) -> bool:
        """True when the zone's devices form at most one connected group."""
        return len(self.components) <= 1


def zone_connectivity(
    inv: Inventory, graph: nx.MultiGraph | None = None
) -> tuple[ZoneConnectivity, ...]:
    """Connected components of each zone, over links whose both ends are in the zone.

    Every declared zone is reported, in declaration order (then any zone only devices name).
    ``graph`` may be passed when :func:`build_graph` was already called on ``inv``.
    """
    if graph is None:
        graph = build_graph(inv)
    order = [z.id for z in inv.zones]
    extra = sorted({d.zone for d in inv.devices} - set(order))
    members: dict[str, list[str]] = {z: [] for z in [*order, *extra]}
    for dev in inv.devices:
        members[dev.zone].append(dev.id)
    by_key = dict(zip((link.key for link in inv.links), link_zones(inv), strict=True))
    results: list[ZoneConnectivity] = []
    for zone, devices in members.items():
        sub = nx.MultiGraph()
        sub.add_nodes_from(devices)
        sub.add_edges_from(
            (u, v)
            for u, v, key in graph.edges(devices, keys=True)
            if by_key.get(key) == zone
        )
        groups = [tuple(sorted(c)) for c in nx.connected_components(sub)]
        groups.sort(key=lambda g: (-len(g), g))
        results.append(ZoneConnectivity(zone=zone, devices=len(devices), components=tuple(groups)))
    return tuple(results)


def node_graph(inv: Inventory) -> nx.MultiGraph:
    """The backbone: node ids as vertices, one edge per link joining devices at two nodes.

    Vertices carry ``tier`` (``int``) and ``name``; edges are keyed by ``link.key`` and carry
    ``link``, ``bandwidth`` and ``media``. Links inside one node or to devices at no node are
    left out.
    """
    graph = nx.MultiGraph(site=inv.site.id)
    for node in inv.nodes:
        graph.add_node(node.id, tier=int(node.tier), name=node.name)
    devices = inv.device_by_id
    for link in inv.links:
        a, b = devices.get(link.a.device), devices.get(link.b.device)
        if a is None or b is None or a.node is None or b.node is None or a.node == b.node:
            continue
        graph.add_edge(
            a.node, b.node, key=link.key, link=link, bandwidth=link.bandwidth, media=link.media
        )
    return graph
