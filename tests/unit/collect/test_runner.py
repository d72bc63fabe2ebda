"""The runner: bounded concurrency, deadlines that hold, retries for transient errors only."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

from egovops.collect.base import (
    AuthError,
    CollectContext,
    Timeouts,
    TransientError,
)
from egovops.collect.facts import DeviceFacts
from egovops.collect.linux import LinuxCollector
from egovops.collect.runner import RunOptions, collect_devices
from egovops.model.inventory import Credentials, Device, DeviceRole, SecretRef


def _device(ident: str, **extra: object) -> Device:
    return Device.model_validate({"id": ident, "role": "host", "platform": "linux",
                                  "zone": "outer", "mgmt": "127.0.0.1",
                                  "credentials": {"username": "u", "password": {"env": "PW"}},
                                  **extra})


class Fake:
    """A collector whose behaviour per device is scripted."""

    name = "fake"

    def __init__(self) -> None:
        self.calls: dict[str, int] = {}
        self.active = 0
        self.peak = 0
        self.lock = threading.Lock()

    def collect(self, device: Device, ctx: CollectContext) -> DeviceFacts:
        with self.lock:
            self.calls[device.id] = self.calls.get(device.id, 0) + 1
            self.active += 1
            self.peak = max(self.peak, self.active)
        try:
            if device.id.startswith("hang"):
                released = threading.Event()
                ctx.cancel.on_cancel(released.set)
                released.wait(30)
                raise OSError("socket closed")
            if device.id.startswith("flaky") and self.calls[device.id] < 3:
                raise TransientError("connection reset by peer")
            if device.id.startswith("auth"):
                raise AuthError(f"authentication failed for secret {ctx.environ['PW']}")
            if device.id.startswith("bug"):
                raise ZeroDivisionError("driver bug")
            time.sleep(0.05)
            return DeviceFacts(device=device.id, collector=self.name, collected_at="now")
        finally:
            with self.lock:
                self.active -= 1


def _run(devices: list[Device], fake: Fake, **options: object) -> tuple[dict[str, object], float]:
    sleeps: list[float] = []
    start = time.monotonic()
    run = collect_devices(devices, site="t", root=Path("."), environ={"PW": "s3cret-value"},
                          options=RunOptions(**options),  # type: ignore[arg-type]
                          table=lambda _d: fake, sleep=sleeps.append)
    return {r.device: r for r in run.results} | {"_sleeps": sleeps}, time.monotonic() - start


def test_one_device_failure_is_only_that_device() -> None:
    fake = Fake()
    devices = [_device(i) for i in ("ok1", "auth1", "bug1", "flaky1", "ok2")]
    results, _ = _run(devices, fake, workers=4, retries=2, backoff=0.5)
    assert results["ok1"].ok and results["ok2"].ok  # type: ignore[attr-defined]
    assert results["auth1"].error_kind == "auth"  # type: ignore[attr-defined]
    assert results["auth1"].attempts == 1  # type: ignore[attr-defined]
    assert "s3cret-value" not in results["auth1"].error  # type: ignore[attr-defined]
    assert results["bug1"].error_kind == "internal"  # type: ignore[attr-defined]
    assert results["flaky1"].ok and results["flaky1"].attempts == 3  # type: ignore[attr-defined]
    assert results["_sleeps"] == [0.5, 1.0]  # exponential backoff


def test_transient_errors_give_up_after_the_retries() -> None:
    fake = Fake()
    results, _ = _run([_device("flaky9")], fake, retries=1, backoff=0.1)
    assert results["flaky9"].error_kind == "unreachable"  # type: ignore[attr-defined]
    assert fake.calls["flaky9"] == 2


def test_a_hung_device_is_cut_at_its_deadline_and_holds_nothing() -> None:
    fake = Fake()
    devices = [_device("hang1"), *(_device(f"ok{i}") for i in range(6))]
    results, took = _run(devices, fake, workers=2, deadline=0.6)
    assert results["hang1"].error_kind == "timeout"  # type: ignore[attr-defined]
    assert all(results[f"ok{i}"].ok for i in range(6))  # type: ignore[attr-defined]
    assert took < 2.0


def test_the_pool_is_bounded() -> None:
    fake = Fake()
    _run([_device(f"ok{i}") for i in range(12)], fake, workers=3)
    assert fake.peak <= 3


def test_real_ssh_to_a_silent_server_times_out(silent_listener: int) -> None:
    device = _device("silent", credentials=Credentials(
        username="u", password=SecretRef(env="PW"), port=silent_listener))
    start = time.monotonic()
    run = collect_devices([device], site="t", root=Path("."), environ={"PW": "pw"},
                          options=RunOptions(timeouts=Timeouts(connect=0.5, command=1.0)),
                          table=lambda _d: LinuxCollector())
    (result,) = run.results
    assert result.error_kind == "timeout", result
    assert time.monotonic() - start < 3


def test_refused_port_is_transient_and_retried() -> None:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nothing listens there now
    device = _device("closed", role=DeviceRole.HOST, credentials=Credentials(
        username="u", password=SecretRef(env="PW"), port=port))
    run = collect_devices([device], site="t", root=Path("."), environ={"PW": "pw"},
                          options=RunOptions(retries=2, backoff=0.0,
                                             timeouts=Timeouts(connect=0.5)),
                          table=lambda _d: LinuxCollector(), sleep=lambda _s: None)
    (result,) = run.results
    assert result.error_kind == "unreachable" and result.attempts == 3


def test_missing_credentials_fail_without_connecting() -> None:
    device = _device("nocreds", credentials=Credentials(username="u",
                                                        password=SecretRef(env="UNSET_X")))
    run = collect_devices([device], site="t", root=Path("."), environ={},
                          table=lambda _d: LinuxCollector())
    (result,) = run.results
    assert result.error_kind == "credentials"
    assert "UNSET_X" in result.error
