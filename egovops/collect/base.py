"""The collector contract: a :class:`Collector` turns one device into :class:`DeviceFacts`.

A collector is a small Protocol (napalm's driver contract, reduced to what egovops needs); which
collector serves which device is decided by an explicit table (:mod:`egovops.collect.registry`).
Errors are classified by what the runner can do about them: :class:`TransientError` is retried
with backoff, every other :class:`CollectError` fails the device at once.

A collector receives a :class:`Cancel` handle: it registers a callback that breaks its blocking
I/O (closing the socket). The runner fires it when the device's deadline passes, so a device
that accepts TCP and never answers cannot hold the run.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from egovops.collect.credentials import Redactor
from egovops.collect.facts import DeviceFacts
from egovops.errors import EgovopsError
from egovops.model.inventory import Device


class CollectError(EgovopsError):
    """Raised by a collector when a device cannot be collected; becomes that device's result.

    ``kind`` is a stable word for tables and JSON: ``auth``, ``timeout``, ``unreachable``,
    ``credentials``, ``unsupported``, ``protocol``, ``parse``.
    """

    kind = "protocol"


class TransientError(CollectError):
    """Raised when a retry may succeed (connection refused or reset, session dropped)."""

    kind = "unreachable"


class AuthError(CollectError):
    """Raised when the device refused the login; fix the credentials (never retried)."""

    kind = "auth"


class CollectTimeoutError(CollectError):
    """Raised when the device did not answer in time (connect, banner, login or command)."""

    kind = "timeout"


class UnsupportedError(CollectError):
    """Raised when no collector serves the device's platform, or its driver is not installed."""

    kind = "unsupported"


class ParseError(CollectError):
    """Raised when a device's output cannot be understood."""

    kind = "parse"


class Cancel:
    """Cancellation handle of one device's collection, fired from the runner's thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._callbacks: list[Callable[[], object]] = []
        self.cancelled = False

    def on_cancel(self, callback: Callable[[], object]) -> None:
        """Run ``callback`` on cancellation (at once when already cancelled)."""
        with self._lock:
            if not self.cancelled:
                self._callbacks.append(callback)
                return
        _quietly(callback)

    def cancel(self) -> None:
        """Fire every callback once (errors from closing half-dead sockets are ignored)."""
        with self._lock:
            if self.cancelled:
                return
            self.cancelled = True
            callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            _quietly(callback)


def _quietly(callback: Callable[[], object]) -> None:
    with contextlib.suppress(Exception):
        callback()


@dataclass(frozen=True)
class Timeouts:
    """Per-device time limits, in seconds."""

    connect: float = 10.0
    """TCP connect, SSH banner and login, each."""
    command: float = 30.0
    """One command's output."""


@dataclass(frozen=True)
class CollectContext:
    """What a collector needs besides the device; everything from outside is injected."""

    root: Path
    """Site folder: relative credential files resolve against it."""
    environ: Mapping[str, str]
    timeouts: Timeouts = field(default_factory=Timeouts)
    redactor: Redactor = field(default_factory=Redactor)
    cancel: Cancel = field(default_factory=Cancel)


class Collector(Protocol):
    """Collects one device. Implementations: linux (netmiko), napalm, netmiko+TextFSM, replay."""

    name: str
    """Short name recorded in each result (``linux``, ``napalm:ios``, ``replay``)."""

    def collect(self, device: Device, ctx: CollectContext) -> DeviceFacts:
        """Connect, run the getters, close; return the device's facts.

        Raises a :class:`CollectError` subclass when the device cannot be collected; getters
        that fail on an otherwise working device go into ``DeviceFacts.warnings`` instead.
        Must register a callback on ``ctx.cancel`` that breaks any blocking I/O.
        """
        ...
