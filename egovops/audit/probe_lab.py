"""Active isolation probes in the namespace lab: listeners in the targets, probers in the sources.

For one run: in every target node's namespace one listener process binds every (protocol,
address, port) the plan probes there — TCP sockets that greet each connection with the run's
token, UDP sockets that echo it — and reports which bindings failed. Then in every source
node's namespace one prober process sends that node's probes concurrently (a bounded thread
pool): TCP ``connect``, a UDP datagram waiting for the echo, ``ping`` for ICMP, each bound to
the probe's source address and limited by the timeout. The errno tells a reset (``refused``)
from an ICMP error (``unreachable``), a local "network unreachable" (``no-route``) and silence
(``filtered``). Listeners exit when their standard input closes (also when egovops dies) and
are stopped by pid otherwise.

Every packet stays inside the lab's namespaces: the processes are started with ``nsenter
--net=/run/netns/<node>``, and nothing is sent from the host's own namespace.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import select
import subprocess
import sys
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from egovops.audit.probe import Probe
from egovops.audit.probe_run import Observation, Observed, ProbeError
from egovops.errors import display_path
from egovops.lab.build import lab_status
from egovops.lab.plan import LabPlan
from egovops.lab.system import NETNS_DIR, System

LISTENER = r"""
import errno, json, os, selectors, socket, sys
spec, token = json.loads(sys.argv[1]), sys.argv[2].encode()
sel, failed = selectors.DefaultSelector(), []
for proto, addr, port in spec:
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    try:
        if proto == "tcp":
            s = socket.socket(fam, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((addr, port))
            s.listen(256)
        else:
            s = socket.socket(fam, socket.SOCK_DGRAM)
            s.bind((addr, port))
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ, proto)
    except OSError as exc:
        if not (proto == "tcp" and exc.errno == errno.EADDRINUSE):  # a service listens there
            failed.append([proto, addr, port, exc.strerror or str(exc)])
sel.register(0, selectors.EVENT_READ, "stdin")
print(json.dumps({"failed": failed}), flush=True)
while True:
    for key, _ in sel.select():
        if key.data == "stdin":
            if not os.read(0, 512):
                sys.exit(0)
        elif key.data == "tcp":
            try:
                conn, _ = key.fileobj.accept()
                conn.setblocking(True)
                conn.settimeout(1)
                conn.sendall(token + b"\n")
                conn.close()
            except OSError:
                pass
        else:
            try:
                data, peer = key.fileobj.recvfrom(2048)
                key.fileobj.sendto(token + b" " + data, peer)
            except OSError:
                pass
"""
"""Runs in a target's namespace: binds, prints ``{"failed": [...]}``, serves until stdin closes.
A TCP port already in use is served by a real service (sshd on the management address): the
probe connects to it instead."""

PROBER = r"""
import errno, json, math, socket, subprocess, sys, time
from concurrent.futures import ThreadPoolExecutor
req = json.load(sys.stdin)
T, token = req["timeout"], req["token"].encode()
UNREACH = {errno.EHOSTUNREACH, errno.EACCES, errno.EPERM, errno.EHOSTDOWN, errno.EPROTO}

def oserror(exc):
    if exc.errno == errno.ENETUNREACH:
        return "no-route", exc.strerror
    if exc.errno == errno.ECONNREFUSED:
        return "refused", "reset (connection refused)"
    if exc.errno in UNREACH:
        return "unreachable", "ICMP error: " + (exc.strerror or str(exc.errno))
    return "error", exc.strerror or str(exc)

def stream(src, dst, port):
    s = socket.socket(socket.AF_INET6 if ":" in dst else socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(T)
    try:
        s.bind((src, 0))
        s.connect((dst, port))
    except socket.timeout:
        return "filtered", "no answer within %g s" % T
    except OSError as exc:
        return oserror(exc)
    try:
        data = s.recv(256)
    except OSError:
        data = b""
    finally:
        s.close()
    if data.strip() == token:
        return "reached", "connected; the probe listener answered"
    return "reached", "connected; another service answered"

def datagram(src, dst, port):
    s = socket.socket(socket.AF_INET6 if ":" in dst else socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(T)
    try:
        s.bind((src, 0))
        s.connect((dst, port))
        s.send(token)
        data = s.recv(2048)
    except socket.timeout:
        return "filtered", "no answer within %g s" % T
    except OSError as exc:
        if exc.errno == errno.ECONNREFUSED:
            return "refused", "ICMP port unreachable"
        return oserror(exc)
    finally:
        s.close()
    if data.startswith(token):
        return "reached", "the probe listener echoed the datagram"
    return "reached", "another service answered"

def echo(src, dst):
    argv = ["ping", "-n", "-c", "1", "-W", str(max(1, math.ceil(T))), "-I", src, dst]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=T + 5)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return "error", str(exc)
    out = " ".join((done.stdout + " " + done.stderr).split())
    if done.returncode == 0:
        return "reached", "echo reply"
    if "Network is unreachable" in out:
        return "no-route", "Network is unreachable"
    for word in ("Unreachable", "filtered", "Prohibited", "prohibited"):
        if word in out:
            return "unreachable", out[out.find("From"):][:160] if "From" in out else word
    if done.returncode == 1:
        return "filtered", "no echo reply within %g s" % T
    return "error", out[:200]

def one(p):
    start = time.monotonic()
    try:
        if p["proto"] == "tcp":
            kind, detail = stream(p["src"], p["dst"], p["port"])
        elif p["proto"] == "udp":
            kind, detail = datagram(p["src"], p["dst"], p["port"])
        else:
            kind, detail = echo(p["src"], p["dst"])
    except Exception as exc:
        kind, detail = "error", "%s: %s" % (type(exc).__name__, exc)
    return [kind, detail, round(time.monotonic() - start, 3)]

with ThreadPoolExecutor(max_workers=min(64, max(1, len(req["probes"])))) as pool:
    print(json.dumps(list(pool.map(one, req["probes"]))), flush=True)
"""
"""Runs in a source's namespace: reads the probes as JSON, prints one result per probe."""

MAX_PROCESSES = 16
"""Source namespaces probed at the same time."""


@dataclass
class _Listener:
    ns: str
    process: subprocess.Popen[str]
    failed: dict[tuple[str, str, int], str] = field(default_factory=dict)


class LabSender:
    """Sends probes inside the lab of ``plan`` (root; the lab must be up)."""

    def __init__(self, plan: LabPlan, system: System | None = None) -> None:
        self.plan = plan
        self.system = system or System()
        self.nodes = {n.device: n.ns for n in plan.nodes}

    @property
    def mode(self) -> str:
        """Where the probes start."""
        return "lab"

    def _check(self, probes: Sequence[Probe]) -> None:
        self.system.require_root()
        self.system.which("nsenter")
        self.system.which("ping")
        wanted = {d for p in probes for d in (p.source.device, p.target.device)}
        missing = sorted(d for d in wanted if d not in self.nodes)
        if missing:
            raise ProbeError(f"the lab of site {self.plan.site} has no node for "
                             f"{', '.join(missing)} (devices without a management address "
                             "get none)")
        status = {n.device: n for n in lab_status(self.plan, self.system).nodes}
        down = sorted(d for d in wanted if not status[d].exists)
        if down:
            raise ProbeError(f"the lab of site {self.plan.site} is not up (namespace "
                             f"{self.nodes[down[0]]} missing): run "
                             f"`egovops lab up {display_path(self.plan.root)}` first")

    def _in_ns(self, ns: str, *argv: str) -> list[str]:
        return [self.system.which("nsenter"), f"--net={NETNS_DIR / ns}", *argv]

    def _start_listeners(self, probes: Sequence[Probe], token: str) -> list[_Listener]:
        binds: dict[str, dict[tuple[str, str, int], None]] = {}
        for p in probes:
            if p.service.proto in ("tcp", "udp"):
                binds.setdefault(p.target.device, {})[
                    (p.service.proto, str(p.target.address), p.service.port)] = None
        listeners: list[_Listener] = []
        try:
            for device, spec in binds.items():
                ns = self.nodes[device]
                process = subprocess.Popen(
                    self._in_ns(ns, sys.executable, "-I", "-c", LISTENER,
                                json.dumps([list(b) for b in spec]), token),
                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                    text=True, env={**os.environ, "PATH": self.system.path})
                listeners.append(_Listener(ns, process))
            for listener in listeners:
                listener.failed = self._ready(listener)
        except BaseException:
            self._stop(listeners)
            raise
        return listeners

    def _ready(self, listener: _Listener) -> dict[tuple[str, str, int], str]:
        stdout = listener.process.stdout
        assert stdout is not None
        readable, _, _ = select.select([stdout], [], [], 15)
        line = stdout.readline() if readable else ""
        try:
            data: dict[str, Any] = json.loads(line)
        except ValueError:
            error = ""
            if listener.process.poll() is not None and listener.process.stderr is not None:
                error = listener.process.stderr.read().strip()
            raise ProbeError(f"{listener.ns}: the probe listener did not start: "
                             f"{error or 'no answer within 15 s'}") from None
        return {(f[0], f[1], int(f[2])): str(f[3]) for f in data.get("failed", [])}

    def _stop(self, listeners: Sequence[_Listener]) -> None:
        for listener in listeners:
            stdin = listener.process.stdin
            if stdin is not None and not stdin.closed:
                with contextlib.suppress(OSError):
                    stdin.close()
        pids = []
        for listener in listeners:
            try:
                listener.process.wait(timeout=2)
            except subprocess.TimeoutExpired:
                pids.append(listener.process.pid)
        if pids:
            self.system.stop(pids)
        for listener in listeners:
            if listener.process.poll() is None:
                listener.process.wait()
            for stream in (listener.process.stdout, listener.process.stderr):
                if stream is not None:
                    stream.close()

    def _probe_from(self, device: str, items: list[tuple[int, Probe]], timeout: float,
                    token: str) -> dict[int, Observation]:
        request = {"timeout": timeout, "token": token, "probes": [
            {"proto": p.service.proto, "src": str(p.source.address),
             "dst": str(p.target.address), "port": p.service.port} for _, p in items]}
        argv = self._in_ns(self.nodes[device], sys.executable, "-I", "-c", PROBER)
        # batches of 64 at once; a TCP probe may wait twice (connect, then the answer)
        limit = 2 * timeout * (len(items) // 64 + 1) + 20
        done: subprocess.CompletedProcess[str] | None = None
        rows: object = None
        why = ""
        try:
            done = subprocess.run(argv, input=json.dumps(request), capture_output=True,
                                  text=True, timeout=limit, check=False,
                                  env={**os.environ, "PATH": self.system.path})
            rows = json.loads(done.stdout) if done.returncode == 0 else None
        except subprocess.TimeoutExpired:
            why = f"no answer within {limit:g} s"
        except OSError as exc:
            why = f"cannot start the prober: {exc.strerror or exc}"
        except ValueError:
            why = "unreadable answer"
        if not isinstance(rows, list) or len(rows) != len(items):
            if done is not None:
                why = (done.stderr.strip().splitlines() or [why or "no output"])[-1]
            return {i: Observation(Observed.ERROR, f"prober in {self.nodes[device]}: {why}")
                    for i, _ in items}
        return {i: Observation(Observed(row[0]), str(row[1]), float(row[2]))
                for (i, _), row in zip(items, rows, strict=True)}

    def send(self, probes: Sequence[Probe], timeout: float) -> list[Observation]:
        """Listeners up, every source's probes at once, listeners down."""
        self._check(probes)
        token = f"egovops-probe-{secrets.token_hex(8)}"
        listeners = self._start_listeners(probes, token)
        failed = {k: f"{lst.ns}: {v}" for lst in listeners for k, v in lst.failed.items()}
        results: dict[int, Observation] = {}
        by_source: dict[str, list[tuple[int, Probe]]] = {}
        for i, p in enumerate(probes):
            bind = (p.service.proto, str(p.target.address), p.service.port)
            if bind in failed:
                results[i] = Observation(Observed.ERROR, f"listener: {failed[bind]}")
            else:
                by_source.setdefault(p.source.device, []).append((i, p))
        try:
            with ThreadPoolExecutor(max_workers=min(MAX_PROCESSES,
                                                    max(1, len(by_source)))) as pool:
                futures = [pool.submit(self._probe_from, device, items, timeout, token)
                           for device, items in by_source.items()]
                for future in futures:
                    results.update(future.result())
        finally:
            self._stop(listeners)
        return [results[i] for i in range(len(probes))]
