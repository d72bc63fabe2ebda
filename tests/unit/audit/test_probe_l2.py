"""The probe model across layer-2 switches: a switch whose linked interfaces carry no address
bridges them, so every addressed interface on that segment is directly connected to every
other one on the same subnet (pure, no root, nothing sent)."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from pathlib import Path

import pytest

from egovops.audit.firewall import load_gateway_rulesets, zone_reach
from egovops.audit.probe import SSH, Hop, ProbeEndpoint, StaticModel, Topology, plan_probes
from egovops.load import load_inventory
from egovops.load.policy import load_policy
from egovops.model.inventory import Inventory
from tests.conftest import EXAMPLE, REPO
from tests.unit.lab.test_plan import L2_SITE

LAB = REPO / "inventories" / "example-lab"
POLICY = REPO / "policies"


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    return ipaddress.ip_address(text)


@pytest.fixture(scope="module")
def district() -> Inventory:
    return load_inventory(EXAMPLE)


def test_trace_crosses_switches_as_bridged_hops(write_site: Callable[..., Path]) -> None:
    topo = Topology(load_inventory(write_site({"site.yaml": L2_SITE})))
    assert topo.trace("h1", _ip("10.1.0.12")) == (
        Hop("h1", None, "eth0"),
        Hop("sw1", "eth2", "eth3", bridged=True),
        Hop("sw2", "eth1", "eth2", bridged=True),
        Hop("h2", "eth0", None),
    )
    hops = topo.trace("h3", _ip("10.1.0.12"))
    assert hops is not None
    assert [(h.device, h.iif, h.oif) for h in hops if not h.bridged] == [
        ("h3", None, "eth0"), ("r2", "eth1", "eth0"), ("r1", "eth1", "eth0"),
        ("h2", "eth0", None)]
    assert [h.device for h in hops if h.bridged] == ["sw1", "sw2"]
    back = topo.trace("h2", _ip("10.3.0.11"))
    assert back is not None and [h.device for h in back] == ["h2", "sw2", "sw1", "r1", "r2",
                                                             "h3"]
    # the gateway of the LAN is reached through the switches, its address on the LAN
    gateway = topo.trace("h2", _ip("10.1.0.1"))
    assert gateway is not None and gateway[-1] == Hop("r1", "eth0", None)
    # an address of the LAN that no device has: nothing answers, no path
    assert topo.trace("h1", _ip("10.1.0.99")) is None
    # sw1's addressed interface is routed, not bridged
    routed = topo.trace("h1", _ip("10.5.0.2"))
    assert routed is not None
    assert [h.device for h in routed] == ["h1", "sw1", "r1", "sw1"]
    assert routed[-1] == Hop("sw1", "eth9", None)


def test_example_lab_has_no_bridged_hop() -> None:
    inv = load_inventory(LAB)
    topo = Topology(inv)
    addresses = [a.ip for d in inv.devices for i in d.interfaces for a in i.addresses]
    for dev in inv.devices:
        for address in addresses:
            hops = topo.trace(dev.id, address)
            assert hops is None or not any(h.bridged for h in hops)


def test_bastion_to_the_portal_is_decided_by_the_firewall(district: Inventory) -> None:
    model = StaticModel(district, load_gateway_rulesets(district))
    hops = model.topology.trace("px-bastion", _ip("10.40.0.11"))
    assert hops is not None
    assert [h.device for h in hops] == ["px-bastion", "px-mgmt-sw", "px-fw-outer",
                                        "px-dmz-sw", "px-web-portal"]
    fw = hops[2]
    assert (fw.iif, fw.oif, fw.bridged) == ("GigabitEthernet1/0/3", "GigabitEthernet1/0/2",
                                            False)
    expected = model.expect(ProbeEndpoint("px-bastion", _ip("10.30.1.11"), "management"),
                            ProbeEndpoint("px-web-portal", _ip("10.40.0.11"), "dmz"), SSH)
    assert expected.path == tuple(h.device for h in hops)
    assert expected.decisions, expected.reason  # not "no path"
    request = expected.decisions[0]
    assert (request.device, request.allowed, request.reply) == ("px-fw-outer", True, False)
    assert "mgmt_to_dmz" in request.rule
    assert {d.device for d in expected.decisions} == {"px-fw-outer"}  # switches do not filter


def test_the_portal_reaches_its_gateway(district: Inventory) -> None:
    topo = Topology(district)
    hops = topo.trace("px-web-portal", _ip("10.40.0.1"))
    assert hops is not None
    assert hops[-1] == Hop("px-fw-outer", "GigabitEthernet1/0/2", None)
    assert hops[1] == Hop("px-dmz-sw", "GigabitEthernet0/0/3", "GigabitEthernet0/0/1",
                          bridged=True)


def test_district_plan_has_no_path_only_for_the_isolated_inner_network(
    district: Inventory,
) -> None:
    gateways = load_gateway_rulesets(district)
    plan = plan_probes(district, gateways, load_policy(POLICY, district), zone_reach(gateways))
    no_path = [p for p in plan.probes if not p.expected.path]
    assert no_path
    assert all(p.isolated for p in no_path), [p.key for p in no_path if not p.isolated]
    flow = next(p for p in plan.probes if (p.source.device, p.target.device, str(p.service))
                == ("px-bastion", "px-web-portal", "tcp/22"))
    assert flow.expected.decisions and flow.expected.path[2] == "px-fw-outer"
