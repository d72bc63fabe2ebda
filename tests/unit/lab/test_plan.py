"""The lab plan is computed from the inventory alone (no root, no system calls)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from egovops.errors import InputError
from egovops.lab import plan_lab
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
