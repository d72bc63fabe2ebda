"""The concurrent runner: many devices, a bounded thread pool, one result per device.

Each device gets a deadline (connect + commands, see :class:`RunOptions`); when it passes, the
runner records a timeout for that device, fires its :class:`Cancel` handle (which closes its
socket, so the worker thread comes free) and moves on. Transient errors are retried with
exponential backoff; every other error fails only its own device. Nothing here prints: progress
goes to an optional callback.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from egovops.collect.base import (
    CollectContext,
    CollectError,
    Collector,
    CollectTimeoutError,
    Timeouts,
    TransientError,
)
from egovops.collect.credentials import CredentialError, Redactor, resolve_secret
from egovops.collect.facts import DeviceFacts
from egovops.collect.registry import CollectorTable, collector_for
from egovops.model.inventory import Device


@dataclass(frozen=True)
class RunOptions:
    """How a collection run behaves."""

    workers: int = 16
    timeouts: Timeouts = field(default_factory=Timeouts)
    retries: int = 2
    """Extra attempts after a transient error."""
    backoff: float = 0.5
    """First retry delay in seconds; doubled for each further attempt."""
    deadline: float | None = None
    """Whole-device limit in seconds (all attempts); default: 3 × connect + 4 × command."""

    def device_deadline(self) -> float:
        """The whole-device limit actually used."""
        if self.deadline is not None:
            return self.deadline
        return 3 * self.timeouts.connect + 4 * self.timeouts.command


@dataclass(frozen=True)
class DeviceResult:
    """What happened to one device."""

    device: str
    ok: bool
    collector: str
    seconds: float
    attempts: int
    facts: DeviceFacts | None = None
    error: str = ""
    error_kind: str = ""


@dataclass(frozen=True)
class RunResult:
    """One collection run over a set of devices."""

    site: str
    started: str
    finished: str
    results: tuple[DeviceResult, ...]
    options: RunOptions = field(default_factory=RunOptions)

    @property
    def failed(self) -> tuple[DeviceResult, ...]:
        """Results of the devices that could not be collected."""
        return tuple(r for r in self.results if not r.ok)


def collect_devices(
    devices: Sequence[Device],
    *,
    site: str,
    root: Path,
    environ: Mapping[str, str],
    options: RunOptions | None = None,
    table: CollectorTable | None = None,
    progress: Callable[[DeviceResult], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> RunResult:
    """Collect ``devices`` concurrently; never raises for a device's failure."""
    opts = options or RunOptions()
    redactor = Redactor()
    started = datetime.now(UTC).isoformat(timespec="seconds")
    results: dict[str, DeviceResult] = {}
    lock = threading.Lock()
    limit = opts.device_deadline()

    def finish(result: DeviceResult) -> None:
        with lock:
            if result.device in results:
                return  # the deadline already recorded this device
            results[result.device] = result
        if progress is not None:
            progress(result)

    def work(device: Device, ctx: CollectContext, begun: list[float]) -> None:
        begun.append(time.monotonic())
        finish(_collect_one(device, ctx, opts, table, sleep))

    pool = ThreadPoolExecutor(max_workers=max(1, opts.workers),
                              thread_name_prefix="egovops-collect")
    running: dict[Future[None], tuple[Device, CollectContext, list[float]]] = {}
    try:
        for device in devices:
            _remember_secrets(device, root, environ, redactor)
            ctx = CollectContext(root=root, environ=environ, timeouts=opts.timeouts,
                                 redactor=redactor)
            begun: list[float] = []
            running[pool.submit(work, device, ctx, begun)] = (device, ctx, begun)
        pending = set(running)
        while pending:
            now = time.monotonic()
            next_deadline = min(
                (b[0] + limit for _d, _c, b in (running[f] for f in pending) if b),
                default=now + 0.5,
            )
            _done, pending = wait(pending, timeout=max(0.01, min(next_deadline - now, 0.5)),
                                 return_when=FIRST_COMPLETED)
            now = time.monotonic()
            for future in list(pending):
                device, ctx, begun = running[future]
                if begun and now - begun[0] > limit:
                    ctx.cancel.cancel()
                    finish(DeviceResult(device.id, False, _name(device, table),
                                        now - begun[0], 0, error=f"no result within {limit:g} s "
                                        "(device deadline); session closed",
                                        error_kind="timeout"))
                    pending.discard(future)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    finished = datetime.now(UTC).isoformat(timespec="seconds")
    ordered = tuple(results[d.id] for d in devices if d.id in results)
    return RunResult(site=site, started=started, finished=finished, results=ordered,
                     options=opts)


def _remember_secrets(device: Device, root: Path, environ: Mapping[str, str],
                      redactor: Redactor) -> None:
    """Teach the redactor every secret the device's references name, whichever collector
    runs (a driver may echo a password in its error)."""
    creds = device.credentials
    if creds is None:
        return
    for ref in (creds.password, creds.enable):
        if ref is not None:
            try:
                redactor.add(resolve_secret(ref, root, environ))
            except CredentialError:
                continue


def _name(device: Device, table: CollectorTable | None) -> str:
    try:
        return collector_for(device, table).name
    except CollectError:
        return "-"


def _collect_one(device: Device, ctx: CollectContext, opts: RunOptions,
                 table: CollectorTable | None, sleep: Callable[[float], None]) -> DeviceResult:
    start = time.monotonic()
    attempts = 0
    collector: Collector | None = None
    try:
        collector = collector_for(device, table)
        while True:
            attempts += 1
            try:
                facts = collector.collect(device, ctx)
                return DeviceResult(device.id, True, collector.name, time.monotonic() - start,
                                    attempts, facts=facts)
            except TransientError:
                if attempts > opts.retries or ctx.cancel.cancelled:
                    raise
                sleep(opts.backoff * 2 ** (attempts - 1))
    except CollectError as exc:
        kind = "timeout" if ctx.cancel.cancelled else exc.kind
        message = str(exc) if not ctx.cancel.cancelled else "deadline passed; session closed"
        return _failed(device, collector, start, attempts, ctx.redactor(message), kind)
    except CredentialError as exc:
        return _failed(device, collector, start, attempts, ctx.redactor(str(exc)),
                       "credentials")
    except Exception as exc:
        kind = CollectTimeoutError.kind if ctx.cancel.cancelled else "internal"
        return _failed(device, collector, start, attempts,
                       ctx.redactor(f"{type(exc).__name__}: {exc}"), kind)


def _failed(device: Device, collector: Collector | None, start: float, attempts: int,
            message: str, kind: str) -> DeviceResult:
    return DeviceResult(device.id, False, collector.name if collector else "-",
                        time.monotonic() - start, attempts, error=message, error_kind=kind)
