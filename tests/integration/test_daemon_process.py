"""``egovops daemon`` as a real process: readiness, /metrics and /probe, sd_notify with the
watchdog, a CRL re-issued before nextUpdate, a failing job that does not stop it, SIGHUP reload
(good and broken configuration), SIGTERM that lets the running job finish, state kept across a
restart."""

from __future__ import annotations

import shutil
import signal
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from egovops.pki import CaConfig, init_ca
from tests.conftest import MINI, REPO
from tests.unit.daemon.process import DaemonProcess
from tests.unit.metrics.helpers import NOW, write_mini_snapshot
from tests.unit.pki.conftest import PASSPHRASE, PROFILES

pytestmark = pytest.mark.integration
PLAN = REPO / "policies" / "emergency-plan.yaml"


def config(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.fixture
def started(tmp_path: Path) -> Iterator[list[DaemonProcess]]:
    procs: list[DaemonProcess] = []
    yield procs
    for proc in procs:
        proc.stop()


def test_serves_notifies_reissues_crl_and_stops_cleanly(
        tmp_path: Path, started: list[DaemonProcess]) -> None:
    site = shutil.copytree(MINI, tmp_path / "site")
    write_mini_snapshot(tmp_path / "snaps", NOW)
    ca_dir = tmp_path / "ca"
    init_ca(ca_dir, CaConfig(crl_next_update_hours=48), PROFILES, PASSPHRASE)
    cfg = config(tmp_path / "daemon.yaml", f"""
        state_dir: {tmp_path / "state"}
        snapshot_dir: {tmp_path / "snaps"}
        plan: {PLAN}
        ca_dir: {ca_dir}
        collect: {{enabled: false}}
        audit: {{interval: 1s, jitter: 0s}}
        pki: {{interval: 1h, crl_renew_before: 24h}}
        """)
    env = {"EGOVOPS_CA_PASSPHRASE": PASSPHRASE}
    daemon = DaemonProcess(site, cfg, tmp_path, env)
    started.append(daemon)
    assert daemon.address.startswith("127.0.0.1:")
    assert daemon.get("/-/healthy")[0] == 200
    daemon.wait_for(lambda: daemon.get("/-/ready")[0] == 200)
    status, text = daemon.get("/metrics")
    assert status == 200
    assert 'egovops_device_up{device="agg-sw",tier="2",zone="outer"} 0.0' in text
    assert "egovops_crl_reissues_total 1.0" in text  # no CRL yet: issued at once
    assert "egovops_crl_next_update_timestamp_seconds " in text
    assert 'egovops_emergency_condition_active{condition="crl-expiring"' in text
    assert "egovops_emergency_level 2.0" in text  # III: agg-sw never collected
    status, text = daemon.get("/probe?target=core-sw")
    assert status == 200 and 'egovops_device_up{device="core-sw"' in text
    assert 'device="agg-sw"' not in text
    assert daemon.get("/probe?target=nope")[0] == 404
    assert daemon.get("/probe")[0] == 400
    daemon.wait_for(lambda: (daemon.metric('egovops_job_runs_total{job="audit"}') or 0) >= 2)
    daemon.wait_for(lambda: "WATCHDOG=1" in daemon.messages)
    assert daemon.messages[0] == "READY=1"
    assert daemon.stop() == 0
    assert "STOPPING=1" in daemon.messages
    assert any(e.get("event") == "stopped" for e in daemon.logs)
    runs_before = int(float(next(
        line for line in (tmp_path / "state" / "daemon-state.json").read_text().splitlines()
        if '"runs"' in line).split(":")[1].strip(" ,")))

    # restarted: counters continue, the CRL is fresh so it is not re-issued again
    again = DaemonProcess(site, cfg, tmp_path, env)
    started.append(again)
    again.wait_for(lambda: again.get("/-/ready")[0] == 200)
    assert (again.metric('egovops_job_runs_total{job="audit"}') or 0) > runs_before
    assert again.metric("egovops_crl_reissues_total") == 1.0
    assert again.stop() == 0


def test_failing_job_counted_and_sighup_reload(tmp_path: Path,
                                               started: list[DaemonProcess]) -> None:
    site = shutil.copytree(MINI, tmp_path / "site")
    cfg = config(tmp_path / "daemon.yaml", f"""
        state_dir: {tmp_path / "state"}
        plan: {PLAN}
        collect: {{enabled: false}}
        audit: {{interval: 1s, jitter: 0s}}
        """)
    daemon = DaemonProcess(site, cfg, tmp_path)
    started.append(daemon)
    daemon.wait_for(lambda: daemon.get("/-/ready")[0] == 200)
    good = (site / "net.yaml").read_text(encoding="utf-8")
    (site / "net.yaml").write_text(good + "\n  - {broken: [\n", encoding="utf-8")
    daemon.wait_for(lambda: (daemon.metric('egovops_job_failures_total{job="audit"}') or 0) >= 1)
    failed = daemon.wait_log(lambda e: e.get("event") == "job failed")
    assert failed["job"] == "audit" and "InventoryError" in failed["error"]
    assert daemon.get("/-/healthy")[0] == 200
    (site / "net.yaml").write_text(good, encoding="utf-8")
    daemon.wait_for(lambda: sum(1 for e in daemon.logs if e.get("event") == "job finished"
                                and e.get("ok")) >= 2)

    config(cfg, f"""
        state_dir: {tmp_path / "state"}
        plan: {PLAN}
        collect: {{enabled: false}}
        audit: {{interval: 1h}}
        """)
    daemon.signal(signal.SIGHUP)
    reloaded = daemon.wait_log(lambda e: e.get("event") == "configuration reloaded")
    assert reloaded["jobs"] == {"audit": 3600.0}
    cfg.write_text("audit: {interval: soon}\n", encoding="utf-8")
    daemon.signal(signal.SIGHUP)
    refused = daemon.wait_log(lambda e: e.get("event") == "reload failed; keeping the "
                              "previous configuration")
    assert "daemon.yaml:1" in refused["error"]
    assert daemon.get("/-/healthy")[0] == 200
    assert daemon.messages.count("READY=1") >= 3
    assert any(m.startswith("RELOADING=1\nMONOTONIC_USEC=") for m in daemon.messages)
    assert daemon.stop() == 0


def test_sigterm_waits_for_the_running_job(tmp_path: Path, silent_listener: int,
                                           started: list[DaemonProcess]) -> None:
    site = shutil.copytree(MINI, tmp_path / "site")
    (site / "slow.yaml").write_text(textwrap.dedent(f"""
        devices:
          - id: slow-host
            role: host
            platform: linux
            zone: outer
            mgmt: 127.0.0.1
            credentials: {{username: ops, port: {silent_listener}, password: {{env: SLOW_PW}}}}
        """), encoding="utf-8")
    cfg = config(tmp_path / "daemon.yaml", f"""
        state_dir: {tmp_path / "state"}
        collect: {{interval: 1h, connect_timeout: 3, command_timeout: 3, retries: 0}}
        audit: {{interval: 1h}}
        """)
    daemon = DaemonProcess(site, cfg, tmp_path, {"SLOW_PW": "x"})
    started.append(daemon)
    daemon.wait_for(lambda: daemon.metric('egovops_job_running{job="collect"}') == 1.0)
    assert daemon.get("/-/ready")[0] == 503
    daemon.signal(signal.SIGTERM)
    stopping = daemon.wait_log(lambda e: e.get("event") == "stopping")
    assert stopping["waiting_for"] == ["collect"]
    assert daemon.stop() == 0
    events = [e.get("event") for e in daemon.logs]
    assert events.index("stopping") < events.index("snapshot written") < events.index("stopped")
    assert list((tmp_path / "state" / "snapshots").glob("mini-*"))
