"""A layer-2 switch in the lab: its addressless interfaces are ports of a Linux bridge in its
namespace, so the lab forwards across it as the routing model says (a tiny lab of its own,
site ``l2<SITE>``; traffic only between the namespaces it creates)."""

from __future__ import annotations

import ipaddress
import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from egovops.audit.probe import Topology
from egovops.lab import lab_down, lab_up, plan_lab
from egovops.lab.plan import BRIDGE, ns_prefix
from egovops.load import load_inventory
from tests.integration.conftest import SITE, require_lab
from tests.unit.lab.test_plan import L2_SITE

pytestmark = pytest.mark.integration

L2 = f"l2{SITE}"
NS = ns_prefix(L2)


def _ping(device: str, address: str) -> bool:
    return subprocess.run(["ip", "netns", "exec", f"{NS}{device}", "ping", "-c1", "-W1",
                           address], capture_output=True, check=False).returncode == 0


def _ports(device: str) -> set[str]:
    out = subprocess.run(["ip", "-n", f"{NS}{device}", "-j", "link", "show", "master", BRIDGE],
                         capture_output=True, text=True, check=True).stdout
    return {e["ifname"] for e in json.loads(out or "[]")}


def test_switch_bridges_and_the_model_agrees(write_site: Callable[..., Path]) -> None:
    require_lab()
    site = write_site({"site.yaml": L2_SITE.replace("id: t2,", f"id: {L2},", 1)})
    inv = load_inventory(site)
    plan = plan_lab(inv)
    assert plan.prefix == NS
    topo = Topology(inv)
    lab_down(L2, plan.state_dir)  # leftovers of a crashed run
    try:
        assert lab_up(plan).up
        assert _ports("sw1") == {"eth1", "eth2", "eth3"}
        assert _ports("sw2") == {"eth1", "eth2"}
        cases = [("h1", "10.1.0.12"),   # through both switches
                 ("h2", "10.1.0.1"),    # the LAN's gateway
                 ("h3", "10.1.0.12"),   # routed by r2 and r1, then bridged
                 ("h2", "10.3.0.11"),
                 ("h1", "10.5.0.2"),    # sw1's routed interface, through r1
                 ("h1", "10.1.0.99")]   # nobody has it
        for device, address in cases:
            modelled = topo.trace(device, ipaddress.ip_address(address)) is not None
            assert _ping(device, address) == modelled, (device, address, modelled)
        assert lab_up(plan).up  # again: the bridge is kept
        assert _ports("sw1") == {"eth1", "eth2", "eth3"}
        assert _ping("h1", "10.1.0.12")
    finally:
        lab_down(L2, plan.state_dir)
