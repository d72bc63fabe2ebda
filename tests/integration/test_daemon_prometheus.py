"""A real Prometheus (Debian package) on 127.0.0.1 scrapes a real ``egovops daemon`` with the
generated alert rules loaded; the test reads the series and the firing plan alert back through
Prometheus' HTTP API."""

from __future__ import annotations

import json
import socket
import subprocess
import textwrap
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO, require_tool
from tests.unit.daemon.process import DaemonProcess
from tests.unit.metrics.helpers import NOW, breach_site, write_mini_snapshot

pytestmark = pytest.mark.integration
PLAN = REPO / "policies" / "emergency-plan.yaml"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def api(base: str, path: str, **params: str) -> Any:
    url = f"{base}{path}?{urllib.parse.urlencode(params)}"
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[DaemonProcess]:
    site = breach_site(tmp_path / "site")
    write_mini_snapshot(tmp_path / "snaps", NOW)
    cfg = tmp_path / "daemon.yaml"
    cfg.write_text(textwrap.dedent(f"""
        state_dir: {tmp_path / "state"}
        snapshot_dir: {tmp_path / "snaps"}
        plan: {PLAN}
        collect: {{enabled: false}}
        audit: {{interval: 1s, jitter: 0s}}
        """), encoding="utf-8")
    proc = DaemonProcess(site, cfg, tmp_path)
    try:
        yield proc
    finally:
        proc.stop()


@pytest.fixture
def prometheus(tmp_path: Path, daemon: DaemonProcess) -> Iterator[str]:
    binary = require_tool("prometheus")
    port = free_port()
    rules = REPO / "deploy" / "prometheus" / "egovops-rules.yml"
    config = tmp_path / "prometheus.yml"
    config.write_text(textwrap.dedent(f"""
        global: {{scrape_interval: 1s, evaluation_interval: 1s}}
        rule_files: [{rules}]
        scrape_configs:
          - job_name: egovops
            static_configs: [{{targets: ["{daemon.address}"]}}]
          - job_name: egovops-probe
            metrics_path: /probe
            static_configs: [{{targets: [core-sw]}}]
            relabel_configs:
              - {{source_labels: [__address__], target_label: __param_target}}
              - {{source_labels: [__param_target], target_label: instance}}
              - {{target_label: __address__, replacement: "{daemon.address}"}}
        """), encoding="utf-8")
    log = (tmp_path / "prometheus.log").open("w")
    proc = subprocess.Popen([binary, f"--config.file={config}",
                             f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                             f"--web.listen-address=127.0.0.1:{port}"],
                            stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(f"{base}/-/ready", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                raise AssertionError((tmp_path / "prometheus.log").read_text())
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def wait_query(base: str, query: str, timeout: float = 20) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while True:
        result: list[dict[str, Any]] = api(base, "/api/v1/query", query=query)["data"]["result"]
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.3)


def test_prometheus_scrapes_the_daemon_and_fires_the_plan(prometheus: str) -> None:
    up = wait_query(prometheus, 'up{job="egovops"} == 1')
    assert up, "Prometheus never scraped the daemon"
    tiers = wait_query(prometheus, "egovops_backbone_nodes")
    assert {r["metric"]["tier"]: r["value"][1] for r in tiers} == {"1": "1", "2": "1", "3": "0"}
    breach = wait_query(prometheus, 'egovops_isolation_violations{zone="inner"} > 0')
    assert {r["metric"]["peer"] for r in breach} == {"outer"}
    level = wait_query(prometheus, "egovops_emergency_level == 4")
    assert level, "emergency level I expected"
    probed = wait_query(prometheus, 'egovops_device_up{job="egovops-probe"}')
    assert [(r["metric"]["instance"], r["value"][1]) for r in probed] == [("core-sw", "1")]
    firing = wait_query(prometheus, 'ALERTS{alertname="EgovopsInnerIsolationBreach",'
                                    'alertstate="firing"}')
    assert firing, "the level I alert never fired"
    labels = firing[0]["metric"]
    assert labels["incident_level"] == "I" and labels["warning_color"] == "red"
    assert labels["severity"] == "critical" and labels["network"] == "inner"
    alerts = api(prometheus, "/api/v1/alerts")["data"]["alerts"]
    mine = [a for a in alerts if a["labels"]["alertname"] == "EgovopsInnerIsolationBreach"]
    assert mine[0]["annotations"]["response_deadline"] == "10m"
