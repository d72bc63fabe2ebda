"""Throw-away network namespaces for integration tests (names ``egvt-…``), and their cleanup.

Everything happens inside namespaces the test creates: veth pairs are created with both ends
placed directly into those namespaces, sysctls are set with ``ip netns exec``, and nothing is
added to (or read from) the host's own interfaces, routes or ruleset. :class:`Namespaces` deletes
every namespace it made, and stops every process it started in them, when the ``with`` block
ends, also after a failure.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from types import TracebackType

PREFIX = "egvt-"


def require_root() -> None:
    """Skip when not root (namespaces need it), unless ``EGOVOPS_REQUIRE_TOOLS=1`` (then fail)."""
    import pytest

    if os.geteuid() != 0:
        if os.environ.get("EGOVOPS_REQUIRE_TOOLS") == "1":
            pytest.fail("network namespace tests need root")
        pytest.skip("network namespaces need root")


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, text=True, timeout=10)


class Namespaces:
    """A set of named namespaces ``egvt-<tag>-<name>``; a context manager that removes them."""

    def __init__(self, tag: str) -> None:
        self.tag = tag
        self.created: list[str] = []
        self.processes: list[subprocess.Popen[str]] = []

    def name(self, short: str) -> str:
        """Full namespace name of ``short`` (``fw`` → ``egvt-1234-fw``)."""
        return f"{PREFIX}{self.tag}-{short}"

    def add(self, short: str) -> str:
        """Create namespace ``short`` with its loopback up; returns the full name."""
        ns = self.name(short)
        if os.path.exists(f"/run/netns/{ns}"):  # leftover of a killed run with the same tag
            _ip("netns", "delete", ns)
        _ip("netns", "add", ns)
        self.created.append(ns)
        _ip("-n", ns, "link", "set", "lo", "up")
        return ns

    def veth(self, left: str, left_if: str, right: str, right_if: str) -> None:
        """A veth pair with one end in each namespace (never in the host's), both up."""
        a, b = self.name(left), self.name(right)
        _ip("link", "add", left_if, "netns", a, "type", "veth", "peer", "name", right_if,
            "netns", b)
        _ip("-n", a, "link", "set", left_if, "up")
        _ip("-n", b, "link", "set", right_if, "up")

    def address(self, short: str, interface: str, *cidrs: str) -> None:
        """Add addresses to an interface of namespace ``short``."""
        for cidr in cidrs:
            _ip("-n", self.name(short), "addr", "add", cidr, "dev", interface)

    def route(self, short: str, *route: str) -> None:
        """``ip route add ROUTE…`` inside namespace ``short``."""
        _ip("-n", self.name(short), "route", "add", *route)

    def command(self, short: str, argv: Sequence[str]) -> list[str]:
        """``argv`` prefixed so that it runs inside namespace ``short``."""
        return ["ip", "netns", "exec", self.name(short), *argv]

    def run(self, short: str, argv: Sequence[str], *, check: bool = True,
            input: str | None = None, timeout: float = 20) -> subprocess.CompletedProcess[str]:
        """Run ``argv`` inside namespace ``short`` and return its result (text output)."""
        return subprocess.run(self.command(short, argv), check=check, capture_output=True,
                              text=True, input=input, timeout=timeout)

    def start(self, short: str, argv: Sequence[str]) -> subprocess.Popen[str]:
        """Start a long-running process inside namespace ``short`` (stopped on exit)."""
        process = subprocess.Popen(self.command(short, argv), stdin=subprocess.DEVNULL,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.processes.append(process)
        return process

    def close(self) -> None:
        """Stop the started processes and delete every namespace created (errors ignored)."""
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=5)
            for stream in (process.stdout, process.stderr):
                if stream is not None:
                    stream.close()
        self.processes.clear()
        for ns in reversed(self.created):
            subprocess.run(["ip", "netns", "delete", ns], check=False, capture_output=True,
                           timeout=10)
        self.created.clear()

    def __enter__(self) -> Namespaces:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()
