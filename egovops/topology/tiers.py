"""Tier rules of the fibre backbone: access (3) hangs off aggregation (2), aggregation off core (1).

Reads the typed inventory and returns :class:`TierViolation` records; the audit and the CLI turn
them into findings. A link may break the rules only with a declared ``tier_exception``.
"""

from __future__ import annotations

from dataclasses import dataclass

from egovops.model.inventory import Inventory, Node, Tier

ALLOWED_PAIRS = frozenset({(Tier.AGGREGATION, Tier.ACCESS), (Tier.CORE, Tier.AGGREGATION)})
"""Tier pairs (upper, lower) a link between two nodes may join."""


@dataclass(frozen=True)
class TierViolation:
    """A backbone link or node that breaks the tier rules.

    For a link, ``link`` is its key and ``a_*``/``b_*`` describe its two ends. For a node with
    no uplink, ``link`` is ``""``, ``a_node``/``a_tier`` are the node and ``b_node`` is ``""``
    with ``b_tier`` the tier it should reach. A site without a core node gives one record with
    every field empty except the reason (tiers 1 and 1).
    """

    link: str
    a_node: str
    b_node: str
    a_tier: int
    b_tier: int
    reason: str
    origin: str
    """``file:line`` where the link (or node) was declared, ``""`` when unknown."""


def check_tiers(inv: Inventory) -> tuple[TierViolation, ...]:
    """Every tier-rule violation of the site: bad links first (in file order), then nodes.

    Rules: a link between devices at two different nodes must join tier 3 to tier 2 or tier 2
    to tier 1; same-tier links and links skipping a tier (3 to 1) need ``tier_exception``. Every
    tier-2 and tier-3 node needs a link to a node of the tier above (a declared exception link
    to any higher tier also counts). A site with nodes needs at least one tier-1 node.
    """
    nodes = inv.node_by_id
    devices = inv.device_by_id
    violations: list[TierViolation] = []
    has_uplink: set[str] = set()
    for link in inv.links:
        a_dev, b_dev = devices.get(link.a.device), devices.get(link.b.device)
        if a_dev is None or b_dev is None:
            continue
        a_node = nodes.get(a_dev.node) if a_dev.node is not None else None
        b_node = nodes.get(b_dev.node) if b_dev.node is not None else None
        if a_node is None or b_node is None or a_node.id == b_node.id:
            continue
        upper, lower = sorted((a_node, b_node), key=lambda n: n.tier)
        if (upper.tier, lower.tier) in ALLOWED_PAIRS:
            has_uplink.add(lower.id)
            continue
        if link.tier_exception:
            if upper.tier < lower.tier:
                has_uplink.add(lower.id)
            continue
        violations.append(
            TierViolation(
                link=link.key,
                a_node=a_node.id,
                b_node=b_node.id,
                a_tier=int(a_node.tier),
                b_tier=int(b_node.tier),
                reason=_link_reason(upper, lower),
                origin=str(link.origin) if link.origin is not None else "",
            )
        )
    for node in inv.nodes:
        if node.tier == Tier.CORE or node.id in has_uplink:
            continue
        above = Tier(node.tier - 1)
        violations.append(
            TierViolation(
                link="",
                a_node=node.id,
                b_node="",
                a_tier=int(node.tier),
                b_tier=int(above),
                reason=f"tier-{int(node.tier)} node {node.id} has no uplink to a tier-{int(above)}"
                " node",
                origin=str(node.origin) if node.origin is not None else "",
            )
        )
    if inv.nodes and not any(n.tier == Tier.CORE for n in inv.nodes):
        violations.append(
            TierViolation(
                link="",
                a_node="",
                b_node="",
                a_tier=int(Tier.CORE),
                b_tier=int(Tier.CORE),
                reason="the backbone has no tier-1 (core) node",
                origin="",
            )
        )
    return tuple(violations)


def _link_reason(upper: Node, lower: Node) -> str:
    if upper.tier == lower.tier:
        return f"same-tier link between tier-{int(upper.tier)} nodes {upper.id} and {lower.id}"
    return (
        f"link from tier-{int(lower.tier)} node {lower.id} skips a tier to tier-"
        f"{int(upper.tier)} node {upper.id}"
    )
