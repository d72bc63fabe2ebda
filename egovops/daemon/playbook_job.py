"""The daemon's playbook jobs: each configured playbook (``playbooks:`` in the daemon
configuration) runs on its interval like the other jobs, its artifacts and configuration
history under the state directory, and its outcome is kept for the metrics
(:mod:`egovops.metrics.playbooks`). A run with failed or unreachable hosts raises, so the
scheduler counts it as a failed run too; SIGTERM cancels a running playbook.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from egovops.daemon.config import PlaybookJobConfig
from egovops.daemon.jobs import JobContext
from egovops.daemon.scheduler import Job
from egovops.errors import EgovopsError
from egovops.load import load_inventory
from egovops.load.policy import default_policy_dir
from egovops.metrics.plan import duration_seconds
from egovops.playbooks import HostStatus, PlaybookRun, RunOptions, find_playbook, run_playbook

JOB_PREFIX = "playbook:"
"""Scheduler job name of a playbook: ``playbook:<name>``."""

FAILED_STATES = frozenset({HostStatus.FAILED, HostStatus.UNREACHABLE, HostStatus.HOSTKEY,
                           HostStatus.CREDENTIALS, HostStatus.REFUSED, HostStatus.PENDING})


class PlaybookJobError(EgovopsError):
    """Raised when a scheduled playbook finished with failed hosts or a refused change; its
    per-host outcome is in the metrics and the artifacts."""


@dataclass
class PlaybookOutcome:
    """What the metrics say about one scheduled playbook."""

    last_run: float = 0.0
    last_success: float = 0.0
    """Unix time of the last run that ended with exit 0 (0: none yet)."""
    exit_code: int | None = None
    failed: dict[str, bool] = field(default_factory=dict)
    """Host → failed (or unreachable…) in the last run."""
    changed: dict[str, int] = field(default_factory=dict)
    """Host → changed tasks in the last run."""
    failures_total: dict[str, int] = field(default_factory=dict)
    """Host → runs it failed in, since the daemon started."""


class PlaybookResults:
    """Outcomes of the scheduled playbooks, shared by the jobs and the collector."""

    def __init__(self, names: tuple[str, ...] = ()) -> None:
        self._lock = threading.Lock()
        self._outcomes: dict[str, PlaybookOutcome] = {n: PlaybookOutcome() for n in names}

    def configure(self, names: tuple[str, ...]) -> None:
        """Keep outcomes of the playbooks still configured, add the new ones."""
        with self._lock:
            self._outcomes = {n: self._outcomes.get(n, PlaybookOutcome()) for n in names}

    def record(self, name: str, run: PlaybookRun, now: float) -> None:
        """Fold one finished run in."""
        with self._lock:
            out = self._outcomes.setdefault(name, PlaybookOutcome())
            out.last_run = now
            out.exit_code = run.exit_code
            if run.exit_code == 0:
                out.last_success = now
            out.failed = {h: r.status in FAILED_STATES for h, r in run.hosts.items()}
            out.changed = {h: r.changed for h, r in run.hosts.items()}
            for host, bad in out.failed.items():
                out.failures_total[host] = out.failures_total.get(host, 0) + int(bad)

    def snapshot(self) -> Mapping[str, PlaybookOutcome]:
        """A copy to read without the lock."""
        with self._lock:
            return {n: PlaybookOutcome(o.last_run, o.last_success, o.exit_code, dict(o.failed),
                                       dict(o.changed), dict(o.failures_total))
                    for n, o in self._outcomes.items()}


def run_playbook_job(ctx: JobContext, cfg: PlaybookJobConfig, results: PlaybookResults,
                     stop: threading.Event) -> None:
    """One scheduled run of ``cfg.playbook``."""
    inv = load_inventory(ctx.site)
    book = find_playbook(cfg.playbook)
    state = ctx.config.state_path(ctx.environ)
    policy = Path(ctx.config.policy) if ctx.config.policy else default_policy_dir()
    options = RunOptions(artifact_dir=state / "artifacts", backup_dir=state / "backups",
                         limit=cfg.limit, check=cfg.check, extra_vars=cfg.extra_vars,
                         known_hosts=Path(cfg.known_hosts) if cfg.known_hosts else None,
                         policy_dir=policy, forks=cfg.forks)
    run = run_playbook(book, inv, options, ctx.environ, cancel=stop.is_set)
    results.record(cfg.playbook, run, ctx.wall())
    if run.exit_code:
        bad = sorted(h for h, r in run.hosts.items() if r.status in FAILED_STATES)
        raise PlaybookJobError(f"{cfg.playbook}: exit {run.exit_code}; hosts not done: "
                                f"{', '.join(bad) or 'none'} (artifacts {run.artifacts})")


def playbook_jobs(ctx: JobContext, configs: tuple[PlaybookJobConfig, ...],
                  results: PlaybookResults, stop: threading.Event) -> list[Job]:
    """Scheduler jobs of the enabled playbook configurations."""
    results.configure(tuple(c.playbook for c in configs if c.enabled))
    jobs = []
    for cfg in configs:
        if not cfg.enabled:
            continue
        interval = float(duration_seconds(cfg.interval))
        jitter = min(float(duration_seconds(cfg.jitter)), interval / 2)
        jobs.append(Job(JOB_PREFIX + cfg.playbook,
                        partial(run_playbook_job, ctx, cfg, results, stop), interval, jitter))
    return jobs
