"""Scrape cost of egovops' collect-on-scrape collectors with ~100k series, beside
prometheus_client's default direct-instrumentation path (Gauge.labels(...).set) for the same
series, in the same run.

A province-sized snapshot: 5,000 devices with 10 interfaces each (interface up + speed =
100,000 series, plus device up and last-collection time per device). Target: one scrape of
``/metrics`` (collect + exposition) <= 1 s.

Run: ``.venv/bin/python bench/metrics.py`` (``--quick`` for a smaller smoke run).
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from importlib.metadata import version

from prometheus_client import CollectorRegistry, Gauge
from prometheus_client.exposition import generate_latest

from egovops.collect.facts import DeviceFacts, InterfaceFacts
from egovops.metrics import catalog as m
from egovops.metrics.collectors import build_registry
from egovops.metrics.state import DeviceStatus, SiteState, SnapshotView

TARGET_SECONDS = 1.0


def province_state(devices: int, interfaces: int) -> SiteState:
    """A snapshot of ``devices`` devices with ``interfaces`` interfaces each."""
    when = datetime(2026, 11, 20, tzinfo=UTC).isoformat()
    facts: dict[str, DeviceFacts] = {}
    status: dict[str, DeviceStatus] = {}
    for d in range(devices):
        name = f"gd-{d // 1000:02d}-sw{d:05d}"
        facts[name] = DeviceFacts(device=name, collector="bench", collected_at=when,
                                  interfaces=tuple(
                                      InterfaceFacts(name=f"GigabitEthernet1/0/{i}",
                                                     is_up=(d + i) % 7 != 0,
                                                     speed_mbps=1000.0 if i else 10000.0)
                                      for i in range(interfaces)))
        status[name] = DeviceStatus(ok=d % 50 != 0, error_kind="" if d % 50 else "timeout")
    snap = SnapshotView(path="bench", site="guangdong", started=0.0, finished=60.0,
                        devices=status, facts=facts)
    return SiteState(snapshot=snap, last_success={n: 60.0 for n in status})


def direct_registry(state: SiteState) -> tuple[CollectorRegistry, float]:
    """The same series through prometheus_client's Gauge objects; returns the seconds the
    instrumentation (labels().set for every series) took."""
    registry = CollectorRegistry()
    start = time.perf_counter()
    up = Gauge(m.DEVICE_UP.name, m.DEVICE_UP.help, m.DEVICE_UP.labels, registry=registry)
    last = Gauge(m.DEVICE_LAST_SUCCESS.name, m.DEVICE_LAST_SUCCESS.help,
                 m.DEVICE_LAST_SUCCESS.labels, registry=registry)
    if_up = Gauge(m.INTERFACE_UP.name, m.INTERFACE_UP.help, m.INTERFACE_UP.labels,
                  registry=registry)
    if_speed = Gauge(m.INTERFACE_SPEED.name, m.INTERFACE_SPEED.help, m.INTERFACE_SPEED.labels,
                     registry=registry)
    snap = state.snapshot
    assert snap is not None
    for device, s in snap.devices.items():
        up.labels(device, "", "").set(1 if s.ok else 0)
        last.labels(device).set(state.last_success[device])
    for device, facts in snap.facts.items():
        for iface in facts.interfaces:
            if_up.labels(device, iface.name).set(1 if iface.is_up else 0)
            if_speed.labels(device, iface.name).set((iface.speed_mbps or 0) * 125_000)
    return registry, time.perf_counter() - start


def timed(fn: Callable[[], bytes], runs: int) -> tuple[list[float], bytes]:
    times = []
    body = b""
    for _ in range(runs):
        start = time.perf_counter()
        body = fn()
        times.append(time.perf_counter() - start)
    return times, body


def series(body: bytes) -> int:
    return sum(1 for line in body.splitlines() if line and not line.startswith(b"#"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="500 devices, 3 runs")
    args = parser.parse_args()
    devices, runs = (500, 3) if args.quick else (5_000, 5)
    state = province_state(devices, 10)
    ours = build_registry(state)
    direct, instrument = direct_registry(state)
    our_times, our_body = timed(lambda: generate_latest(ours), runs)
    direct_times, direct_body = timed(lambda: generate_latest(direct), runs)
    n = series(our_body)
    print(f"egovops metrics bench — CPython {platform.python_version()}, "
          f"prometheus_client {version('prometheus-client')}, "
          f"{platform.machine()}")
    print(f"series: egovops {n:,} ({len(our_body) / 1e6:.1f} MB), direct "
          f"{series(direct_body):,} ({len(direct_body) / 1e6:.1f} MB)")
    med, worst = statistics.median(our_times), max(our_times)
    verdict = "PASS" if worst <= TARGET_SECONDS else "FAIL"
    print(f"egovops collectors, scrape (collect + exposition): median {med:.3f} s, "
          f"max {worst:.3f} s — target <= {TARGET_SECONDS:g} s: {verdict}")
    print(f"prometheus_client direct instrumentation, scrape: median "
          f"{statistics.median(direct_times):.3f} s, max {max(direct_times):.3f} s")
    print(f"prometheus_client direct instrumentation, setting every series once: "
          f"{instrument:.3f} s")


if __name__ == "__main__":
    main()
