"""Active isolation probes on a real namespace lab: they confirm the static proof on the
shipped configuration, and report the disagreement when the live firewall is changed.

The tests build their own copy of the example lab (site ``p<SITE>``, namespaces
``egv-p<SITE>-…``), because they change lab-fw's live ruleset; it is restored and the lab is
removed at the end, also after a failure.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from egovops.cli.main import main
from egovops.lab import LabPlan, lab_down, lab_up, plan_lab
from egovops.lab.system import System
from egovops.load import load_inventory
from tests.conftest import REPO
from tests.integration.conftest import LAB_PASSWORD, SITE, copy_lab, require_lab

PROBE_SITE = f"p{SITE}"
POLICY = str(REPO / "policies")


@pytest.fixture(scope="module")
def probe_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, LabPlan]]:
    require_lab()
    path = copy_lab(tmp_path_factory.mktemp("probe") / "site", PROBE_SITE)
    plan = plan_lab(load_inventory(path))
    env = {**os.environ, "EGOVOPS_LAB_PASSWORD": LAB_PASSWORD,
           "EGOVOPS_LAB_INNER_PASSWORD": LAB_PASSWORD}
    lab_down(PROBE_SITE, plan.state_dir)
    try:
        lab_up(plan, environ=env)
        yield path, plan
    finally:
        lab_down(PROBE_SITE, plan.state_dir)


def _probe(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any], str]:
    code = main(["--lang", "en", "audit", "probe", *args, "--policy", POLICY,
                 "--format", "json"])
    out, err = capsys.readouterr()
    return code, json.loads(out) if out.strip() else {}, err


def _nft(plan: LabPlan, *args: str) -> str:
    ns = f"{plan.prefix}lab-fw"
    return subprocess.run(["ip", "netns", "exec", ns, "nft", *args], check=True,
                          capture_output=True, text=True, timeout=20).stdout


def test_probes_confirm_the_static_proof(probe_lab: tuple[Path, LabPlan],
                                         capsys: pytest.CaptureFixture[str]) -> None:
    path, plan = probe_lab
    start = time.monotonic()
    code, data, err = _probe(capsys, str(path), "--lab")
    elapsed = time.monotonic() - start
    assert code == 0, err
    assert data["mode"] == "lab"
    assert data["findings"] == []
    assert data["counts"] == {"agree": len(data["probes"]), "disagree": 0, "undecided": 0,
                              "not-run": 0}
    observed = {p["observed"] for p in data["probes"]}
    assert {"reached", "filtered", "no-route"} <= observed
    reached = [p for p in data["probes"] if p["observed"] == "reached"]
    assert all(p["expected"] == "allow" for p in reached)
    assert len(reached) >= 10
    assert any(p["detail"] == "connected; the probe listener answered" for p in reached)
    assert any(p["detail"] == "the probe listener echoed the datagram" for p in reached)
    assert elapsed < 15, f"the probe run took {elapsed:.1f} s"
    # the listeners are gone: only the lab's own daemons live in the targets' namespaces
    sysm = System()
    for device in ("lab-web", "lab-internet", "lab-jump", "lab-fw"):
        comms = {sysm.comm(pid) for pid in sysm.ns_pids(plan.prefix + device)
                 if sysm.alive(pid)}
        assert comms <= {"sshd", "lldpd"}, (device, comms)


def test_a_live_firewall_change_is_reported(probe_lab: tuple[Path, LabPlan],
                                            capsys: pytest.CaptureFixture[str]) -> None:
    path, plan = probe_lab
    before = _nft(plan, "list", "ruleset")
    try:
        # someone opens telnet from the internet on the running firewall, not in the config
        _nft(plan, "insert", "rule", "inet", "filter", "forward", "iifname", "eth1", "tcp",
             "dport", "23", "accept")
        code, data, _ = _probe(capsys, str(path), "--lab")
        assert code == 1
        leaks = {(f["zones"][0], f["zones"][1]) for f in data["findings"]}
        assert leaks == {("internet", "outer"), ("internet", "dmz"), ("internet", "management")}
        for finding in data["findings"]:
            assert finding["check"] == "probe.disagreement"
            assert finding["severity"] == "high"
            assert "tcp/23 (telnet)" in finding["title"]
            assert "observed reached" in finding["evidence"]
            assert finding["origin"].endswith("configs/lab-fw.nft:20")
        disagree = [p for p in data["probes"] if p["agreement"] == "disagree"]
        assert {p["service"] for p in disagree} == {"tcp/23"}
        assert data["counts"]["disagree"] == 3

        # the same from a vantage host over SSH (no listeners: the web server's RST shows it)
        code, data, err = _probe(capsys, str(path), "--from", "lab-internet")
        assert code == 1, err
        assert data["mode"] == "ssh:lab-internet"
        telnet = [p for p in data["probes"] if p["service"] == "tcp/23"]
        assert {p["observed"] for p in telnet} == {"reached-closed"}
        assert {p["agreement"] for p in telnet} == {"disagree"}

        # the report formats of the audit commands work on the result
        code = main(["--lang", "en", "audit", "probe", str(path), "--lab", "--policy", POLICY,
                     "--format", "sarif", "--fail-on", "critical"])
        out, _ = capsys.readouterr()
        assert code == 0
        assert {r["ruleId"] for r in json.loads(out)["runs"][0]["results"]} == \
            {"probe.disagreement"}
    finally:
        ns = f"{plan.prefix}lab-fw"
        subprocess.run(["ip", "netns", "exec", ns, "nft", "-f",
                        str(path / "configs" / "lab-fw.nft")], check=True, timeout=20)
    assert _nft(plan, "list", "ruleset") == before


def test_probes_from_a_vantage_host_over_ssh(probe_lab: tuple[Path, LabPlan],
                                             capsys: pytest.CaptureFixture[str]) -> None:
    path, _ = probe_lab
    code, data, err = _probe(capsys, str(path), "--from", "lab-pc-finance")
    assert code == 0, err
    assert data["mode"] == "ssh:lab-pc-finance"
    assert {p["source"]["device"] for p in data["probes"]} == {"lab-pc-finance"}
    assert data["counts"]["disagree"] == 0 and data["counts"]["not-run"] == 0
    by = {(p["target"]["device"], p["service"]): p for p in data["probes"]}
    # no listener on the internet host: its reset proves the allowed flow got there
    assert by[("lab-internet", "tcp/443")]["observed"] == "reached-closed"
    assert by[("lab-internet", "tcp/443")]["agreement"] == "agree"
    assert by[("lab-internet", "tcp/22")]["observed"] == "filtered"
    assert by[("lab-in-pc", "tcp/22")]["observed"] == "no-route"


def test_lab_not_up_is_a_clear_error(tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    require_lab()
    path = copy_lab(tmp_path / "site", f"q{SITE}")
    code = main(["--lang", "en", "audit", "probe", str(path), "--lab", "--policy", POLICY])
    _, err = capsys.readouterr()
    assert code == 2
    assert "is not up" in err and "egovops lab up" in err
    assert "Traceback" not in err
