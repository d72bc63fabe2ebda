"""Topology analysis of a loaded inventory: graphs, zone connectivity, tiers, resilience,
uplink capacity, fibre figures and summary counts.

Sits between loading and auditing in the data flow: every function takes a typed
:class:`~egovops.model.Inventory` and returns frozen results; nothing here prints.
"""

from egovops.topology.capacity import Uplink, oversubscription
from egovops.topology.fibre import FibreStats, fibre_stats
from egovops.topology.graph import (
    ZoneConnectivity,
    build_graph,
    interface_zones,
    link_zones,
    node_graph,
    zone_connectivity,
)
from egovops.topology.resilience import (
    Resilience,
    SinglePoint,
    analyze_resilience,
    naive_resilience,
)
from egovops.topology.stats import inventory_stats
from egovops.topology.tiers import TierViolation, check_tiers

__all__ = [
    "FibreStats",
    "Resilience",
    "SinglePoint",
    "TierViolation",
    "Uplink",
    "ZoneConnectivity",
    "analyze_resilience",
    "build_graph",
    "check_tiers",
    "fibre_stats",
    "interface_zones",
    "inventory_stats",
    "link_zones",
    "naive_resilience",
    "node_graph",
    "oversubscription",
    "zone_connectivity",
]
