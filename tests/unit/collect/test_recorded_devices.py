"""Recorded vendor outputs through the live parsers, against golden ``expected*.json`` files.

Layout (napalm's ``test/<driver>/mocked_data`` style)::

    tests/data/devices/<platform>/<case>/<command file>    one recorded output per command
    tests/data/devices/<platform>/<case>/expected.json      netmiko + TextFSM dialect result
    tests/data/devices/<platform>/<case>/expected_napalm.json  napalm driver result (ios, junos)

``<platform>`` is the inventory platform, ``<case>`` the device id. The golden files hold the
``DeviceFacts`` without the collection time, and the names of the raw configurations. To
rewrite them after a deliberate change, run with ``EGOVOPS_UPDATE_GOLDEN=1`` and review the
diff line by line against the recorded output.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from egovops.collect.base import CollectContext
from egovops.collect.facts import DeviceFacts
from egovops.collect.replay import ReplayCollector
from egovops.model.inventory import Device
from tests.conftest import DATA

DEVICES = DATA / "devices"
CLI_PLATFORMS = ("huawei_vrp", "h3c_comware", "ios")
NAPALM_PLATFORMS = ("ios", "junos")


def _cases(platforms: tuple[str, ...], golden: str) -> list[Any]:
    return [pytest.param(platform, case.name, id=f"{platform}/{case.name}")
            for platform in platforms
            for case in sorted((DEVICES / platform).iterdir())
            if (case / golden).is_file() or os.environ.get("EGOVOPS_UPDATE_GOLDEN") == "1"]


def _device(platform: str, case: str) -> Device:
    return Device.model_validate({"id": case, "role": "router", "platform": platform,
                                  "zone": "outer", "mgmt": "10.30.255.1"})


def _golden(facts: DeviceFacts) -> dict[str, Any]:
    data = facts.model_dump(mode="json", exclude={"collected_at"})
    data["configs"] = sorted(facts.configs)
    # napalm's junos driver walks LLDP interfaces out of a set: order is not a result
    data["lldp"] = sorted(data["lldp"], key=lambda n: json.dumps(n, sort_keys=True))
    return data


def _check(facts: DeviceFacts, path: Path) -> None:
    got = _golden(facts)
    if os.environ.get("EGOVOPS_UPDATE_GOLDEN") == "1":
        path.write_text(json.dumps(got, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    expected = json.loads(path.read_text(encoding="utf-8"))
    for key in expected:
        assert got[key] == expected[key], f"{path.name}: {key} differs"
    assert set(got) == set(expected)


def _ctx() -> CollectContext:
    return CollectContext(root=Path("."), environ={})


@pytest.mark.parametrize(("platform", "case"), _cases(CLI_PLATFORMS, "expected.json"))
def test_cli_dialect_matches_golden(platform: str, case: str) -> None:
    facts = ReplayCollector(DEVICES / platform).collect(_device(platform, case), _ctx())
    assert not facts.warnings, facts.warnings
    _check(facts, DEVICES / platform / case / "expected.json")


@pytest.mark.parametrize(("platform", "case"), _cases(NAPALM_PLATFORMS, "expected_napalm.json"))
def test_napalm_driver_matches_golden(platform: str, case: str) -> None:
    facts = ReplayCollector(DEVICES / platform, via_napalm=True).collect(
        _device(platform, case), _ctx())
    assert not facts.warnings, facts.warnings
    _check(facts, DEVICES / platform / case / "expected_napalm.json")


@pytest.mark.parametrize("case", ["zwww-town-r1", "zwww-border-r1"])
def test_ios_dialect_and_napalm_agree_on_what_both_read(case: str) -> None:
    """The two IOS paths differ in spelling (napalm keeps IOS's version string, ARP ages in
    minutes, bandwidth as speed); identity, addresses, states and LLDP links must agree."""
    device = _device("ios", case)
    ours = ReplayCollector(DEVICES / "ios").collect(device, _ctx())
    theirs = ReplayCollector(DEVICES / "ios", via_napalm=True).collect(device, _ctx())
    for field in ("hostname", "fqdn", "model", "serial_number", "uptime"):
        assert getattr(ours.facts, field) == getattr(theirs.facts, field), field
    assert {(i.name, i.is_up, i.is_enabled, i.mac, i.addresses) for i in ours.interfaces} == {
        (i.name, i.is_up, i.is_enabled, i.mac, i.addresses) for i in theirs.interfaces}
    assert {(n.local_interface, n.remote_system_name, n.remote_chassis_id) for n in ours.lldp} \
        == {(n.local_interface, n.remote_system_name, n.remote_chassis_id) for n in theirs.lldp}
    learned = {(a.ip, a.mac, a.interface) for a in theirs.arp if a.age is not None}
    assert {(a.ip, a.mac, a.interface) for a in ours.arp} == learned
    for facts in (ours, theirs):
        assert f"hostname {ours.facts.hostname}" in facts.configs["running"]


def test_every_recording_has_its_golden_file() -> None:
    for platform in DEVICES.iterdir():
        if platform.name == "linux" or not platform.is_dir():
            continue
        for case in platform.iterdir():
            golden = [case / "expected.json", case / "expected_napalm.json"]
            assert any(path.is_file() for path in golden), case
