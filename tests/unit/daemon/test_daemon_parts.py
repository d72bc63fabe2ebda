from __future__ import annotations

import json
import logging
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

from egovops.daemon import systemd
from egovops.daemon.config import DaemonConfigError, load_daemon_config
from egovops.daemon.http import parse_listen
from egovops.daemon.logs import JsonFormatter
from egovops.daemon.scheduler import Job, Scheduler
from egovops.daemon.service import load_saved, save_state
from egovops.metrics.state import JobStats, SiteState, StateStore
from tests.conftest import REPO, require_tool


def test_defaults_without_a_file(tmp_path: Path) -> None:
    cfg = load_daemon_config(None)
    assert cfg.listen == "127.0.0.1:9731"
    assert cfg.collect.interval == "15m" and cfg.pki.crl_renew_before == "24h"
    assert cfg.state_path({}) == Path("egovops-state")
    assert cfg.state_path({"STATE_DIRECTORY": "/var/lib/egovops"}) == Path("/var/lib/egovops")
    assert cfg.snapshot_path({}) == Path("egovops-state/snapshots")


def test_config_errors_name_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "daemon.yaml"
    path.write_text("listen: 127.0.0.1:1\naudit:\n  interval: soon\nbogus: 1\n",
                    encoding="utf-8")
    with pytest.raises(DaemonConfigError) as caught:
        load_daemon_config(path)
    lines = sorted(p.line for p in caught.value.problems)
    assert lines == [3, 4], caught.value
    assert load_daemon_config(REPO / "deploy" / "systemd" / "daemon.yaml").audit.interval == "5m"


def test_parse_listen() -> None:
    assert parse_listen("127.0.0.1:9731") == ("127.0.0.1", 9731)
    assert parse_listen("[::1]:0") == ("::1", 0)
    with pytest.raises(ValueError, match="HOST:PORT"):
        parse_listen("9731")


def test_sd_notify_datagram(tmp_path: Path) -> None:
    path = tmp_path / "notify"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(str(path))
        assert systemd.notify("READY=1", {"NOTIFY_SOCKET": str(path)})
        assert sock.recv(100) == b"READY=1"
    assert not systemd.notify("READY=1", {})
    assert not systemd.notify("READY=1", {"NOTIFY_SOCKET": str(tmp_path / "missing")})
    assert systemd.watchdog_interval({"WATCHDOG_USEC": "30000000"}) == 15.0
    assert systemd.watchdog_interval({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"}) is None
    assert systemd.watchdog_interval({}) is None
    assert systemd.reloading_message().startswith("RELOADING=1\nMONOTONIC_USEC=")


def test_scheduler_never_overlaps_and_survives_exceptions() -> None:
    store = StateStore()
    release = threading.Event()
    started = threading.Event()
    now = [0.0]

    def slow() -> None:
        started.set()
        release.wait(5)

    def broken() -> None:
        raise RuntimeError("boom")

    sched = Scheduler([Job("slow", slow, 10), Job("broken", broken, 10)], store,
                      clock=lambda: now[0], wall=lambda: 1000.0)
    assert not sched.ready
    sched.tick()
    assert started.wait(5)
    deadline = time.monotonic() + 5
    while "broken" in sched.running() and time.monotonic() < deadline:
        time.sleep(0.01)
    now[0] = 11.0
    sched.tick()  # slow is still running: skipped, not started twice
    release.set()
    assert sched.wait_idle(5)
    stats = {j.name: j for j in store.get().jobs}
    assert stats["slow"].runs == 1 and stats["slow"].skipped == 1
    assert stats["broken"].runs == 2 and stats["broken"].failures == 2
    assert stats["broken"].last_error == "RuntimeError: boom"
    assert stats["slow"].last_success == 1000.0 and stats["broken"].last_success is None
    assert sched.ready


def test_jitter_is_added_to_the_interval() -> None:
    now = [0.0]
    sched = Scheduler([Job("j", lambda: None, 100, 20)], StateStore(), clock=lambda: now[0])
    sched.tick()
    assert sched.wait_idle(5)
    assert 100 <= sched.tick() <= 120


def test_saved_state_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    save_state(path, SiteState(jobs=(JobStats("audit", runs=3, failures=1, last_success=5.0),),
                               crl_reissues=2, last_success={"core": 7.0}))
    back = load_saved(path)
    assert back.jobs[0].runs == 3 and back.jobs[0].failures == 1
    assert back.crl_reissues == 2 and back.last_success == {"core": 7.0}
    assert load_saved(tmp_path / "missing.json") == SiteState()


def test_json_log_lines() -> None:
    record = logging.LogRecord("egovops.daemon", logging.ERROR, __file__, 1, "job failed",
                               None, None)
    record.job = "audit"
    try:
        raise ValueError("bad")
    except ValueError:
        import sys
        record.exc_info = sys.exc_info()
    entry = json.loads(JsonFormatter().format(record))
    assert entry["event"] == "job failed" and entry["job"] == "audit"
    assert entry["level"] == "error" and entry["error"] == "ValueError: bad"
    assert "Traceback" in entry["traceback"]


def test_systemd_unit_is_notify_with_watchdog(tmp_path: Path) -> None:
    unit = (REPO / "deploy" / "systemd" / "egovops.service").read_text(encoding="utf-8")
    for line in ("Type=notify", "WatchdogSec=60s", "ExecReload=/bin/kill -HUP $MAINPID",
                 "StateDirectory=egovops"):
        assert line in unit.splitlines()
    analyze = require_tool("systemd-analyze")
    local = tmp_path / "egovops.service"
    local.write_text(unit.replace("/opt/egovops/.venv/bin/egovops",
                                  str(REPO / ".venv" / "bin" / "egovops")), encoding="utf-8")
    done = subprocess.run([analyze, "verify", str(local)], capture_output=True, text=True,
                          timeout=30, check=False)
    problems = [line for line in (done.stdout + done.stderr).splitlines()
                if "egovops.service" in line]
    assert not problems, problems
