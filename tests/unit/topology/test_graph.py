"""build_graph, link_zones, zone_connectivity and node_graph."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from egovops.load import load_inventory
from egovops.model import Media
from egovops.topology import (
    ZoneConnectivity,
    build_graph,
    link_zones,
    node_graph,
    zone_connectivity,
)
from tests.unit.topology.builders import site

MINI_NET = """
nodes:
  - {id: core, name: 网络中心, tier: 1}
  - {id: n2, name: 二级, tier: 2}
devices:
  - {id: core-sw, role: switch, platform: linux, zone: outer, node: core,
     interfaces: [{name: g1}, {name: g2}]}
  - {id: agg-sw, role: switch, platform: linux, zone: outer, node: n2,
     interfaces: [{name: g1}, {name: g2}]}
  - {id: fw1, role: firewall, platform: linux, zone: outer, interfaces: [{name: eth0}]}
links:
  - {a: core-sw:g1, b: agg-sw:g1, bandwidth: 1000M, cores: 12, length_km: 5.5}
  - {id: spare, a: core-sw:g2, b: agg-sw:g2, bandwidth: 10G, media: copper}
"""
MINI_SITE = """
site: {id: mini, name: 测试区}
zones:
  - {id: inner, kind: inner}
  - {id: outer, kind: outer, gateways: [fw1]}
"""


def test_build_graph_from_loaded_site(write_site: Callable[..., Path]) -> None:
    inv = load_inventory(write_site({"site.yaml": MINI_SITE, "net.yaml": MINI_NET}))
    graph = build_graph(inv)
    assert set(graph.nodes) == {"core-sw", "agg-sw", "fw1"}
    assert graph.nodes["core-sw"] == {"zone": "outer", "node": "core", "tier": 1, "role": "switch"}
    assert graph.nodes["fw1"] == {"zone": "outer", "node": None, "tier": None, "role": "firewall"}
    keys = sorted(k for _, _, k in graph.edges(keys=True))
    assert keys == ["core-sw:g1--agg-sw:g1", "spare"]
    data = graph.get_edge_data("agg-sw", "core-sw", key="spare")
    assert data["link"] is inv.links[1]
    assert data["bandwidth"] == 10_000_000_000
    assert data["media"] is Media.COPPER


def test_link_zones_need_both_devices_and_both_interfaces_in_the_zone() -> None:
    inv = site(
        devices=[("a", "outer", None), ("b", "outer", None), ("c", "inner", None)],
        links=[("a", "b"), ("a", "c"), {"a": "a", "b": "b", "b_zone": "management"},
               {"a": "b", "b": "a", "a_zone": "outer"}],
    )
    assert link_zones(inv) == ("outer", None, None, "outer")


def test_zone_connectivity_components_largest_first() -> None:
    inv = site(
        devices=[(d, "outer", None) for d in ("a", "b", "c", "x", "y", "lone")]
        + [("i1", "inner", None)],
        links=[("a", "b"), ("b", "c"), ("y", "x"),
               # across zones and through a management port: not inside "outer"
               ("lone", "i1"), {"a": "lone", "b": "a", "a_zone": "management"}],
    )
    result = {zc.zone: zc for zc in zone_connectivity(inv)}
    assert [zc.zone for zc in zone_connectivity(inv)] == ["inner", "outer", "management"]
    outer = result["outer"]
    assert outer == ZoneConnectivity(
        zone="outer", devices=6, components=(("a", "b", "c"), ("x", "y"), ("lone",))
    )
    assert not outer.connected
    assert result["inner"].connected
    assert result["management"] == ZoneConnectivity("management", 0, ())
    assert result["management"].connected
    assert zone_connectivity(inv, build_graph(inv)) == zone_connectivity(inv)


def test_zone_connectivity_reports_zones_only_devices_name() -> None:
    inv = site(devices=[("a", "dmz", None)], zones=("outer",))
    assert [zc.zone for zc in zone_connectivity(inv)] == ["outer", "dmz"]


def test_node_graph_keeps_links_between_two_nodes() -> None:
    inv = site(
        nodes={"core": 1, "n2": 2},
        devices=[("c1", "outer", "core"), ("c2", "outer", "core"), ("a1", "outer", "n2"),
                 ("h", "outer", None)],
        links=[("c1", "c2"), {"id": "up1", "a": "c1", "b": "a1"},
               {"id": "up2", "a": "a1", "b": "c2", "bandwidth": "10G"}, ("h", "a1")],
    )
    graph = node_graph(inv)
    assert dict(graph.nodes(data=True)) == {
        "core": {"tier": 1, "name": "core"},
        "n2": {"tier": 2, "name": "n2"},
    }
    assert sorted(k for _, _, k in graph.edges(keys=True)) == ["up1", "up2"]
    assert graph.get_edge_data("core", "n2", key="up2")["bandwidth"] == 10**10
