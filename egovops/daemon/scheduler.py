"""Runs jobs on their intervals, each in its own thread: never two runs of the same job at
once (a run that comes due while the previous one is still going is skipped and counted),
a random jitter added to every interval, and an exception in a job counted and logged, never
fatal. Job statistics live in the shared :class:`~egovops.metrics.state.StateStore`.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from egovops.metrics.state import JobStats, SiteState, StateStore

log = logging.getLogger("egovops.daemon.scheduler")


@dataclass(frozen=True)
class Job:
    """A named job: what to run and how often."""

    name: str
    run: Callable[[], None]
    interval: float
    jitter: float = 0.0


def _update_job(store: StateStore, name: str, change: Callable[[JobStats], JobStats]) -> None:
    def apply(state: SiteState) -> SiteState:
        jobs = list(state.jobs)
        for i, stats in enumerate(jobs):
            if stats.name == name:
                jobs[i] = change(stats)
                break
        else:
            jobs.append(change(JobStats(name)))
        return replace(state, jobs=tuple(jobs))

    store.apply(apply)


class Scheduler:
    """Starts due jobs from :meth:`tick`; the caller's loop decides how long to sleep."""

    def __init__(self, jobs: list[Job], store: StateStore, *,
                 clock: Callable[[], float] = time.monotonic,
                 wall: Callable[[], float] = time.time, rng: random.Random | None = None,
                 on_finish: Callable[[str], None] | None = None) -> None:
        self.store = store
        self.clock = clock
        self.wall = wall
        self.rng = rng or random.Random()
        self.on_finish = on_finish
        self._lock = threading.Lock()
        self._threads: dict[str, threading.Thread] = {}
        self._finished: set[str] = set()
        self.jobs: dict[str, Job] = {}
        self._next: dict[str, float] = {}
        self.set_jobs(jobs)

    def set_jobs(self, jobs: list[Job]) -> None:
        """Replace the job table (on reload); a job keeps its schedule if it stays."""
        now = self.clock()
        with self._lock:
            old = self._next
            self.jobs = {j.name: j for j in jobs}
            self._next = {name: min(old.get(name, now), now + job.interval)
                          for name, job in self.jobs.items()}
        for job in jobs:
            _update_job(self.store, job.name, lambda s: s)

    @property
    def ready(self) -> bool:
        """Every job has finished at least once (the first complete cycle)."""
        with self._lock:
            return set(self.jobs) <= self._finished

    def running(self) -> list[str]:
        """Names of jobs with a run in progress."""
        with self._lock:
            return [n for n, t in self._threads.items() if t.is_alive()]

    def tick(self) -> float:
        """Start every due job; return the seconds until the next one is due."""
        now = self.clock()
        with self._lock:
            due = [n for n, at in self._next.items() if at <= now]
            for name in due:
                job = self.jobs[name]
                self._next[name] = now + job.interval + self.rng.uniform(0, job.jitter)
                thread = self._threads.get(name)
                if thread is not None and thread.is_alive():
                    log.warning("job still running, run skipped", extra={"job": name})
                    _update_job(self.store, name, lambda s: replace(s, skipped=s.skipped + 1))
                    continue
                thread = threading.Thread(target=self._run, args=(job,), daemon=True,
                                          name=f"egovops-job-{name}")
                self._threads[name] = thread
                thread.start()
            wait = min(self._next.values(), default=now + 60) - now
        return max(0.0, wait)

    def _run(self, job: Job) -> None:
        _update_job(self.store, job.name, lambda s: replace(s, runs=s.runs + 1, running=True))
        start = self.clock()
        log.info("job started", extra={"job": job.name})
        ok = False
        error = ""
        try:
            job.run()
            ok = True
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
            log.exception("job failed", extra={"job": job.name})
        duration = self.clock() - start
        finished = self.wall()
        _update_job(self.store, job.name, lambda s: replace(
            s, running=False, last_duration=duration,
            failures=s.failures + (0 if ok else 1),
            last_success=finished if ok else s.last_success,
            last_error=error if not ok else s.last_error))
        log.info("job finished", extra={"job": job.name, "ok": ok,
                                        "seconds": round(duration, 3)})
        with self._lock:
            self._finished.add(job.name)
        if self.on_finish is not None:
            self.on_finish(job.name)

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait for the running jobs to finish; ``False`` when ``timeout`` passed first."""
        deadline = None if timeout is None else self.clock() + timeout
        with self._lock:
            threads = list(self._threads.values())
        for thread in threads:
            left = None if deadline is None else max(0.0, deadline - self.clock())
            thread.join(left)
            if thread.is_alive():
                return False
        return True
