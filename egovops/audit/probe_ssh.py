"""Active isolation probes from a vantage host: SSH to a device of the inventory, probe from it.

``egovops audit probe PATH --from DEVICE`` logs in to ``DEVICE`` with its inventory credentials
(the collect layer's resolution: ``{env: …}`` / ``{file: …}`` references, the site's
``ssh_config`` with ``ProxyCommand``/``ProxyJump``), and runs one POSIX shell script there that
sends every probe at once: ``nc -z`` for TCP, ``nc -u`` with a datagram for UDP, ``ping -c 1``
for ICMP, each bound to the device's own address (``-s``/``-I``) and limited by the timeout.
No listener is started on the targets, so a closed port that answers (TCP reset, ICMP port
unreachable) still proves the packet got there (``reached-closed``), while silence is
``filtered`` for TCP and ICMP, and undecided (``no-answer``: open or filtered) for UDP.

The vantage host needs ``nc`` (netcat-openbsd) and ``ping`` (iputils); the probes are sent by
it, on the network it sits in — the only traffic egovops itself sends is the SSH session.
"""

from __future__ import annotations

import math
import os
import shlex
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import paramiko

from egovops.audit.probe import Probe
from egovops.audit.probe_run import Observation, Observed, VantageError
from egovops.collect.base import CollectError
from egovops.collect.credentials import CredentialError, Login, Redactor, resolve_login
from egovops.collect.transport import close_socket, open_socket
from egovops.errors import UsageError
from egovops.model.inventory import Device, Inventory

MARK = "EGVPROBE"
TOOLS = ("nc", "ping")

_HEAD = f"""\
for t in {' '.join(TOOLS)}; do command -v "$t" >/dev/null 2>&1 || echo "EGVMISSING $t"; done
p() {{
  i=$1; shift
  o=$("$@" 2>&1 </dev/null); rc=$?
  printf '{MARK} %s %s %s\\n' "$i" "$rc" "$(printf '%s' "$o" | tr '\\n\\r\\t' '   ' | cut -c1-300)"
}}
"""


def probe_script(probes: Sequence[Probe], timeout: float) -> str:
    """The shell script that sends ``probes`` in parallel and prints one line per probe."""
    wait = max(1, math.ceil(timeout))
    lines = [_HEAD]
    for i, p in enumerate(probes):
        src, dst = shlex.quote(str(p.source.address)), shlex.quote(str(p.target.address))
        if p.service.proto == "tcp":
            cmd = f"nc -n -v -z -w {wait} -s {src} {dst} {p.service.port}"
        elif p.service.proto == "udp":
            inner = (f"printf egovops-probe | nc -n -v -u -w {wait} -s {src} {dst} "
                     f"{p.service.port}")
            cmd = f"sh -c {shlex.quote(inner)}"
        else:
            cmd = f"ping -n -c 1 -W {wait} -I {src} {dst}"
        lines.append(f"p {i} {cmd} &")
    lines.append("wait")
    return "\n".join(lines) + "\n"


def classify(proto: str, rc: int, text: str) -> Observation:
    """One probe's exit code and output → what it saw."""
    if "Network is unreachable" in text:
        return Observation(Observed.NO_ROUTE, "Network is unreachable")
    if proto == "tcp":
        if rc == 0:
            return Observation(Observed.REACHED, "connected: a service listens")
        if "refused" in text:
            return Observation(Observed.CLOSED, "reset: the host answered, the port is closed")
        if "timed out" in text:
            return Observation(Observed.FILTERED, "no answer")
        if "No route to host" in text or "prohibited" in text.lower():
            return Observation(Observed.UNREACHABLE, "ICMP error: " + text[-120:].strip())
        return Observation(Observed.ERROR, text.strip()[:200] or f"nc exit {rc}")
    if proto == "udp":
        data = text.split("succeeded!", 1)[1] if "succeeded!" in text else text
        if rc == 0 and data.strip():
            return Observation(Observed.REACHED, "a service answered")
        if rc == 0:
            return Observation(Observed.NO_ANSWER, "no answer: open or filtered")
        low = text.lower()
        # netcat-openbsd exits 1 without a word when the port-unreachable comes back
        if "refused" in low or not text.strip():
            return Observation(Observed.CLOSED, "ICMP port unreachable: the host answered")
        if "no route to host" in low or "unreachable" in low or "prohibited" in low:
            return Observation(Observed.UNREACHABLE, "ICMP error: " + text[-120:].strip())
        return Observation(Observed.ERROR, text.strip()[:200] or f"nc exit {rc}")
    if rc == 0:
        return Observation(Observed.REACHED, "echo reply")
    for word in ("Unreachable", "filtered", "Prohibited", "prohibited"):
        if word in text:
            return Observation(Observed.UNREACHABLE, text[text.find("From"):][:160].strip()
                               if "From" in text else word)
    if rc == 1:
        return Observation(Observed.FILTERED, "no echo reply")
    return Observation(Observed.ERROR, text.strip()[:200] or f"ping exit {rc}")


class SshSender:
    """Sends probes from one inventory device over SSH."""

    def __init__(self, inv: Inventory, device: str,
                 environ: Mapping[str, str] | None = None, connect_timeout: float = 10.0) -> None:
        dev = inv.device_by_id.get(device)
        if dev is None:
            raise UsageError(f"--from: no device {device!r} in the inventory")
        self.device: Device = dev
        self.root = Path(inv.root or ".")
        self.environ = os.environ if environ is None else environ
        self.connect_timeout = connect_timeout

    @property
    def mode(self) -> str:
        """Where the probes start."""
        return f"ssh:{self.device.id}"

    def _login(self) -> tuple[str, Login]:
        dev = self.device
        if dev.mgmt is None:
            raise UsageError(f"{dev.id}: no management address to log in to")
        try:
            return str(dev.mgmt), resolve_login(dev.credentials, self.root, self.environ)
        except CredentialError as exc:
            raise UsageError(f"{dev.id}: {exc}") from None

    def run_script(self, script: str, limit: float) -> str:
        """Run ``script`` with ``/bin/sh`` on the vantage host; its standard output."""
        host, login = self._login()
        client = paramiko.SSHClient()
        # like `egovops collect` (netmiko's default): the lab regenerates host keys
        client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
        sock: Any = None
        try:
            sock = open_socket(host, login.port, login.ssh_config, self.connect_timeout)
            client.connect(host, port=login.port, username=login.username,
                           password=login.password, key_filename=login.key_file, sock=sock,
                           timeout=self.connect_timeout, banner_timeout=self.connect_timeout,
                           auth_timeout=self.connect_timeout, allow_agent=False,
                           look_for_keys=False)
            stdin, stdout, _ = client.exec_command("/bin/sh -s", timeout=limit)
            stdin.write(script)
            stdin.channel.shutdown_write()
            out: bytes = stdout.read()
            stdout.channel.recv_exit_status()
        except (CollectError, paramiko.SSHException, OSError, EOFError) as exc:
            redact = Redactor()  # a ProxyCommand or library message must not echo a secret
            redact.add(login.password)
            redact.add(login.enable)
            text = redact(" ".join(str(exc).split())) or type(exc).__name__
            raise VantageError(f"{self.device.id} ({host}): {text}") from None
        finally:
            transport = client.get_transport()
            client.close()
            if transport is not None:
                transport.join(2)  # its reader thread stops before the socket goes
            if sock is not None:
                close_socket(sock)
        return out.decode(errors="replace")

    def send(self, probes: Sequence[Probe], timeout: float) -> list[Observation]:
        """Every probe from the vantage host at once."""
        foreign = sorted({p.source.device for p in probes} - {self.device.id})
        if foreign:
            raise VantageError(f"--from {self.device.id}: probes from other devices "
                               f"({', '.join(foreign)}) cannot be sent from it")
        start = time.monotonic()
        out = self.run_script(probe_script(probes, timeout), timeout + 30)
        missing = [line.split()[1] for line in out.splitlines()
                   if line.startswith("EGVMISSING ") and len(line.split()) > 1]
        if missing:
            raise VantageError(f"{self.device.id}: {', '.join(missing)} not found there "
                               "(Debian packages netcat-openbsd, iputils-ping)")
        rows: dict[int, tuple[int, str]] = {}
        for line in out.splitlines():
            parts = line.split(" ", 3)
            if len(parts) >= 3 and parts[0] == MARK and parts[1].isdigit() and \
                    parts[2].lstrip("-").isdigit():
                rows[int(parts[1])] = (int(parts[2]), parts[3] if len(parts) > 3 else "")
        seconds = time.monotonic() - start
        result = []
        for i, p in enumerate(probes):
            if i not in rows:
                result.append(Observation(Observed.ERROR, "no result from the vantage host"))
                continue
            obs = classify(p.service.proto, *rows[i])
            result.append(Observation(obs.observed, obs.detail, seconds))
        return result
