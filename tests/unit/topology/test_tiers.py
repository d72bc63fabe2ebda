"""check_tiers: link tier pairs, declared exceptions, missing uplinks, missing core."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from egovops.load import load_inventory
from egovops.topology import TierViolation, check_tiers
from tests.unit.topology.builders import site

NODES = {"core": 1, "a": 2, "b": 2, "x": 3, "y": 3}
DEVICES = [("core-sw", "outer", "core"), ("a-sw", "outer", "a"), ("b-sw", "outer", "b"),
           ("x-sw", "outer", "x"), ("y-sw", "outer", "y"), ("core-sw2", "outer", "core")]
TREE = [("core-sw", "a-sw"), ("b-sw", "core-sw"), ("a-sw", "x-sw"), ("y-sw", "b-sw"),
        ("core-sw", "core-sw2")]


def test_a_clean_tree_has_no_violation() -> None:
    assert check_tiers(site(NODES, DEVICES, TREE)) == ()


def test_same_tier_and_skipping_links_are_violations() -> None:
    inv = site(NODES, DEVICES, [*TREE, {"id": "ab", "a": "a-sw", "b": "b-sw"},
                                {"id": "xc", "a": "x-sw", "b": "core-sw"}])
    assert check_tiers(inv) == (
        TierViolation("ab", "a", "b", 2, 2,
                      "same-tier link between tier-2 nodes a and b", ""),
        TierViolation("xc", "x", "core", 3, 1,
                      "link from tier-3 node x skips a tier to tier-1 node core", ""),
    )


def test_declared_exceptions_are_allowed() -> None:
    inv = site(NODES, DEVICES, [*TREE,
                                {"a": "a-sw", "b": "b-sw", "tier_exception": "ring"},
                                {"a": "x-sw", "b": "core-sw", "tier_exception": "backup"}])
    assert check_tiers(inv) == ()


def test_nodes_without_uplink() -> None:
    # y hangs off x (same tier, excepted): still no uplink; b only reaches y below it
    inv = site(NODES, DEVICES, [("core-sw", "a-sw"), ("a-sw", "x-sw"), ("b-sw", "y-sw"),
                                {"a": "x-sw", "b": "y-sw", "tier_exception": "chain"}])
    found = check_tiers(inv)
    assert [(v.link, v.a_node, v.b_node, v.a_tier, v.b_tier) for v in found] == [
        ("", "b", "", 2, 1),
    ]
    assert found[0].reason == "tier-2 node b has no uplink to a tier-1 node"


def test_an_excepted_link_to_a_higher_tier_is_an_uplink() -> None:
    inv = site(NODES, DEVICES, [("core-sw", "a-sw"), ("core-sw", "b-sw"), ("a-sw", "x-sw"),
                                {"a": "y-sw", "b": "core-sw", "tier_exception": "direct"}])
    assert check_tiers(inv) == ()


def test_a_backbone_without_core() -> None:
    inv = site({"a": 2, "x": 3}, [("a-sw", "outer", "a"), ("x-sw", "outer", "x")],
               [("a-sw", "x-sw")])
    found = check_tiers(inv)
    assert [(v.a_node, v.reason) for v in found] == [
        ("a", "tier-2 node a has no uplink to a tier-1 node"),
        ("", "the backbone has no tier-1 (core) node"),
    ]
    assert check_tiers(site()) == ()


def test_links_at_one_node_or_off_the_backbone_are_ignored() -> None:
    inv = site({"core": 1}, [("c1", "outer", "core"), ("c2", "outer", "core"),
                             ("h", "outer", None)], [("c1", "c2"), ("h", "c1")])
    assert check_tiers(inv) == ()


def test_origin_is_the_link_file_and_line(write_site: Callable[..., Path]) -> None:
    root = write_site({
        "site.yaml": "site: {id: s, name: s}\nzones: [{id: outer, kind: outer}]\n",
        "net.yaml": """
            nodes:
              - {id: a, name: a, tier: 2}
              - {id: b, name: b, tier: 2}
            devices:
              - {id: a1, role: switch, platform: linux, zone: outer, node: a,
                 interfaces: [{name: g1}]}
              - {id: b1, role: switch, platform: linux, zone: outer, node: b,
                 interfaces: [{name: g1}]}
            links:
              - {a: a1:g1, b: b1:g1, bandwidth: 1G}
            """,
    })
    found = check_tiers(load_inventory(root))
    link = next(v for v in found if v.link)
    assert link.link == "a1:g1--b1:g1"
    assert link.origin.endswith("net.yaml:10")
    uplink = next(v for v in found if v.a_node == "a" and not v.link)
    assert uplink.origin.endswith("net.yaml:2")
