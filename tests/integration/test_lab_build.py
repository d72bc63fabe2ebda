"""`egovops lab`: the namespace lab is built from the inventory, idempotently, and removed."""

from __future__ import annotations

import json
import subprocess
import time

import pytest

from egovops.lab import System, lab_down, lab_status, lab_up
from egovops.lab.plan import ns_prefix
from tests.integration.conftest import SITE, Lab, require_lab

NS = ns_prefix(SITE)

pytestmark = pytest.mark.integration


def _links(ns: str) -> dict[str, dict[str, object]]:
    out = subprocess.run(["ip", "-n", ns, "-j", "addr"], capture_output=True, text=True,
                         check=True).stdout
    return {e["ifname"]: e for e in json.loads(out)}


def test_every_device_is_a_namespace_with_its_declared_interfaces(lab: Lab) -> None:
    status = lab_status(lab.plan)
    assert status.up, status
    assert {n.device for n in status.nodes} == {d.id for d in lab.inventory.devices}
    for dev in lab.inventory.devices:
        links = _links(f"{NS}{dev.id}")
        addrs = {f"{a['local']}/{a['prefixlen']}" for a in links["lo"]["addr_info"]}  # type: ignore[attr-defined]
        assert f"{dev.mgmt}/32" in addrs
        for iface in dev.interfaces:
            assert iface.name in links, (dev.id, iface.name)
            found = {f"{a['local']}/{a['prefixlen']}"
                     for a in links[iface.name]["addr_info"]}  # type: ignore[attr-defined]
            assert {str(a) for a in iface.addresses} <= found


def test_nothing_is_added_to_the_host_namespace(lab: Lab) -> None:
    host = subprocess.run(["ip", "-j", "link"], capture_output=True, text=True,
                          check=True).stdout
    names = {e["ifname"] for e in json.loads(host)}
    lab_names = {i.name for d in lab.inventory.devices for i in d.interfaces}
    assert not (names & lab_names - {"eth0"}), names
    # the host's own eth0 (if any) is not a veth of the lab
    assert all(e.get("link_netnsid") is None or e["ifname"] not in lab_names
               for e in json.loads(host))


def test_firewall_loads_its_ruleset_in_its_namespace(lab: Lab) -> None:
    out = subprocess.run(["ip", "netns", "exec", f"{NS}lab-fw", "nft", "list", "ruleset"],
                         capture_output=True, text=True, check=True).stdout
    assert "policy drop" in out and "mgmt_hosts" in out


def test_routes_follow_the_topology_and_the_firewall_filters(lab: Lab) -> None:
    def ping(ns: str, address: str) -> bool:
        return subprocess.run(["ip", "netns", "exec", ns, "ping", "-c1", "-W1", address],
                              capture_output=True, check=False).returncode == 0

    assert ping(f"{NS}lab-pc-finance", "10.20.0.9")        # across the backbone
    assert ping(f"{NS}lab-jump", "10.21.1.10")              # management → outer
    assert not ping(f"{NS}lab-pc-finance", "203.0.113.1")   # outer → internet: no ping
    assert not ping(f"{NS}lab-in-pc", "10.20.0.1")          # inner has no way out


def test_up_again_keeps_what_runs(lab: Lab) -> None:
    sysm = System()
    before = {ns: sorted(sysm.ns_pids(ns)) for ns in lab.plan.namespaces}
    start = time.monotonic()
    status = lab_up(lab.plan, environ=lab.environ)
    assert status.up
    assert time.monotonic() - start < 10
    assert {ns: sorted(sysm.ns_pids(ns)) for ns in lab.plan.namespaces} == before


def test_down_finds_leftovers_by_prefix() -> None:
    require_lab()
    subprocess.run(["ip", "netns", "add", "egv-icrash-a"], check=True)
    subprocess.run(["ip", "netns", "add", "egv-icrash-b"], check=True)
    subprocess.run(["ip", "link", "add", "x1", "netns", "egv-icrash-a", "type", "veth",
                    "peer", "name", "x2", "netns", "egv-icrash-b"], check=True)
    removed = lab_down("icrash", None)
    assert sorted(removed) == ["egv-icrash-a", "egv-icrash-b"]
    assert not [n for n in System().namespaces() if n.startswith("egv-icrash-")]
