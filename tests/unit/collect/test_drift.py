"""Drift from synthetic snapshots (the live cases are in tests/integration/test_lab_drift.py)."""

from __future__ import annotations

from pathlib import Path

from egovops.collect.drift import detect_drift
from egovops.collect.facts import DeviceFacts, InterfaceFacts, LldpNeighbor
from egovops.collect.runner import DeviceResult, RunResult
from egovops.collect.snapshot import Snapshot, write_snapshot
from egovops.load import load_inventory
from egovops.model.findings import Severity
from tests.conftest import REPO

LAB = REPO / "inventories" / "example-lab"


def _snap(tmp_path: Path, *facts: DeviceFacts) -> Snapshot:
    run = RunResult(site="lab", started="", finished="", results=tuple(
        DeviceResult(f.device, True, "fake", 0.0, 1, facts=f) for f in facts))
    return Snapshot(write_snapshot(run, tmp_path))


def _facts(device: str, interfaces: list[InterfaceFacts],
           lldp: list[LldpNeighbor]) -> DeviceFacts:
    return DeviceFacts(device=device, collector="fake", collected_at="", interfaces=tuple(
        interfaces), lldp=tuple(lldp))


def test_inner_switch_with_an_unknown_neighbour_and_an_outer_address(tmp_path: Path) -> None:
    inv = load_inventory(LAB)
    sw = _facts("lab-in-sw", [
        InterfaceFacts(name="eth1", is_up=True, addresses=("10.10.0.1/30",)),
        InterfaceFacts(name="eth2", is_up=False, addresses=("10.10.1.1/24",)),
        InterfaceFacts(name="wlan0", is_up=True, addresses=("10.21.9.1/24",)),
    ], [LldpNeighbor(local_interface="eth1", remote_system_name="lab-in-srv", remote_port="eth0"),
        LldpNeighbor(local_interface="wlan0", remote_system_name="TP-LINK-AP")])
    srv = _facts("lab-in-srv", [InterfaceFacts(name="eth0", is_up=True,
                                               addresses=("10.10.0.2/30",))],
                 [LldpNeighbor(local_interface="eth0", remote_system_name="lab-in-sw",
                               remote_port="eth1")])
    result = detect_drift(inv, _snap(tmp_path, sw, srv))
    checks = {(f.check, f.subject): f for f in result.findings}
    assert checks[("drift.interface-down", "lab-in-sw:eth2")].severity is Severity.MEDIUM
    wrong = checks[("drift.isolation-breach", "lab-in-sw:wlan0:10.21.9.1")]
    assert wrong.severity is Severity.CRITICAL  # outer address on an inner device
    # the unknown access point on an inner device is a breach, not just an unknown device
    assert checks[("drift.isolation-breach", "lab-in-sw:wlan0")].severity is Severity.CRITICAL
    # lab-in-pc was not collected: its link is not reported missing
    assert not [f for f in result.findings if f.check == "drift.missing-link"]
    assert result.findings[0].severity is Severity.CRITICAL


def test_unknown_neighbour_on_outer_is_high_and_found_by_mgmt(tmp_path: Path) -> None:
    inv = load_inventory(LAB)
    core = _facts("lab-core", [], [
        LldpNeighbor(local_interface="eth9", remote_system_name="rogue"),
        LldpNeighbor(local_interface="eth1", remote_system_name="AGG-EAST.example",
                     remote_port="eth0", remote_mgmt=("10.30.20.1",)),
    ])
    result = detect_drift(inv, _snap(tmp_path, core))
    subjects = {(f.check, f.subject, f.severity) for f in result.findings}
    assert ("drift.unknown-device", "lab-core:eth9", Severity.HIGH) in subjects
    assert not [f for f in result.findings if f.check == "drift.undeclared-link"]
