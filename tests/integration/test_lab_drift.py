"""Drift against the live lab: a cable pulled and an undeclared cable across the inner boundary."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from egovops.cli.main import main
from egovops.collect.base import Timeouts
from egovops.collect.drift import detect_drift
from egovops.collect.runner import RunOptions, collect_devices
from egovops.collect.snapshot import Snapshot, write_snapshot
from egovops.lab import lab_up
from egovops.lab.plan import ns_prefix
from egovops.model.findings import Severity
from tests.integration.conftest import SITE, Lab

NS = ns_prefix(SITE)

pytestmark = pytest.mark.integration

FAST = RunOptions(workers=8, timeouts=Timeouts(connect=2.0, command=5.0))


def _snapshot(lab: Lab, target: Path) -> Path:
    devices = [d for d in lab.inventory.devices if not d.id.startswith("t-")]
    run = collect_devices(devices, site=SITE, root=lab.path, environ=lab.environ,
                          options=FAST)
    assert not run.failed
    return write_snapshot(run, target)


def test_clean_lab_has_no_drift(lab: Lab, tmp_path: Path) -> None:
    result = detect_drift(lab.inventory, Snapshot(_snapshot(lab, tmp_path)))
    assert result.findings == (), result.findings


def test_missing_and_undeclared_links_are_drift(
    lab: Lab, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ip = ["ip"]
    # pull the fibre between lab-agg-west and lab-acc-west-a …
    subprocess.run([*ip, "-n", f"{NS}lab-agg-west", "link", "del", "eth1"], check=True)
    # … and patch an inner desk straight into an outer desk (an isolation breach)
    subprocess.run([*ip, "link", "add", "eth9", "netns", f"{NS}lab-in-pc", "type", "veth",
                    "peer", "name", "eth9", "netns", f"{NS}lab-pc-finance"], check=True)
    try:
        for ns in (f"{NS}lab-in-pc", f"{NS}lab-pc-finance"):
            subprocess.run([*ip, "-n", ns, "link", "set", "eth9", "up"], check=True)
        time.sleep(3)
        folder = _snapshot(lab, tmp_path)
        result = detect_drift(lab.inventory, Snapshot(folder))
        by_check = {(f.check, f.subject) for f in result.findings}
        assert ("drift.missing-link", "lab-acc-west-a:eth0--lab-agg-west:eth1") in by_check
        assert ("drift.undeclared-link", "lab-in-pc:eth9--lab-pc-finance:eth9") in by_check
        breach = [f for f in result.findings if f.check == "drift.isolation-breach"]
        assert breach and all(f.severity is Severity.CRITICAL for f in breach)
        assert ("drift.interface-down", "lab-agg-west:eth1") in by_check
        code = main(["--lang", "en", "inventory", "drift", str(lab.path), "--snapshot",
                     str(folder)])
        out, err = capsys.readouterr()
        assert code == 1, err
        assert "critical" in out and "lab-in-pc:eth9" in out
    finally:
        subprocess.run([*ip, "-n", f"{NS}lab-in-pc", "link", "del", "eth9"], check=False)
        lab_up(lab.plan, environ=lab.environ)  # puts the pulled veth back
        time.sleep(2)
