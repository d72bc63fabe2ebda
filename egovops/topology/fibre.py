"""Fibre plant figures of the backbone: link counts by media, route length and fibre-core-km.

Reads the typed inventory; the CLI, the stats summary and the reports use :class:`FibreStats`.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

from egovops.model.inventory import Inventory, Link, Media

KM_DIGITS = 3
"""Kilometre figures are rounded to metres, dropping floating-point noise from the sums."""
INTRA_NODE = "intra-node"
"""``by_tier_pair`` key of fibre links whose two ends are at the same node."""
OFF_BACKBONE = "off-backbone"
"""``by_tier_pair`` key of fibre links with an end at a device at no node."""


@dataclass(frozen=True)
class FibreStats:
    """Fibre figures of a site.

    ``links`` counts every link and ``fibre_links`` the fibre ones; ``length_km`` (route length)
    and ``core_km`` (cores × length) sum the fibre links that state them, to the metre.
    ``by_media`` counts links per media (``"fibre"``, ``"copper"`` …). ``by_tier_pair`` gives
    fibre-core-km per pair of node tiers, lower tier number first (``"1-2"``, ``"2-3"``,
    ``"2-2"`` …), plus ``"intra-node"`` and ``"off-backbone"`` when such fibre links exist.
    """

    links: int
    fibre_links: int
    length_km: float
    core_km: float
    by_media: dict[str, int]
    by_tier_pair: dict[str, float]


def fibre_stats(inv: Inventory) -> FibreStats:
    """Count and sum the site's links; see :class:`FibreStats`."""
    fibre = [link for link in inv.links if link.media is Media.FIBRE]
    by_media = Counter(link.media.value for link in inv.links)
    pairs: dict[str, list[float]] = {}
    for link in fibre:
        pairs.setdefault(_tier_pair(inv, link), []).append(link.fibre_core_km)
    return FibreStats(
        links=len(inv.links),
        fibre_links=len(fibre),
        length_km=round(math.fsum(link.length_km or 0.0 for link in fibre), KM_DIGITS),
        core_km=round(math.fsum(link.fibre_core_km for link in fibre), KM_DIGITS),
        by_media=dict(sorted(by_media.items())),
        by_tier_pair={
            key: round(math.fsum(values), KM_DIGITS) for key, values in sorted(pairs.items())
        },
    )


def _tier_pair(inv: Inventory, link: Link) -> str:
    a, b = inv.device_by_id.get(link.a.device), inv.device_by_id.get(link.b.device)
    a_node = inv.node_by_id.get(a.node) if a is not None and a.node is not None else None
    b_node = inv.node_by_id.get(b.node) if b is not None and b.node is not None else None
    if a_node is None or b_node is None:
        return OFF_BACKBONE
    if a_node.id == b_node.id:
        return INTRA_NODE
    low, high = sorted((int(a_node.tier), int(b_node.tier)))
    return f"{low}-{high}"
