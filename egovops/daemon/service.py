"""The daemon as a whole: configuration, state (saved across restarts), scheduler, HTTP
server, signals and systemd notification.

Main loop (main thread): start due jobs, ping the systemd watchdog, sleep until the next job
or signal. SIGHUP reloads the configuration file and the plan (a broken file is logged and the
previous configuration kept); SIGTERM/SIGINT stop scheduling, let running jobs finish, save the
state and return (exit 0).
"""

from __future__ import annotations

import json
import logging
import os
import signal
import threading
import time
from collections.abc import Mapping
from dataclasses import replace
from functools import partial
from pathlib import Path
from types import FrameType
from typing import Any

from egovops.daemon import systemd
from egovops.daemon.config import DaemonConfig, load_daemon_config
from egovops.daemon.http import MetricsServer, parse_listen
from egovops.daemon.jobs import JOBS, JobContext, initial_state
from egovops.daemon.playbook_job import PlaybookResults, playbook_jobs
from egovops.daemon.scheduler import Job, Scheduler
from egovops.errors import UsageError
from egovops.fsio import write_atomic
from egovops.metrics.collectors import build_registry
from egovops.metrics.plan import Plan, duration_seconds
from egovops.metrics.planfile import load_plan
from egovops.metrics.playbooks import PlaybookCollector
from egovops.metrics.state import JobStats, SiteState, StateStore

log = logging.getLogger("egovops.daemon")

STATE_FILE = "daemon-state.json"
DEFAULT_PLAN = Path("policies/emergency-plan.yaml")


def _plan(config: DaemonConfig) -> Plan | None:
    if config.plan:
        return load_plan(Path(config.plan))
    return load_plan(DEFAULT_PLAN) if DEFAULT_PLAN.is_file() else None


def load_saved(path: Path) -> SiteState:
    """Job counters, CRL re-issues and device history saved by a previous run."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return SiteState()
    jobs = tuple(JobStats(name=name, runs=int(v.get("runs", 0)),
                          failures=int(v.get("failures", 0)),
                          skipped=int(v.get("skipped", 0)),
                          last_duration=v.get("last_duration"),
                          last_success=v.get("last_success"),
                          last_error=str(v.get("last_error", "")))
                 for name, v in data.get("jobs", {}).items())
    return SiteState(jobs=jobs, crl_reissues=int(data.get("crl_reissues", 0)),
                     last_success={k: float(v) for k, v in data.get("last_success", {}).items()})


def save_state(path: Path, state: SiteState) -> None:
    """Write what :func:`load_saved` reads, atomically."""
    data: dict[str, Any] = {
        "format": 1,
        "saved": time.time(),
        "jobs": {j.name: j.to_json() for j in state.jobs},
        "crl_reissues": state.crl_reissues,
        "last_success": dict(state.last_success),
    }
    write_atomic(path, json.dumps(data, ensure_ascii=False, indent=2) + "\n")


class Daemon:
    """One daemon over one site."""

    def __init__(self, site: Path, config_file: Path | None = None, listen: str | None = None,
                 environ: Mapping[str, str] | None = None) -> None:
        self.site = site
        self.config_file = config_file
        self.environ = dict(os.environ if environ is None else environ)
        self.config = load_daemon_config(config_file)
        self.listen = listen or self.config.listen
        try:
            self.address = parse_listen(self.listen)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        state_dir = self.config.state_path(self.environ)
        state_dir.mkdir(parents=True, exist_ok=True)
        self.state_file = state_dir / STATE_FILE
        self.store = StateStore(load_saved(self.state_file))
        self.ctx = JobContext(site=site, config=self.config, store=self.store,
                              plan=_plan(self.config), environ=self.environ)
        self.store.apply(lambda s: initial_state(self.ctx, s))
        self.stop_requested = threading.Event()
        self.playbook_results = PlaybookResults()
        self.scheduler = Scheduler(self._jobs(), self.store, on_finish=self._finished)
        self.registry = build_registry(self.store.get, jobs=True)
        self.registry.register(PlaybookCollector(self.playbook_results))
        self.server: MetricsServer | None = None
        self.reload_requested = threading.Event()
        self.wake = threading.Event()
        self._save_lock = threading.Lock()

    def _jobs(self) -> list[Job]:
        jobs = []
        for name, run in JOBS.items():
            cfg = getattr(self.config, name)
            if not cfg.enabled or (name == "pki" and self.config.ca_dir is None):
                continue
            interval = float(duration_seconds(cfg.interval))
            # jitter spreads load; capped at half the interval so a run is never postponed
            # past the next one
            jitter = min(float(duration_seconds(cfg.jitter)), interval / 2)
            jobs.append(Job(name, partial(run, self.ctx), interval, jitter))
        jobs += playbook_jobs(self.ctx, self.config.playbooks, self.playbook_results,
                              self.stop_requested)
        return jobs

    def _finished(self, _job: str) -> None:
        self.save()
        self.wake.set()

    def save(self) -> None:
        """Save the state file (after every job and at exit)."""
        with self._save_lock:
            try:
                save_state(self.state_file, self.store.get())
            except OSError:
                log.exception("cannot save state", extra={"path": str(self.state_file)})

    # ---- signals -------------------------------------------------------------------------
    def install_signal_handlers(self) -> None:
        """SIGTERM/SIGINT stop, SIGHUP reloads (main thread only)."""
        signal.signal(signal.SIGTERM, self._on_stop)
        signal.signal(signal.SIGINT, self._on_stop)
        signal.signal(signal.SIGHUP, self._on_reload)

    def _on_stop(self, signum: int, _frame: FrameType | None) -> None:
        self.stop_requested.set()
        self.wake.set()

    def _on_reload(self, signum: int, _frame: FrameType | None) -> None:
        self.reload_requested.set()
        self.wake.set()

    def reload(self) -> None:
        """Re-read the configuration file and the plan; keep the old ones on any error."""
        systemd.notify(systemd.reloading_message(), self.environ)
        try:
            config = load_daemon_config(self.config_file)
            plan = _plan(config)
        except Exception as exc:
            log.error("reload failed; keeping the previous configuration",
                      extra={"error": str(exc)})
        else:
            if (listen := config.listen) != self.config.listen and self.listen == \
                    self.config.listen:
                log.warning("listen address changes need a restart", extra={"listen": listen})
            self.config = config
            self.ctx.config = config
            self.ctx.plan = plan
            self.scheduler.set_jobs(self._jobs())
            log.info("configuration reloaded", extra={
                "config": str(self.config_file) if self.config_file else None,
                "jobs": {j.name: j.interval for j in self.scheduler.jobs.values()}})
        systemd.notify("READY=1", self.environ)

    # ---- main loop -----------------------------------------------------------------------
    def run(self) -> None:
        """Serve until SIGTERM/SIGINT (or :attr:`stop_requested`); returns after a clean stop."""
        self.server = MetricsServer(self.address, self.registry, self.store.get,
                                    lambda: self.scheduler.ready)
        self.server.start()
        log.info("listening", extra={"address": self.server.address, "site": str(self.site),
                                     "state_dir": str(self.state_file.parent),
                                     "jobs": sorted(self.scheduler.jobs)})
        systemd.notify("READY=1", self.environ)
        watchdog = systemd.watchdog_interval(self.environ)
        next_ping = 0.0
        try:
            while not self.stop_requested.is_set():
                if self.reload_requested.is_set():
                    self.reload_requested.clear()
                    self.reload()
                wait = self.scheduler.tick()
                if watchdog is not None and time.monotonic() >= next_ping:
                    systemd.notify("WATCHDOG=1", self.environ)
                    next_ping = time.monotonic() + watchdog
                limit = min(wait, watchdog or 1.0, 1.0)
                self.wake.wait(limit)
                self.wake.clear()
        finally:
            systemd.notify("STOPPING=1", self.environ)
            running = self.scheduler.running()
            log.info("stopping", extra={"waiting_for": running})
            self.scheduler.wait_idle()
            self.store.apply(lambda s: replace(s, jobs=tuple(
                replace(j, running=False) for j in s.jobs)))
            self.save()
            self.server.stop()
            log.info("stopped")
