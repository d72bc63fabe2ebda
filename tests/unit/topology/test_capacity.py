"""oversubscription: uplink capacity against the unit demand below each node."""

from __future__ import annotations

import math
from typing import Any

import pytest

from egovops.errors import UsageError
from egovops.model import Inventory
from egovops.topology import Uplink, oversubscription
from tests.unit.topology.builders import site

NODES = {"core": 1, "a": 2, "b": 2, "x": 3, "y": 3, "z": 3}
DEVICES = [("c", "outer", "core"), ("a1", "outer", "a"), ("b1", "outer", "b"),
           ("x1", "outer", "x"), ("y1", "outer", "y"), ("z1", "outer", "z"),
           ("ic", "inner", "core"), ("ia", "inner", "a")]
LINKS: list[dict[str, Any]] = [
    {"a": "c", "b": "a1", "bandwidth": "100M"},
    {"a": "a1", "b": "c", "bandwidth": "100M"},
    {"a": "c", "b": "b1", "bandwidth": "1G"},
    {"a": "a1", "b": "x1", "bandwidth": "100M"},
    # y is dual-homed: it counts fully under both a and b
    {"a": "a1", "b": "y1", "bandwidth": "1G"},
    {"a": "b1", "b": "y1", "bandwidth": "1G"},
    # a same-tier link carries no uplink capacity
    {"a": "a1", "b": "b1", "bandwidth": "10G", "tier_exception": "ring"},
    {"a": "ic", "b": "ia", "bandwidth": "1G"},
]


def units(node: str, count: int, bandwidth: str = "100M",
          networks: tuple[str, ...] = ("outer",)) -> list[dict[str, Any]]:
    return [{"id": f"{node}-{networks[0]}-{i}", "node": node, "bandwidth": bandwidth,
             "networks": networks} for i in range(count)]


def district(limit: float = 2.0) -> Inventory:
    return site(
        NODES, DEVICES, LINKS,
        units=units("a", 2, networks=("outer", "inner")) + units("x", 3, "10M")
        + units("y", 4) + units("core", 5) + units("a", 1, "10M", ("inner",)),
        limit=limit,
    )


def test_demand_rolls_up_from_the_nodes_below() -> None:
    assert oversubscription(district(), zone="outer") == (
        Uplink("a", 2, 200_000_000, 630_000_000, 3.15, True, 9),
        Uplink("b", 2, 1_000_000_000, 400_000_000, 0.4, False, 4),
        Uplink("x", 3, 100_000_000, 30_000_000, 0.3, False, 3),
        Uplink("y", 3, 2_000_000_000, 400_000_000, 0.2, False, 4),
        Uplink("z", 3, 0, 0, 0.0, False, 0),
    )


def test_all_zones_together() -> None:
    found = oversubscription(district())
    assert found[0] == Uplink("a", 2, 1_200_000_000, 640_000_000, 640 / 1200, False, 10)
    assert [u.node for u in found] == ["a", "b", "x", "y", "z"]


def test_the_limit_comes_from_the_site_settings() -> None:
    assert not any(u.over_limit for u in oversubscription(district(limit=4.0), zone="outer"))


def test_one_zone_counts_its_own_links_and_units() -> None:
    found = {u.node: u for u in oversubscription(district(), zone="inner")}
    assert found["a"] == Uplink("a", 2, 1_000_000_000, 210_000_000, 0.21, False, 3)
    assert found["x"] == Uplink("x", 3, 0, 0, 0.0, False, 0)
    with pytest.raises(UsageError):
        oversubscription(district(), zone="nope")


def test_demand_without_uplink_is_infinite() -> None:
    inv = site({"core": 1, "x": 3}, [("x1", "outer", "x")], units=units("x", 1))
    (uplink,) = oversubscription(inv)
    assert uplink.capacity == 0
    assert math.isinf(uplink.ratio)
    assert uplink.over_limit


def test_an_excepted_link_past_a_tier_is_an_uplink() -> None:
    inv = site({"core": 1, "x": 3}, [("c", "outer", "core"), ("x1", "outer", "x")],
               [{"a": "x1", "b": "c", "bandwidth": "1G", "tier_exception": "direct"}],
               units=units("x", 2))
    assert oversubscription(inv) == (Uplink("x", 3, 10**9, 2 * 10**8, 0.2, False, 2),)
