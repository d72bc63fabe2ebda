"""Metrics of the daemon's scheduled playbooks, read at scrape time from
:class:`~egovops.daemon.playbook_job.PlaybookResults`.

A configured playbook that never succeeded exports ``last_success`` 0, so an alert on
``time() - egovops_playbook_last_success_timestamp_seconds`` fires for it too (fail closed).
"""

# TODO(merge): move these specs into egovops.metrics.catalog.CATALOG (the one table of metric
# names) and register PlaybookCollector in build_registry(jobs=True).

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from prometheus_client.core import Metric

from egovops.metrics.catalog import MetricSpec, _c, _g
from egovops.metrics.collectors import family

if TYPE_CHECKING:
    from egovops.daemon.playbook_job import PlaybookResults

PLAYBOOK_LAST_SUCCESS = _g("egovops_playbook_last_success_timestamp_seconds",
                           "Unix time the last run of the playbook with every host ok ended "
                           "(0: none since the daemon started).", "playbook")
PLAYBOOK_LAST_RUN = _g("egovops_playbook_last_run_timestamp_seconds",
                       "Unix time the last run of the playbook ended (0: none yet).",
                       "playbook")
PLAYBOOK_EXIT_CODE = _g("egovops_playbook_last_exit_code", "Exit code of the last run: 0 ok, "
                        "1 change refused by the post-check, 3 hosts failed, 130 cancelled.",
                        "playbook")
PLAYBOOK_HOST_FAILED = _g("egovops_playbook_host_failed", "1 when the host failed, was "
                          "unreachable or refused in the last run of the playbook, else 0.",
                          "playbook", "device")
PLAYBOOK_HOST_CHANGED = _g("egovops_playbook_host_changed_tasks", "Tasks that changed the host "
                           "in the last run of the playbook.", "playbook", "device")
PLAYBOOK_HOST_FAILURES = _c("egovops_playbook_host_failures_total", "Runs of the playbook in "
                            "which the host failed.", "playbook", "device")

PLAYBOOK_METRICS: tuple[MetricSpec, ...] = (
    PLAYBOOK_LAST_SUCCESS, PLAYBOOK_LAST_RUN, PLAYBOOK_EXIT_CODE, PLAYBOOK_HOST_FAILED,
    PLAYBOOK_HOST_CHANGED, PLAYBOOK_HOST_FAILURES,
)


class PlaybookCollector:
    """Collect-on-scrape collector over the daemon's playbook outcomes."""

    def __init__(self, results: PlaybookResults) -> None:
        self.results = results

    def describe(self) -> Iterator[Metric]:
        for spec in PLAYBOOK_METRICS:
            yield family(spec)

    def collect(self) -> Iterable[Metric]:
        success, last, code = (family(PLAYBOOK_LAST_SUCCESS), family(PLAYBOOK_LAST_RUN),
                               family(PLAYBOOK_EXIT_CODE))
        failed, changed = family(PLAYBOOK_HOST_FAILED), family(PLAYBOOK_HOST_CHANGED)
        failures = family(PLAYBOOK_HOST_FAILURES)
        for name, out in sorted(self.results.snapshot().items()):
            success.add_metric([name], out.last_success)
            last.add_metric([name], out.last_run)
            if out.exit_code is not None:
                code.add_metric([name], out.exit_code)
            for host in sorted(out.failed):
                failed.add_metric([name, host], 1 if out.failed[host] else 0)
                changed.add_metric([name, host], out.changed.get(host, 0))
            for host, count in sorted(out.failures_total.items()):
                failures.add_metric([name, host], count)
        return [success, last, code, failed, changed, failures]
