"""A real ``egovops daemon`` process for the integration tests: started on 127.0.0.1 port 0,
its JSON log read line by line, a systemd notify socket of our own, stopped by the finalizer."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.conftest import REPO


class DaemonProcess:
    """``python -m egovops.cli.main daemon SITE --config FILE --listen 127.0.0.1:0``."""

    def __init__(self, site: Path, config: Path, workdir: Path,
                 env: dict[str, str] | None = None) -> None:
        self.notify_path = workdir / f"notify-{time.monotonic_ns()}.sock"
        self.notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.notify.bind(str(self.notify_path))
        self.notify.settimeout(0.2)
        self.messages: list[str] = []
        self.logs: list[dict[str, Any]] = []
        environ = {**os.environ, "NOTIFY_SOCKET": str(self.notify_path),
                   "WATCHDOG_USEC": "1000000", "PYTHONPATH": str(REPO), **(env or {})}
        environ.pop("WATCHDOG_PID", None)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "egovops.cli.main", "daemon", str(site), "--config",
             str(config), "--listen", "127.0.0.1:0"],
            cwd=workdir, env=environ, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, text=True)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self._listener = threading.Thread(target=self._listen, daemon=True)
        self._listener.start()
        listening = self.wait_log(lambda e: e.get("event") == "listening", 20)
        self.address = str(listening["address"])
        self.url = f"http://{self.address}"

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            try:
                self.logs.append(json.loads(line))
            except ValueError:
                self.logs.append({"event": "raw", "line": line})

    def _listen(self) -> None:
        while self.proc.poll() is None or self._pending():
            try:
                self.messages.append(self.notify.recv(4096).decode())
            except (TimeoutError, OSError):
                continue

    def _pending(self) -> bool:
        try:
            self.messages.append(self.notify.recv(4096, socket.MSG_DONTWAIT).decode())
        except OSError:
            return False
        return True

    def wait_log(self, match: Callable[[dict[str, Any]], bool],
                 timeout: float = 15) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for entry in list(self.logs):
                if match(entry):
                    return entry
            if self.proc.poll() is not None and not self._reader.is_alive():
                break
            time.sleep(0.05)
        raise AssertionError(f"no such log entry; exit {self.proc.poll()}; logs: {self.logs}")

    def get(self, path: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(self.url + path, timeout=5) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    def wait_for(self, check: Callable[[], bool], timeout: float = 15) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if check():
                return
            time.sleep(0.1)
        raise AssertionError(f"condition not met in {timeout} s; logs: {self.logs[-10:]}")

    def metric(self, sample: str) -> float | None:
        """Value of the sample line starting with ``sample`` (name and labels)."""
        _, text = self.get("/metrics")
        for line in text.splitlines():
            if line.startswith(sample + " "):
                return float(line.rsplit(" ", 1)[1])
        return None

    def signal(self, signum: signal.Signals) -> None:
        self.proc.send_signal(signum)

    def stop(self, timeout: float = 20) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._reader.join(5)
        self._listener.join(5)
        if self.proc.stderr is not None:
            self.proc.stderr.close()
        self.notify.close()
        self.notify_path.unlink(missing_ok=True)
        return self.proc.returncode
