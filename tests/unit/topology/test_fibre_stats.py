"""fibre_stats and inventory_stats."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from egovops.load import load_inventory
from egovops.topology import FibreStats, fibre_stats, inventory_stats
from tests.unit.topology.builders import site

NODES = {"core": 1, "a": 2, "x": 3}
DEVICES = [("c1", "outer", "core"), ("c2", "outer", "core"), ("a1", "outer", "a"),
           ("x1", "outer", "x"), ("h", "outer", None), ("i1", "inner", "a")]


def test_fibre_stats() -> None:
    inv = site(NODES, DEVICES, [
        {"a": "c1", "b": "a1", "cores": 24, "length_km": 10.1},
        {"a": "c2", "b": "a1", "cores": 24, "length_km": 10.2},
        {"a": "a1", "b": "x1", "cores": 12, "length_km": 0.1},
        {"a": "c1", "b": "c2", "cores": 4, "length_km": 0.05},
        {"a": "x1", "b": "h", "media": "copper", "length_km": 0.02},
        {"a": "i1", "b": "a1", "length_km": 3.0},  # no cores: length but no core-km
        {"a": "x1", "b": "c1", "media": "microwave"},
    ])
    assert fibre_stats(inv) == FibreStats(
        links=7,
        fibre_links=5,
        length_km=23.45,
        core_km=488.6,
        by_media={"copper": 1, "fibre": 5, "microwave": 1},
        by_tier_pair={"1-2": 487.2, "2-3": 1.2, "intra-node": 0.2},
    )


def test_fibre_stats_off_the_backbone() -> None:
    inv = site(NODES, DEVICES, [{"a": "h", "b": "x1", "cores": 2, "length_km": 1.5}])
    stats = fibre_stats(inv)
    assert stats.by_tier_pair == {"off-backbone": 3.0}
    assert fibre_stats(site()) == FibreStats(0, 0, 0.0, 0.0, {}, {})


SITE = """
site: {id: s1, name: 测试区}
zones:
  - {id: inner, kind: inner}
  - {id: outer, kind: outer}
locations:
  - {id: p1, name: 广东省, level: province}
nodes:
  - {id: core, name: 网络中心, tier: 1}
  - {id: a, name: 二级, tier: 2}
  - {id: b, name: 二级, tier: 2}
units:
  - {id: u1, name: 区政府办公室, kind: department, node: core, networks: [inner, outer],
     bandwidth: 100M}
  - {id: u2, name: 大石街道, kind: street, node: a, networks: [outer], bandwidth: 10M}
  - {id: u3, name: 石楼镇, kind: town, node: b, networks: [outer], bandwidth: 10M}
devices:
  - {id: c1, role: router, platform: linux, zone: outer, node: core,
     interfaces: [{name: g1}, {name: g2}, {name: g3}, {name: wan}]}
  - {id: a1, role: switch, platform: linux, zone: outer, node: a, interfaces: [{name: g1}]}
  - {id: b1, role: switch, platform: linux, zone: outer, node: b, interfaces: [{name: g1}]}
  - {id: s1, role: server, platform: linux, zone: inner, node: core, interfaces: [{name: e0}]}
links:
  - {a: c1:g1, b: a1:g1, bandwidth: 1000M, cores: 24, length_km: 12.34}
  - {a: c1:g2, b: b1:g1, bandwidth: 1000M, cores: 12, length_km: 8.01}
  - {a: c1:g3, b: s1:e0, bandwidth: 10G, media: copper}
circuits:
  - {id: prov, provider: 电信, circuit_id: GZ-001, rate: 2M, endpoint: c1:wan, peer: province}
"""


def test_inventory_stats(write_site: Callable[..., Path]) -> None:
    stats = inventory_stats(load_inventory(write_site({"site.yaml": SITE})))
    assert stats == {
        "site": "s1",
        "site_name": "测试区",
        "nodes": 3,
        "nodes_by_tier": {"1": 1, "2": 2, "3": 0},
        "units": 3,
        "units_by_kind": {"department": 1, "street": 1, "town": 1},
        "units_by_network": {"inner": 1, "outer": 3},
        "devices": 4,
        "devices_by_role": {"router": 1, "server": 1, "switch": 2},
        "devices_by_zone": {"inner": 1, "outer": 3},
        "links": 3,
        "circuits": 1,
        "circuits_by_peer": {"province": 1},
        "fibre_core_km": 392.3,
        "fibre_length_km": 20.4,
        "zones": 2,
        "locations": 1,
        "bandwidth": {
            "backbone": {"1G": 2},
            "links": {"10G": 1, "1G": 2},
            "units": {"100M": 1, "10M": 2},
            "circuits": {"2M": 1},
        },
    }
    assert json.loads(json.dumps(stats)) == stats


def test_inventory_stats_of_an_empty_site() -> None:
    stats = inventory_stats(site(zones=()))
    assert stats["nodes_by_tier"] == {"1": 0, "2": 0, "3": 0}
    assert stats["fibre_core_km"] == 0.0
    assert stats["bandwidth"] == {"backbone": {}, "links": {}, "units": {}, "circuits": {}}
