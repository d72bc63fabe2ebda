"""The system calls of the lab: one injectable seam over ``subprocess`` (tests replace it).

Everything the lab does to the machine goes through :class:`System`: ``ip``, ``nsenter``,
``unshare``, ``nft``, ``ssh-keygen``, ``openssl``. Commands get argv lists (no shell), secrets
only on standard input.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

from egovops.errors import ToolMissingError
from egovops.lab.plan import LabError

TOOLS: dict[str, str] = {
    "ip": "iproute2",
    "nsenter": "util-linux",
    "unshare": "util-linux",
    "sshd": "openssh-server",
    "ssh-keygen": "openssh-client",
    "lldpd": "lldpd",
    "lldpcli": "lldpd",
    "nft": "nftables",
    "nc": "netcat-openbsd",
    "openssl": "openssl",
}
"""Programs the lab runs, and the Debian package of each."""

NETNS_DIR = Path("/run/netns")


class System:
    """Runs the lab's commands; raises :class:`LabError` with the command's own error."""

    def __init__(self, sbin: Sequence[str] = ("/usr/sbin", "/sbin", "/usr/bin", "/bin")) -> None:
        self.path = os.pathsep.join([os.environ.get("PATH", ""), *sbin])

    def which(self, name: str) -> str:
        """Absolute path of ``name``; :class:`ToolMissingError` naming the Debian package."""
        found = shutil.which(name, path=self.path)
        if found is None:
            package = TOOLS.get(name, name)
            raise ToolMissingError(f"{name} (Debian package {package}; apt-get install {package})")
        return found

    def require_root(self) -> None:
        """The lab creates namespaces: only root can."""
        if os.geteuid() != 0:
            raise LabError("the lab needs root (network namespaces, veth pairs, sshd)")

    def run(self, argv: Sequence[str], *, stdin: str | None = None, check: bool = True,
            timeout: float = 30.0) -> str:
        """Run ``argv`` and return its standard output."""
        try:
            done = subprocess.run(
                list(argv), input=stdin, capture_output=True, text=True, timeout=timeout,
                check=False, env={**os.environ, "PATH": self.path},
            )
        except subprocess.TimeoutExpired:
            raise LabError(f"{' '.join(argv)}: no answer within {timeout:.0f} s") from None
        if check and done.returncode != 0:
            raise LabError(f"{' '.join(argv)}: {done.stderr.strip() or done.returncode}")
        return done.stdout

    def spawn(self, argv: Sequence[str]) -> subprocess.Popen[bytes]:
        """Start ``argv`` in its own session (it outlives this process), output discarded."""
        return subprocess.Popen(
            list(argv), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, start_new_session=True, env={**os.environ, "PATH": self.path},
        )

    def namespaces(self) -> list[str]:
        """Names of the named network namespaces on this machine."""
        if not NETNS_DIR.is_dir():
            return []
        return sorted(p.name for p in NETNS_DIR.iterdir())

    def ns_pids(self, ns: str) -> list[int]:
        """Processes living in namespace ``ns``."""
        out = self.run([self.which("ip"), "netns", "pids", ns], check=False)
        return [int(p) for p in out.split() if p.isdigit()]

    @staticmethod
    def comm(pid: int) -> str:
        """The command name of ``pid`` (empty when it is gone)."""
        try:
            return Path(f"/proc/{pid}/comm").read_text(encoding="utf-8").strip()
        except OSError:
            return ""

    @staticmethod
    def alive(pid: int) -> bool:
        """Whether ``pid`` runs (a zombie waiting to be reaped counts as gone)."""
        try:
            status = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8")
        except OSError:
            return False
        return status.rpartition(")")[2].split()[0] != "Z"

    def stop(self, pids: Sequence[int], grace: float = 2.0) -> None:
        """SIGTERM ``pids`` (processes the lab started), then SIGKILL what is left."""
        for sig in (signal.SIGTERM, signal.SIGKILL):
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, sig)
            deadline = time.monotonic() + grace
            while time.monotonic() < deadline:
                if not any(self.alive(pid) for pid in pids):
                    return
                time.sleep(0.02)
