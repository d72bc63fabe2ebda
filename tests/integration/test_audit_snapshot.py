"""``audit firewall --snapshot`` on the live lab: what runs in the firewall's namespace is
audited, and a rule added there shows up in the audit of the next collection only.

The module builds its own lab copy (site ``<EGOVOPS_ITEST_SITE>snap``, namespaces
``egv-<site>snap-…``, a prefix the session lab's clean-up does not touch), so changing the
live ruleset cannot disturb the other integration tests; the lab is removed at the end.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from egovops.cli.main import main
from egovops.collect.base import Timeouts
from egovops.collect.runner import RunOptions, collect_devices
from egovops.collect.snapshot import write_snapshot
from egovops.lab import lab_down, lab_up, plan_lab
from egovops.load import load_inventory
from tests.conftest import REPO
from tests.integration.conftest import LAB_PASSWORD, SITE, Lab, copy_lab, require_lab

pytestmark = pytest.mark.integration

SNAP_SITE = f"{SITE}snap"
FAST = RunOptions(workers=8, timeouts=Timeouts(connect=2.0, command=5.0), retries=1,
                  backoff=0.1)
POLICIES = str(REPO / "policies")


@pytest.fixture(scope="module")
def snap_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """The example lab under its own site id, up for this module."""
    require_lab()
    path = copy_lab(tmp_path_factory.mktemp("snaplab") / "site", SNAP_SITE)
    inv = load_inventory(path)
    plan = plan_lab(inv)
    env = {**os.environ, "EGOVOPS_LAB_PASSWORD": LAB_PASSWORD,
           "EGOVOPS_LAB_INNER_PASSWORD": LAB_PASSWORD}
    lab_down(SNAP_SITE, plan.state_dir)  # leftovers of a crashed run
    try:
        lab_up(plan, environ=env)
        yield Lab(path, inv, plan, env)
    finally:
        lab_down(SNAP_SITE, plan.state_dir)


def _collect(lab: Lab, parent: Path, skip: tuple[str, ...] = ()) -> Path:
    devices = [d for d in lab.inventory.devices if d.id not in skip]
    run = collect_devices(devices, site=lab.inventory.site.id, root=lab.path,
                          environ=lab.environ, options=FAST)
    assert not run.failed, run.failed
    return write_snapshot(run, parent)


def _audit(lab: Lab, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    code = main(["--lang", "en", "audit", "firewall", str(lab.path), "--policy", POLICIES,
                 "-f", "json", *extra])
    return code, json.loads(capsys.readouterr().out)


def _keys(data: dict) -> set[tuple[str, str, str]]:  # type: ignore[type-arg]
    return {(f["check"], f["subject"], f["severity"]) for f in data["findings"]}


def _nft(lab: Lab, *args: str) -> None:
    ns = f"/run/netns/{lab.plan.prefix}lab-fw"
    subprocess.run(["nsenter", f"--net={ns}", "nft", *args], check=True)


def test_live_ruleset_is_audited_and_a_live_change_is_found(
        snap_lab: Lab, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lab = snap_lab
    first = _collect(lab, tmp_path)
    assert (first / "configs" / "lab-fw" / "nftables.json").is_file()
    code_saved, saved = _audit(lab, capsys)
    code, live = _audit(lab, capsys, "--snapshot", str(first))
    # the lab's firewall runs the inventory's config: the same findings and the same reach
    assert code == code_saved
    vpn = "lab-sslvpn:"
    assert ({k for k in _keys(live) if not k[1].startswith(vpn)}
            == {k for k in _keys(saved) if not k[1].startswith(vpn)})
    assert live["reach"] == saved["reach"] and live["reach"]
    # fail closed (#12): the VPN gateway, a declared gateway, has no config: (saved audit) and
    # runs an empty ruleset (live audit); routers without a ruleset report nothing
    assert {k for k in _keys(saved) if k[1].startswith(vpn)} == {
        ("firewall.config-missing", "lab-sslvpn:config", "high")}
    assert {k for k in _keys(live) if k[1].startswith(vpn)} == {
        ("firewall.snapshot-empty", "lab-sslvpn:snapshot", "critical")}
    assert not any(f["check"].startswith("firewall.snapshot-") and not f["subject"].startswith(
        vpn) for f in live["findings"])
    origins = [f["origin"] for f in live["findings"] if f["origin"].startswith(str(first))
               and not f["subject"].startswith(vpn)]
    assert origins, live["findings"]
    # nft -j is one line; findings cite the text listing collected in the same run
    assert all(re.search(r"/configs/lab-fw/nftables:\d+$", o) for o in origins), origins

    # someone opens telnet from the internet side on the live firewall
    _nft(lab, "add", "rule", "inet", "filter", "forward", "iifname", "eth1", "tcp", "dport",
         "23", "accept")
    second = _collect(lab, tmp_path)
    code, changed = _audit(lab, capsys, "--snapshot", str(tmp_path))  # the newest snapshot
    code_saved, saved_again = _audit(lab, capsys)
    telnet = ("firewall.risky-service", "lab-fw:forward:internet:telnet", "high")
    assert telnet in _keys(changed)
    assert telnet not in _keys(saved_again) and telnet not in _keys(live)
    assert code == 1
    finding = next(f for f in changed["findings"] if f["subject"].endswith(":internet:telnet"))
    origin = finding["origin"]
    assert origin.startswith(f"{second}/configs/lab-fw/nftables:"), origin
    line = int(origin.rpartition(":")[2])
    listing = (second / "configs" / "lab-fw" / "nftables").read_text("utf-8").splitlines()
    assert 'iifname "eth1" tcp dport 23 accept' in listing[line - 1]
    internet = [r for r in changed["reach"] if (r["source"], r["device"]) == ("internet",
                                                                              "lab-fw")]
    assert any("tcp/23" in r["packets"] for r in internet)


def test_a_gateway_left_out_of_the_collection_or_flushed_is_a_finding(
        snap_lab: Lab, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lab = snap_lab
    folder = _collect(lab, tmp_path / "partial", skip=("lab-fw",))
    code, data = _audit(lab, capsys, "--snapshot", str(folder))
    (missing,) = [f for f in data["findings"] if f["check"] == "firewall.snapshot-missing"]
    assert code == 1 and missing["subject"] == "lab-fw:snapshot"
    assert not any(f["subject"].startswith("lab-fw:forward") for f in data["findings"])

    _nft(lab, "flush", "ruleset")
    folder = _collect(lab, tmp_path / "flushed")
    code, data = _audit(lab, capsys, "--snapshot", str(folder))
    (empty,) = [f for f in data["findings"] if f["check"] == "firewall.snapshot-empty"
                and f["subject"] == "lab-fw:snapshot"]
    assert code == 1 and empty["severity"] == "critical"
    assert empty["origin"] == f"{folder}/configs/lab-fw/nftables.json"
