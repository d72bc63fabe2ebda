"""Recorded outputs of lab Linux nodes through the live parsers, directly and through napalm."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from egovops.collect.base import CollectContext, CollectError
from egovops.collect.linux import parse_ip_addr, parse_lldpcli, parse_speeds
from egovops.collect.replay import ReplayCollector, command_file
from egovops.load import load_inventory
from tests.conftest import DATA, REPO

RECORDED = DATA / "devices" / "linux"
LAB = REPO / "inventories" / "example-lab"


@pytest.fixture(scope="module")
def inv():  # type: ignore[no-untyped-def]
    return load_inventory(LAB)


@pytest.mark.parametrize("via_napalm", [False, True])
def test_replayed_firewall_gives_facts_lldp_and_ruleset(inv, via_napalm: bool) -> None:  # type: ignore[no-untyped-def]
    ctx = CollectContext(root=Path(inv.root), environ={})
    facts = ReplayCollector(RECORDED, via_napalm=via_napalm).collect(
        inv.device_by_id["lab-fw"], ctx)
    assert facts.facts.hostname == "lab-fw"
    assert facts.facts.vendor == "Linux"
    eth1 = facts.interface("eth1")
    assert eth1 is not None and eth1.is_up and eth1.addresses == ("203.0.113.2/30",)
    assert eth1.speed_mbps == 10000.0
    neighbours = {(n.local_interface, n.remote_system_name, n.remote_port) for n in facts.lldp}
    assert neighbours == {("eth0", "lab-core", "eth3"), ("eth1", "lab-internet", "eth0"),
                          ("eth2", "lab-web", "eth0"), ("eth3", "lab-jump", "eth0")}
    if via_napalm:
        assert "policy drop" in facts.configs["running"]
    else:
        ruleset = json.loads(facts.configs["nftables.json"])
        assert any("chain" in item for item in ruleset["nftables"])
        assert "mgmt_hosts" in facts.configs["nftables"]


def test_host_without_ruleset_has_no_config(inv) -> None:  # type: ignore[no-untyped-def]
    ctx = CollectContext(root=Path(inv.root), environ={})
    facts = ReplayCollector(RECORDED).collect(inv.device_by_id["lab-in-sw"], ctx)
    assert facts.configs == {}
    assert {n.remote_system_name for n in facts.lldp} == {"lab-in-srv", "lab-in-pc"}


def test_missing_recording_is_a_collect_error(inv) -> None:  # type: ignore[no-untyped-def]
    ctx = CollectContext(root=Path(inv.root), environ={})
    with pytest.raises(CollectError, match="no recording"):
        ReplayCollector(RECORDED).collect(inv.device_by_id["lab-core"], ctx)


def test_command_file_names_are_stable() -> None:
    assert command_file("ip -j addr") == "ip_j_addr.txt"
    assert command_file("lldpcli -f json show neighbors details") == (
        "lldpcli_f_json_show_neighbors_details.txt")


def test_lldpcli_single_neighbour_is_an_object_not_a_list() -> None:
    text = json.dumps({"lldp": {"interface": {"eth0": {
        "chassis": {"sw1": {"id": {"type": "mac", "value": "aa:bb"}, "mgmt-ip": "10.0.0.1"}},
        "port": {"id": {"type": "ifname", "value": "ge-0/0/1"}, "descr": "uplink"}}}}})
    (n,) = parse_lldpcli(text)
    assert (n.local_interface, n.remote_system_name, n.remote_port) == ("eth0", "sw1", "ge-0/0/1")
    assert n.remote_mgmt == ("10.0.0.1",)


def test_ip_addr_states_and_prompt_noise() -> None:
    text = "\n" + json.dumps([
        {"ifname": "eth0", "flags": ["BROADCAST", "UP", "LOWER_UP"], "mtu": 1500,
         "address": "aa:bb:cc:dd:ee:ff",
         "addr_info": [{"local": "10.0.0.1", "prefixlen": 30, "scope": "global"},
                       {"local": "fe80::1", "prefixlen": 64, "scope": "link"}]},
        {"ifname": "eth1", "flags": ["BROADCAST", "UP"], "mtu": 1500, "addr_info": []},
        {"ifname": "eth2", "flags": ["BROADCAST"], "mtu": 1500, "addr_info": []},
    ])
    eth0, eth1, eth2 = parse_ip_addr(text)
    assert eth0.is_up and eth0.addresses == ("10.0.0.1/30",)
    assert eth1.is_enabled and not eth1.is_up
    assert not eth2.is_enabled
    with pytest.raises(CollectError):
        parse_ip_addr("bash: ip: command not found")


def test_speeds_skip_unknown() -> None:
    assert parse_speeds("/sys/class/net/eth0/speed:1000\n/sys/class/net/lo/speed:-1\n") == {
        "eth0": 1000.0}
