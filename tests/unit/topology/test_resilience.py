"""analyze_resilience: hand-made cases; random graphs against networkx and the naive baseline."""

from __future__ import annotations

from typing import Any

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from egovops.errors import UsageError
from egovops.model import Inventory
from egovops.topology import (
    Resilience,
    SinglePoint,
    analyze_resilience,
    link_zones,
    naive_resilience,
)
from tests.unit.topology.builders import site

NODES = {"core": 1, "a": 2, "b": 2, "x": 3, "y": 3}
UNITS = [
    {"id": "u-core", "node": "core"},
    {"id": "u-a", "node": "a"},
    {"id": "u-x", "node": "x", "networks": ("outer", "inner")},
    {"id": "u-x-inner", "node": "x", "networks": ("inner",)},
    {"id": "u-y", "node": "y"},
]


def both(inv: Inventory, zone: str | None = None) -> tuple[Resilience, ...]:
    """The fast answer, checked against the naive baseline."""
    fast = analyze_resilience(inv, zone)
    assert fast == naive_resilience(inv, zone)
    return fast


def point(kind: Any, ident: str, node: str | None, nodes: tuple[str, ...] = (),
          units: tuple[str, ...] = (), zone: str = "outer") -> SinglePoint:
    return SinglePoint(kind, ident, node, zone, nodes, units)


def test_a_chain_is_all_single_points() -> None:
    inv = site(
        NODES,
        [("c1", "outer", "core"), ("c2", "outer", "core"), ("a1", "outer", "a"),
         ("x1", "outer", "x"), ("h", "outer", None)],
        [("c1", "c2"), ("c2", "c1"), {"id": "up", "a": "c1", "b": "a1"},
         {"id": "down", "a": "a1", "b": "x1"}, {"id": "host", "a": "x1", "b": "h"}],
        units=UNITS,
    )
    (outer,) = both(inv)
    assert outer.zone == "outer"
    assert outer.roots == ("c1", "c2")
    # c2 backs c1 up at the core node, but a1 hangs off c1 alone; most harmful first
    assert outer.devices == (
        point("device", "a1", "a", ("a", "x"), ("u-a", "u-x")),
        point("device", "c1", "core", ("a", "x"), ("u-a", "u-x")),
        point("device", "x1", "x", ("x",), ("u-x",)),
    )
    assert outer.links == (
        point("link", "up", "a", ("a", "x"), ("u-a", "u-x")),
        point("link", "down", "x", ("x",), ("u-x",)),
        point("link", "host", None),
    )
    assert outer.spof_count == 6


def test_dual_homing_and_a_single_core_switch() -> None:
    inv = site(
        NODES,
        [("c1", "outer", "core"), ("a1", "outer", "a"), ("b1", "outer", "b"),
         ("x1", "outer", "x"), ("x2", "outer", "x")],
        [("c1", "a1"), ("c1", "b1"), ("a1", "x1"), ("b1", "x2"), ("x1", "x2")],
        units=UNITS,
    )
    (outer,) = both(inv)
    # x has two switches on two paths; a and b each have one switch, core one core switch
    assert outer.devices == (
        point("device", "c1", "core", ("a", "b", "core", "x"), ("u-a", "u-core", "u-x")),
        point("device", "a1", "a", ("a",), ("u-a",)),
        point("device", "b1", "b", ("b",)),
    )
    assert outer.links == ()


def test_parallel_links_are_redundancy() -> None:
    inv = site(NODES, [("c1", "outer", "core"), ("a1", "outer", "a"), ("a2", "outer", "a")],
               [("c1", "a1"), ("a1", "c1"), ("a1", "a2")])
    (outer,) = both(inv)
    assert [p.id for p in outer.links] == ["a1:p3--a2:p1"]
    assert [(p.id, p.nodes_cut) for p in outer.devices] == [
        ("c1", ("a", "core")),
        ("a1", ("a",)),  # a2 is cut off with a1 gone
    ]
    assert outer.links[0].nodes_cut == ()  # node a keeps a1


def test_zones_are_analysed_apart() -> None:
    inv = site(
        NODES,
        [("c1", "outer", "core"), ("c2", "outer", "core"), ("a1", "outer", "a"),
         ("a2", "outer", "a"), ("ic", "inner", "core"), ("ix", "inner", "x"),
         ("m1", "management", "a")],
        [("c1", "c2"), ("c1", "a1"), ("c2", "a2"),
         # a management port does not make the outer network redundant
         {"a": "a1", "b": "a2", "a_zone": "management"},
         ("ic", "ix"), ("m1", "a1")],
        units=UNITS,
    )
    inner, outer = both(inv)  # management has no device at a core node
    # a1 and a2 hang off c1 and c2 alone; node a keeps the other one
    assert [(p.id, p.nodes_cut) for p in outer.devices] == [("c1", ()), ("c2", ())]
    assert [p.id for p in outer.links] == ["c1:p2--a1:p1", "c2:p2--a2:p1"]
    assert outer.links[0].nodes_cut == ()  # node a keeps a2
    assert inner.zone == "inner"
    assert inner.devices == (
        point("device", "ic", "core", ("core", "x"), ("u-x", "u-x-inner"), "inner"),
        point("device", "ix", "x", ("x",), ("u-x", "u-x-inner"), "inner"),
    )
    assert both(inv, "inner") == (inner,)


def test_unreachable_devices_are_not_single_points() -> None:
    inv = site(NODES, [("c1", "outer", "core"), ("c2", "outer", "core"), ("x1", "outer", "x"),
                       ("x2", "outer", "x")], [("c1", "c2"), ("x1", "x2")])
    (outer,) = both(inv)
    assert outer.spof_count == 0


def test_a_zone_without_core_devices() -> None:
    inv = site(NODES, [("x1", "outer", "x"), ("m", "management", None)])
    assert both(inv) == ()
    assert both(inv, "outer") == (Resilience("outer", (), (), ()),)
    with pytest.raises(UsageError, match="unknown zone 'nope'"):
        analyze_resilience(inv, "nope")


def test_a_long_chain_needs_no_recursion() -> None:
    n = 5_000  # far beyond the recursion limit
    inv = site(
        {"core": 1},
        [("d0", "outer", "core"), *((f"d{i}", "outer", None) for i in range(1, n))],
        [(f"d{i - 1}", f"d{i}") for i in range(1, n)],
    )
    (outer,) = analyze_resilience(inv)
    assert [p.id for p in outer.devices[:2]] == ["d0", "d1"]  # d0 alone holds the core node
    assert len(outer.devices) == n - 1  # all but the last
    assert len(outer.links) == n - 1


# Random graphs: a few nodes, up to a dozen devices, possibly parallel links, links across
# zones and through management ports.


@st.composite
def random_sites(draw: st.DrawFn) -> Inventory:
    tiers = draw(st.lists(st.sampled_from([1, 2, 3]), min_size=1, max_size=4))
    nodes = {f"n{i}": t for i, t in enumerate(tiers)}
    n = draw(st.integers(1, 12))
    devices = [
        (f"d{i}", draw(st.sampled_from(["outer", "outer", "outer", "inner"])),
         draw(st.sampled_from([*nodes, None])))
        for i in range(n)
    ]
    pairs = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1),
                                    st.booleans()), max_size=2 * n))
    links = [
        {"a": f"d{a}", "b": f"d{b}", **({"b_zone": "management"} if mgmt else {})}
        for a, b, mgmt in pairs
        if a != b
    ]
    units = [{"id": f"u{i}", "node": node, "networks": ("outer", "inner")[: 1 + i % 2]}
             for i, node in enumerate(nodes)]
    return site(nodes, devices, links, units=units)


def expected_from_networkx(inv: Inventory, zone: str) -> tuple[set[str], set[frozenset[str]]]:
    """Articulation points and bridges over the zone graph plus a super-root."""
    tier = {n.id: n.tier for n in inv.nodes}
    graph = nx.MultiGraph()
    members = [d for d in inv.devices if d.zone == zone]
    graph.add_nodes_from(d.id for d in members)
    for link, z in zip(inv.links, link_zones(inv), strict=True):
        if z == zone:
            graph.add_edge(link.a.device, link.b.device)
    graph.add_edges_from(("ROOT", d.id) for d in members if d.node and tier[d.node] == 1)
    reach = graph.subgraph(nx.node_connected_component(graph, "ROOT"))
    cut = set(nx.articulation_points(reach)) - {"ROOT"}
    at_node: dict[str, list[str]] = {}
    for d in members:
        if d.id in reach and d.node:
            at_node.setdefault(d.node, []).append(d.id)
    cut |= {ids[0] for ids in at_node.values() if len(ids) == 1}
    bridges = {frozenset(e) for e in nx.bridges(reach) if "ROOT" not in e}
    return cut, bridges


@settings(max_examples=300, deadline=None)
@given(random_sites())
def test_random_sites_match_networkx_and_the_naive_baseline(inv: Inventory) -> None:
    fast = analyze_resilience(inv)
    assert fast == naive_resilience(inv)
    by_key = {link.key: link for link in inv.links}
    for res in fast:
        cut, bridges = expected_from_networkx(inv, res.zone)
        assert {p.id for p in res.devices} == cut
        assert {frozenset((by_key[p.id].a.device, by_key[p.id].b.device))
                for p in res.links} == bridges
        assert len(res.links) == len(bridges)
