"""Uplink oversubscription of aggregation and access nodes: unit demand against uplink capacity.

Reads the typed inventory and returns :class:`Uplink` records, worst first; the CLI renders them
and the audit flags those over ``site.settings.oversubscription_limit``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from egovops.errors import UsageError
from egovops.model.inventory import Inventory, Tier
from egovops.topology.graph import link_zones


@dataclass(frozen=True)
class Uplink:
    """The uplinks of one tier-2 or tier-3 node against the units they carry.

    ``capacity`` is the summed bandwidth (bits/s) of the node's links to higher-tier nodes;
    ``demand`` the summed access bandwidth of ``units`` units at this node and at the nodes
    hanging off it. ``ratio`` is demand / capacity (``inf`` with demand but no uplink, 0 with
    neither).
    """

    node: str
    tier: int
    capacity: int
    demand: int
    ratio: float
    over_limit: bool
    units: int


def oversubscription(inv: Inventory, zone: str | None = None) -> tuple[Uplink, ...]:
    """Demand against uplink capacity for every tier-2 and tier-3 node, highest ratio first.

    A node's uplinks are its links to nodes of the tier above (a declared exception link to any
    higher tier counts too). Its demand is the bandwidth of the units attached to it and to every
    node below it, i.e. the nodes whose uplinks reach it, transitively; a node with uplinks to two
    parents counts fully under both, as either may have to carry it alone. With ``zone``, only
    links lying in that zone and units present in it count.

    Raises :class:`~egovops.errors.UsageError` when ``zone`` is not a zone of the site.
    """
    if zone is not None and zone not in inv.zone_by_id and all(
        d.zone != zone for d in inv.devices
    ):
        raise UsageError(f"unknown zone {zone!r}")
    tiers = {n.id: n.tier for n in inv.nodes}
    devices = inv.device_by_id
    capacity = dict.fromkeys(tiers, 0)
    below: dict[str, set[str]] = {n: set() for n in tiers}
    zones = link_zones(inv)
    for link, link_zone in zip(inv.links, zones, strict=True):
        if zone is not None and link_zone != zone:
            continue
        a, b = devices.get(link.a.device), devices.get(link.b.device)
        a_node = a.node if a is not None else None
        b_node = b.node if b is not None else None
        if a_node not in tiers or b_node not in tiers or a_node is None or b_node is None:
            continue
        upper, lower = sorted((a_node, b_node), key=lambda n: tiers[n])
        if tiers[upper] == tiers[lower]:
            continue
        if tiers[upper] == tiers[lower] - 1 or link.tier_exception:
            capacity[lower] += link.bandwidth
            below[upper].add(lower)
    own: dict[str, list[int]] = {n: [] for n in tiers}
    for unit in inv.units:
        if unit.node in own and (zone is None or zone in unit.networks):
            own[unit.node].append(unit.bandwidth)
    limit = inv.site.settings.oversubscription_limit
    results: list[Uplink] = []
    for node in inv.nodes:
        if node.tier == Tier.CORE:
            continue
        served = _subtree(node.id, below)
        demands = [bw for n in served for bw in own[n]]
        demand = sum(demands)
        cap = capacity[node.id]
        ratio = demand / cap if cap else (math.inf if demand else 0.0)
        results.append(
            Uplink(
                node=node.id,
                tier=int(node.tier),
                capacity=cap,
                demand=demand,
                ratio=ratio,
                over_limit=ratio > limit,
                units=len(demands),
            )
        )
    results.sort(key=lambda u: (-u.ratio, u.node))
    return tuple(results)


def _subtree(start: str, below: dict[str, set[str]]) -> set[str]:
    """``start`` and every node hanging off it, transitively."""
    seen = {start}
    todo = [start]
    while todo:
        for child in below[todo.pop()]:
            if child not in seen:
                seen.add(child)
                todo.append(child)
    return seen
