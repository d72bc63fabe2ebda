"""Collection over real SSH from the namespace lab: facts, LLDP, rulesets, failures."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from egovops.cli.main import main
from egovops.collect.base import Timeouts
from egovops.collect.runner import RunOptions, collect_devices
from egovops.collect.snapshot import Snapshot, write_snapshot
from tests.integration.conftest import BADPASS_RIGHT, SITE, Lab

pytestmark = pytest.mark.integration

FAST = RunOptions(workers=8, timeouts=Timeouts(connect=2.0, command=5.0), retries=1,
                  backoff=0.1)


def _real(lab: Lab) -> list:  # type: ignore[type-arg]
    return [d for d in lab.inventory.devices if not d.id.startswith("t-")]


def test_collects_every_lab_device_over_ssh(lab: Lab, tmp_path: Path) -> None:
    devices = _real(lab)
    start = time.monotonic()
    run = collect_devices(devices, site=SITE, root=lab.path, environ=lab.environ,
                          options=FAST)
    assert time.monotonic() - start < 15
    assert not run.failed, run.failed
    for r in run.results:
        assert r.facts is not None
        assert r.facts.facts.hostname == r.device
        dev = lab.inventory.device_by_id[r.device]
        for iface in dev.interfaces:
            seen = r.facts.interface(iface.name)
            assert seen is not None and seen.is_up
            assert {str(a) for a in iface.addresses} <= set(seen.addresses)
    folder = write_snapshot(run, tmp_path)
    snap = Snapshot(folder)
    assert set(snap.facts) == {d.id for d in devices}
    ruleset = snap.config("lab-fw", "nftables.json")
    assert ruleset is not None
    assert any("chain" in item for item in json.loads(ruleset)["nftables"])


def test_lldp_links_match_the_lab_definition(lab: Lab) -> None:
    run = collect_devices(_real(lab), site=SITE, root=lab.path, environ=lab.environ,
                          options=FAST)
    found = set()
    for r in run.results:
        assert r.facts is not None
        for n in r.facts.lldp:
            found.add(frozenset({(r.device, n.local_interface),
                                 (n.remote_system_name, n.remote_port)}))
    declared = {frozenset({(k.a.device, k.a.interface), (k.b.device, k.b.interface)})
                for k in lab.inventory.links}
    assert found == declared


def test_hung_sshd_and_wrong_password_fail_only_their_own_device(lab: Lab) -> None:
    env = {**lab.environ, "EGOVOPS_TEST_BADPASS": "wrong-Pass-1234"}
    picked = [lab.inventory.device_by_id[i] for i in ("t-hung", "t-badpass", "lab-core")]
    options = RunOptions(workers=4, timeouts=Timeouts(connect=1.5, command=5.0), retries=2,
                         backoff=0.1)
    start = time.monotonic()
    run = collect_devices(picked, site=SITE, root=lab.path, environ=env, options=options)
    took = time.monotonic() - start
    by_id = {r.device: r for r in run.results}
    assert by_id["lab-core"].ok
    assert by_id["t-hung"].error_kind == "timeout", by_id["t-hung"]
    assert by_id["t-badpass"].error_kind == "auth", by_id["t-badpass"]
    assert by_id["t-badpass"].attempts == 1  # never retried
    assert took < 6, took
    for r in run.results:
        assert "wrong-Pass-1234" not in r.error and BADPASS_RIGHT not in r.error


def test_right_password_logs_in(lab: Lab) -> None:
    run = collect_devices([lab.inventory.device_by_id["t-badpass"]], site=SITE,
                          root=lab.path, environ=lab.environ, options=FAST)
    assert run.results[0].ok, run.results[0]


def test_cli_collect_limits_and_exits_3_with_a_table(
    lab: Lab, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for key, value in lab.environ.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("EGOVOPS_TEST_BADPASS", "wrong-Pass-1234")
    code = main(["--lang", "en", "collect", str(lab.path), "--limit", "id=t-*",
                 "--limit", "zone=outer,tier=2", "--connect-timeout", "1.5",
                 "--snapshot-dir", str(tmp_path), "--workers", "4"])
    out = capsys.readouterr().out
    assert code == 3
    assert "t-hung" in out and "t-badpass" in out and "login refused" in out
    assert "wrong-Pass-1234" not in out
    snap = Snapshot(next(tmp_path.iterdir()))
    assert set(snap.facts) == {"lab-agg-east", "lab-agg-west"}
    assert snap.devices["t-hung"]["error_kind"] == "timeout"


def test_collects_through_napalm_with_the_linux_driver(lab: Lab) -> None:
    from egovops.collect.napalm import NapalmCollector

    devices = [lab.inventory.device_by_id[i] for i in ("lab-fw", "lab-core", "lab-in-srv")]
    run = collect_devices(devices, site=SITE, root=lab.path, environ=lab.environ,
                          options=FAST, table=lambda _d: NapalmCollector("egovops_linux"))
    assert not run.failed, run.failed
    by_id = {r.device: r.facts for r in run.results}
    fw = by_id["lab-fw"]
    assert fw is not None and fw.collector == "napalm:egovops_linux"
    assert fw.facts.hostname == "lab-fw"
    assert "10.20.0.10/30" in (fw.interface("eth0") or pytest.fail("no eth0")).addresses
    assert {n.remote_system_name for n in fw.lldp} >= {"lab-core", "lab-internet"}
    assert "policy drop" in fw.configs["running"]
