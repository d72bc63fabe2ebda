"""Snapshots and sites for the metrics tests, built with egovops' own writers."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

from egovops.collect.facts import DeviceFacts, InterfaceFacts
from egovops.collect.runner import DeviceResult, RunResult
from egovops.collect.snapshot import write_snapshot
from tests.conftest import MINI

BREACH_YAML = """
devices:
  - id: inner-sw
    role: switch
    platform: linux
    zone: inner
    node: core
    interfaces: [{name: eth0}]
links:
  - {a: inner-sw:eth0, b: fw1:eth0, bandwidth: 1000M}
"""


def breach_site(target: Path) -> Path:
    """A copy of the mini site with a link from the inner network to the outer firewall."""
    shutil.copytree(MINI, target)
    (target / "breach.yaml").write_text(BREACH_YAML, encoding="utf-8")
    return target


def facts(device: str, when: datetime, *interfaces: tuple[str, bool, float]) -> DeviceFacts:
    """Facts of ``device`` with ``(name, up, speed_mbps)`` interfaces."""
    return DeviceFacts(device=device, collector="test", collected_at=when.isoformat(),
                       interfaces=tuple(InterfaceFacts(name=n, is_up=up, is_enabled=True,
                                                       speed_mbps=speed)
                                        for n, up, speed in interfaces))


def write_mini_snapshot(parent: Path, when: datetime, *, agg_ok: bool = False,
                        core_if_up: bool = True) -> Path:
    """A snapshot of the mini site: core-sw ok (GE0/0/1 up or down), agg-sw timed out unless
    ``agg_ok``, fw1 ok."""
    started = when - timedelta(seconds=4)
    results = (
        DeviceResult("core-sw", True, "test", 1.0, 1,
                     facts=facts("core-sw", when, ("GE0/0/1", core_if_up, 1000.0))),
        DeviceResult("agg-sw", True, "test", 1.0, 1,
                     facts=facts("agg-sw", when, ("GE0/0/1", True, 1000.0)))
        if agg_ok else
        DeviceResult("agg-sw", False, "test", 3.0, 1, error="no answer", error_kind="timeout"),
        DeviceResult("fw1", True, "test", 1.0, 1,
                     facts=facts("fw1", when, ("eth0", True, 100.0))),
    )
    run = RunResult(site="mini", started=started.isoformat(timespec="seconds"),
                    finished=when.isoformat(timespec="seconds"), results=results)
    return write_snapshot(run, parent, now=when)


NOW = datetime(2026, 11, 20, 8, 0, 0, tzinfo=UTC)
