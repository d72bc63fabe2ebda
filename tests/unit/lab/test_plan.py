"""The lab plan is computed from the inventory alone (no root, no system calls)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from egovops.errors import InputError
from egovops.lab import plan_lab
from egovops.lab.plan import BRIDGE, l2_segments, static_routes
from egovops.load import load_inventory
from tests.conftest import EXAMPLE, REPO

LAB = REPO / "inventories" / "example-lab"


def test_example_lab_is_a_valid_inventory_of_10_to_30_hosts() -> None:
    inv = load_inventory(LAB)
    assert 10 <= len(inv.devices) <= 30
    kinds = {z.kind.value for z in inv.zones}
    assert {"inner", "outer", "internet", "dmz", "management"} <= kinds
    roles = {d.role.value for d in inv.devices}
    assert {"firewall", "vpn-gateway", "router", "switch", "server", "host"} <= roles
    assert {n.tier for n in inv.nodes} == {1, 2, 3}
    for dev in inv.devices:
        assert dev.credentials is not None and dev.credentials.password is not None
        assert dev.credentials.password.env is not None  # references, never values


def test_plan_has_a_namespace_per_device_and_a_veth_per_link() -> None:
    inv = load_inventory(LAB)
    plan = plan_lab(inv)
    assert plan.namespaces == tuple(f"egv-lab-{d.id}" for d in inv.devices)
    assert len(plan.veths) == len(inv.links)
    core_fw = next(v for v in plan.veths if v.ns_b == "egv-lab-lab-fw")
    assert (core_fw.ns_a, core_fw.if_a, core_fw.if_b) == ("egv-lab-lab-core", "eth3", "eth0")
    fw = next(n for n in plan.nodes if n.device == "lab-fw")
    assert fw.forwarding and fw.ruleset == LAB.resolve() / "configs" / "lab-fw.nft"
    assert fw.ruleset_format == "nftables"
    assert plan.state_dir == LAB.resolve() / ".lab"


def test_routes_follow_links_and_only_forwarders_forward() -> None:
    plan = plan_lab(load_inventory(LAB))
    routes = {n.device: {r.prefix: r.via for r in n.routes} for n in plan.nodes}
    pc = routes["lab-pc-finance"]
    assert pc["10.40.0.0/24"] == "10.21.1.1"        # DMZ via its access switch
    assert pc["203.0.113.0/30"] == "10.21.1.1"
    assert not any(p.startswith("10.10.") for p in pc)  # no way into the inner network
    assert set(routes["lab-in-pc"]) == {"10.10.0.0/30"}  # only inner subnets
    # the web server is a host: nothing is routed *through* it
    assert routes["lab-sslvpn"]["10.40.0.0/24"] in ("10.40.1.11", "10.20.0.13")
    assert routes["lab-sslvpn"]["10.40.0.0/24"] == "10.40.1.11"  # directly attached host
    assert routes["lab-core"]["10.30.1.0/24"] == "10.20.0.10"


def test_vendor_platforms_and_bad_interface_names_are_reported_together() -> None:
    with pytest.raises(InputError) as err:
        plan_lab(load_inventory(EXAMPLE))
    messages = [p.message for p in err.value.problems]
    assert any("emulates Linux nodes only" in m for m in messages)
    assert any("not a Linux interface name" in m for m in messages)
    assert all(p.line > 0 for p in err.value.problems)


def test_devices_without_management_address_are_skipped(
    write_site: Callable[..., Path],
) -> None:
    site = write_site({"site.yaml": """
        site: {id: t, name: t}
        zones: [{id: o, kind: outer, prefixes: [10.0.0.0/8]}]
        devices:
          - {id: a, role: host, platform: linux, zone: o, mgmt: 10.0.0.1,
             interfaces: [{name: eth0, addresses: [10.1.0.1/30]}]}
          - {id: b, role: host, platform: linux, zone: o,
             interfaces: [{name: eth0, addresses: [10.1.0.2/30]}]}
        links: [{a: a:eth0, b: b:eth0, bandwidth: 1G}]
    """})
    plan = plan_lab(load_inventory(site))
    assert plan.skipped == ("b",)
    assert plan.veths == ()
    assert plan.nodes[0].username == "egvlab"


# -- layer-2 switches ---------------------------------------------------------------------------

L2_SITE = """
    site: {id: t2, name: t2}
    zones: [{id: o, kind: outer, prefixes: [10.0.0.0/8]}]
    devices:
      - {id: r1, role: router, platform: linux, zone: o, mgmt: 10.99.0.1,
         interfaces: [{name: eth0, addresses: [10.1.0.1/24]},
                      {name: eth1, addresses: [10.2.0.1/30]},
                      {name: eth2, addresses: [10.5.0.1/30]}]}
      - {id: r2, role: router, platform: linux, zone: o, mgmt: 10.99.0.2,
         interfaces: [{name: eth0, addresses: [10.2.0.2/30]},
                      {name: eth1, addresses: [10.3.0.1/24]}]}
      - {id: sw1, role: switch, platform: linux, zone: o, mgmt: 10.99.0.3,
         interfaces: [{name: eth1}, {name: eth2}, {name: eth3},
                      {name: eth9, addresses: [10.5.0.2/30]}]}
      - {id: sw2, role: switch, platform: linux, zone: o, mgmt: 10.99.0.4,
         interfaces: [{name: eth1}, {name: eth2}]}
      - {id: h1, role: host, platform: linux, zone: o, mgmt: 10.99.0.11,
         interfaces: [{name: eth0, addresses: [10.1.0.11/24]}]}
      - {id: h2, role: host, platform: linux, zone: o, mgmt: 10.99.0.12,
         interfaces: [{name: eth0, addresses: [10.1.0.12/24]}]}
      - {id: h3, role: host, platform: linux, zone: o, mgmt: 10.99.0.13,
         interfaces: [{name: eth0, addresses: [10.3.0.11/24]}]}
    links:
      - {a: r1:eth0, b: sw1:eth1, bandwidth: 1G}
      - {a: h1:eth0, b: sw1:eth2, bandwidth: 1G}
      - {a: sw1:eth3, b: sw2:eth1, bandwidth: 1G}
      - {a: sw2:eth2, b: h2:eth0, bandwidth: 1G}
      - {a: r1:eth1, b: r2:eth0, bandwidth: 1G}
      - {a: r2:eth1, b: h3:eth0, bandwidth: 1G}
      - {a: r1:eth2, b: sw1:eth9, bandwidth: 1G}
"""
"""Two addressless switches in a row make one LAN 10.1.0.0/24 (r1, h1, h2); sw1's addressed
eth9 stays a routed point-to-point link to r1."""


def test_example_lab_routes_are_those_of_per_link_routing() -> None:
    """Without layer-2 switches the routes are those of plain per-link routing, recorded in
    tests/data/lab/example-lab-routes.json (for every device, and for the lab's devices)."""
    inv = load_inventory(LAB)
    assert not any(plan.bridge for plan in plan_lab(inv).nodes)  # no layer-2 switch here
    recorded = json.loads((REPO / "tests" / "data" / "lab" / "example-lab-routes.json")
                          .read_text(encoding="utf-8"))
    for name, devices in (("all", {d.id: d for d in inv.devices}),
                          ("lab", {d.id: d for d in inv.devices if d.mgmt is not None})):
        routes = static_routes(inv, devices)
        assert {dev: [[r.prefix, r.via] for r in found] for dev, found in routes.items()} \
            == recorded[name], name


def test_routes_cross_addressless_switches(write_site: Callable[..., Path]) -> None:
    inv = load_inventory(write_site({"site.yaml": L2_SITE}))
    plan = plan_lab(inv)
    routes = {n.device: {r.prefix: r.via for r in n.routes} for n in plan.nodes}
    assert routes["h1"] == {"10.2.0.0/30": "10.1.0.1", "10.3.0.0/24": "10.1.0.1",
                            "10.5.0.0/30": "10.1.0.1"}
    assert routes["h2"] == routes["h1"]  # through sw2 and sw1 to the router
    assert routes["h3"]["10.1.0.0/24"] == "10.3.0.1"
    assert routes["r2"]["10.1.0.0/24"] == "10.2.0.1"
    assert routes["r1"] == {"10.3.0.0/24": "10.2.0.2"}  # the LAN is its own subnet
    # sw1's addressed interface stays routed: it reaches the LAN through r1, no further
    assert routes["sw1"] == {"10.1.0.0/24": "10.5.0.1", "10.2.0.0/30": "10.5.0.1",
                             "10.3.0.0/24": "10.5.0.1"}
    assert not routes["sw2"]
    bridges = {n.device: n.bridge for n in plan.nodes if n.bridge}
    assert bridges == {"sw1": ("eth1", "eth2", "eth3"), "sw2": ("eth1", "eth2")}
    sw1 = next(n for n in plan.nodes if n.device == "sw1")
    assert sw1.forwarding and ("eth9", ("10.5.0.2/30",), True) in sw1.interfaces


def test_segments_join_links_through_bridge_ports(write_site: Callable[..., Path]) -> None:
    inv = load_inventory(write_site({"site.yaml": L2_SITE}))
    segments = l2_segments(inv, {d.id: d for d in inv.devices})
    lan = next(s for s in segments if ("h1", "eth0") in s.ends)
    assert lan.attached == (("r1", "eth0"), ("h1", "eth0"), ("h2", "eth0"))
    assert len(lan.links) == 4
    assert len(segments) == 4  # the LAN and three point-to-point links


def test_a_disabled_or_unlinked_switch_port_does_not_bridge(
    write_site: Callable[..., Path],
) -> None:
    inv = load_inventory(write_site({"site.yaml": L2_SITE.replace(
        "interfaces: [{name: eth1}, {name: eth2}]}",
        "interfaces: [{name: eth1}, {name: eth2, enabled: false}, {name: eth7}]}")}))
    routes = {n.device: {r.prefix: r.via for r in n.routes} for n in plan_lab(inv).nodes}
    assert routes["h2"] == {}  # cut off at sw2's disabled port
    assert routes["h1"]["10.3.0.0/24"] == "10.1.0.1"
    assert next(n for n in plan_lab(inv).nodes if n.device == "sw2").bridge == ("eth1",)


def test_a_declared_interface_named_like_the_bridge_is_reported(
    write_site: Callable[..., Path],
) -> None:
    inv = load_inventory(write_site({"site.yaml": L2_SITE.replace(
        "interfaces: [{name: eth1}, {name: eth2}]}",
        f"interfaces: [{{name: eth1}}, {{name: eth2}}, {{name: {BRIDGE}}}]}}")}))
    with pytest.raises(InputError) as err:
        plan_lab(inv)
    assert any(BRIDGE in p.message for p in err.value.problems)
