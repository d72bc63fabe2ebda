"""What the exporter reads: one frozen :class:`SiteState`, swapped whole when a job finishes.

The daemon's jobs (and ``egovops metrics dump``) build the parts from the stages before them
(inventory, latest snapshot, audit result, resilience, PKI ledger, plan evaluation); the
collectors read whatever state is current at scrape time (collect-on-scrape). A
:class:`StateStore` hands out the current state and replaces it under a lock, so a scrape never
sees half an update.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from egovops.collect.facts import DeviceFacts
from egovops.model.findings import AuditResult
from egovops.model.inventory import Inventory
from egovops.topology.resilience import Resilience


@dataclass(frozen=True)
class DeviceStatus:
    """A device's entry in a snapshot manifest."""

    ok: bool
    error_kind: str = ""


@dataclass(frozen=True)
class SnapshotView:
    """The latest snapshot, read back: when, which devices, their facts."""

    path: str
    site: str
    started: float | None
    finished: float | None
    devices: Mapping[str, DeviceStatus]
    facts: Mapping[str, DeviceFacts]


@dataclass(frozen=True)
class AuditView:
    """The latest audit result and when it finished (Unix time)."""

    result: AuditResult
    finished: float


@dataclass(frozen=True)
class CertGroup:
    """Certificates of one profile, unit and status; ``earliest_not_after`` only for valid,
    unexpired certificates."""

    profile: str
    unit: str
    status: str
    count: int
    earliest_not_after: float | None = None


@dataclass(frozen=True)
class CrlView:
    """The published CRL."""

    number: int
    this_update: float
    next_update: float
    revoked: int


@dataclass(frozen=True)
class PkiView:
    """What the PKI ledger and the published CRL say."""

    certificates: tuple[CertGroup, ...]
    crl: CrlView | None


@dataclass(frozen=True)
class ConditionStatus:
    """One plan condition evaluated by egovops; ``active`` is ``None`` when egovops cannot
    tell (the signal comes from another exporter, or its input is missing)."""

    condition: str
    level: str
    category: str
    active: bool | None
    reason: str


@dataclass(frozen=True)
class PlanEvaluation:
    """The candidate level (``None``: no condition holds) and every condition's status."""

    level: str | None
    conditions: tuple[ConditionStatus, ...]


@dataclass(frozen=True)
class JobStats:
    """Counters and times of one daemon job."""

    name: str
    runs: int = 0
    failures: int = 0
    skipped: int = 0
    running: bool = False
    last_duration: float | None = None
    last_success: float | None = None
    last_error: str = ""

    def to_json(self) -> dict[str, Any]:
        """For the daemon's state file."""
        return {"runs": self.runs, "failures": self.failures, "skipped": self.skipped,
                "last_duration": self.last_duration, "last_success": self.last_success,
                "last_error": self.last_error}


@dataclass(frozen=True)
class SiteState:
    """Everything the collectors export; each part is ``None`` until known."""

    inventory: Inventory | None = None
    snapshot: SnapshotView | None = None
    last_success: Mapping[str, float] = field(default_factory=dict)
    """Device → Unix time of the last snapshot that collected it."""
    audit: AuditView | None = None
    resilience: tuple[Resilience, ...] | None = None
    pki: PkiView | None = None
    plan: PlanEvaluation | None = None
    jobs: tuple[JobStats, ...] = ()
    crl_reissues: int = 0


StateSource = Callable[[], SiteState]
"""What collectors call at scrape time."""


class StateStore:
    """The current :class:`SiteState`, replaced atomically."""

    def __init__(self, initial: SiteState | None = None) -> None:
        self._lock = threading.Lock()
        self._state = initial or SiteState()

    def get(self) -> SiteState:
        """The current state (never changes after it is handed out)."""
        with self._lock:
            return self._state

    def update(self, **changes: Any) -> SiteState:
        """Replace some parts; returns the new state."""
        with self._lock:
            self._state = replace(self._state, **changes)
            return self._state

    def apply(self, change: Callable[[SiteState], SiteState]) -> SiteState:
        """Replace the state by ``change(current)`` under the lock (read-modify-write)."""
        with self._lock:
            self._state = change(self._state)
            return self._state
