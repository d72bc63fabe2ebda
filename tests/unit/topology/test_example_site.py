"""Every topology analysis runs on the shipped example district, and the two resilience
algorithms agree on it."""

from __future__ import annotations

import pytest

from egovops.load import load_inventory
from egovops.topology import (
    analyze_resilience,
    check_tiers,
    fibre_stats,
    inventory_stats,
    naive_resilience,
    node_graph,
    oversubscription,
    zone_connectivity,
)
from tests.conftest import EXAMPLE


@pytest.mark.skipif(not EXAMPLE.is_dir(), reason="no example district shipped")
def test_example_district() -> None:
    inv = load_inventory(EXAMPLE)
    assert analyze_resilience(inv) == naive_resilience(inv)
    assert {zc.zone for zc in zone_connectivity(inv)} >= {z.id for z in inv.zones}
    assert set(node_graph(inv).nodes) == {n.id for n in inv.nodes}
    assert isinstance(check_tiers(inv), tuple)
    assert [u.ratio for u in oversubscription(inv)] == sorted(
        (u.ratio for u in oversubscription(inv)), reverse=True
    )
    stats = inventory_stats(inv)
    assert sum(stats["nodes_by_tier"].values()) == len(inv.nodes)
    assert stats["fibre_core_km"] == round(fibre_stats(inv).core_km, 1)
