"""A JSON-ready summary of a site's inventory: counts by tier, kind, role, zone, rate and peer.

Reads the typed inventory; the CLI's ``stats`` command renders it as a table or dumps it as JSON.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from egovops.model.inventory import Inventory, Tier
from egovops.model.quantities import format_rate
from egovops.topology.fibre import fibre_stats


def inventory_stats(inv: Inventory) -> dict[str, Any]:
    """Counts and totals of the site, as plain ``str``/``int``/``float``/``dict`` values.

    Keys: ``site`` (id), ``site_name``, ``nodes``, ``nodes_by_tier`` (``"1"``, ``"2"``, ``"3"``,
    all present), ``units``, ``units_by_kind``, ``units_by_network``, ``devices``,
    ``devices_by_role``, ``devices_by_zone``, ``links``, ``circuits``, ``circuits_by_peer``,
    ``fibre_core_km`` and ``fibre_length_km`` (1 decimal), ``zones``, ``locations`` and
    ``bandwidth``: counts per rate (e.g. ``{"1G": 40}``) of ``backbone`` links (between two
    nodes), all ``links``, ``units`` and ``circuits``, fastest first.
    """
    devices = inv.device_by_id
    nodes_by_tier = Counter(str(int(n.tier)) for n in inv.nodes)
    backbone = []
    for link in inv.links:
        a, b = devices.get(link.a.device), devices.get(link.b.device)
        if a is not None and b is not None and a.node and b.node and a.node != b.node:
            backbone.append(link.bandwidth)
    fibre = fibre_stats(inv)
    return {
        "site": inv.site.id,
        "site_name": inv.site.name,
        "nodes": len(inv.nodes),
        "nodes_by_tier": {str(int(t)): nodes_by_tier[str(int(t))] for t in Tier},
        "units": len(inv.units),
        "units_by_kind": _count(u.kind.value for u in inv.units),
        "units_by_network": _count(z for u in inv.units for z in u.networks),
        "devices": len(inv.devices),
        "devices_by_role": _count(d.role.value for d in inv.devices),
        "devices_by_zone": _count(d.zone for d in inv.devices),
        "links": len(inv.links),
        "circuits": len(inv.circuits),
        "circuits_by_peer": _count(c.peer.value for c in inv.circuits),
        "fibre_core_km": round(fibre.core_km, 1),
        "fibre_length_km": round(fibre.length_km, 1),
        "zones": len(inv.zones),
        "locations": len(inv.locations),
        "bandwidth": {
            "backbone": _rates(backbone),
            "links": _rates(link.bandwidth for link in inv.links),
            "units": _rates(u.bandwidth for u in inv.units),
            "circuits": _rates(c.rate for c in inv.circuits),
        },
    }


def _count(values: Iterable[str]) -> dict[str, int]:
    return dict(sorted(Counter(values).items()))


def _rates(values: Iterable[int]) -> dict[str, int]:
    counts = Counter(values)
    return {format_rate(bps): counts[bps] for bps in sorted(counts, reverse=True)}
