"""Active isolation probes, part 2: send the plan's probes and compare with the static proof.

Input: a :class:`~egovops.audit.probe.ProbePlan` and a :class:`ProbeSender` (the lab's network
namespaces, :mod:`egovops.audit.probe_lab`; or a vantage host reached over SSH,
:mod:`egovops.audit.probe_ssh`). Output: a :class:`ProbeRun`, one :class:`ProbeResult` per
probe, whose disagreements with the static expectation are :class:`Finding`\\ s (check
``probe.disagreement``) for the usual report formats.

What an observation means:

* ``reached``: the listener (lab) or the service (vantage) answered;
* ``reached-closed``: the target host itself said the port is closed (TCP reset, ICMP port
  unreachable) — only without a listener (vantage mode): the packet got there;
* ``refused``: a reset although a listener was up (lab): something on the way rejected it;
* ``unreachable``: an ICMP error came back (host unreachable, administratively prohibited);
* ``filtered``: no answer within the timeout (dropped);
* ``no-route``: the network is unreachable from the source;
* ``no-answer``: a UDP probe without a listener got no answer: open or filtered, undecided;
* ``error``: the probe could not be sent (reported, exit 3).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from egovops.audit.probe import Probe, ProbePlan
from egovops.audit.registry import finding, phrase
from egovops.errors import EgovopsError
from egovops.model.findings import AuditResult, Finding, Phrase, Severity

CHECK = "probe.disagreement"


class ProbeError(EgovopsError):
    """Raised when no probe can be sent: the lab is not up, not root, a tool is missing.

    The message says what to do (``egovops lab up PATH``, run as root, install the tool).
    """


class VantageError(EgovopsError):
    """Raised when the vantage host named with ``--from`` cannot be reached or used (SSH
    failed, no credentials, ``nc`` or ``ping`` missing there): nothing was probed."""


class Observed(StrEnum):
    """What one probe saw (see the module docstring)."""

    REACHED = "reached"
    CLOSED = "reached-closed"
    REFUSED = "refused"
    UNREACHABLE = "unreachable"
    FILTERED = "filtered"
    NO_ROUTE = "no-route"
    NO_ANSWER = "no-answer"
    ERROR = "error"

    @property
    def got_through(self) -> bool | None:
        """Whether the packet reached the target (``None``: cannot tell)."""
        if self in (Observed.REACHED, Observed.CLOSED):
            return True
        if self in (Observed.NO_ANSWER, Observed.ERROR):
            return None
        return False


@dataclass(frozen=True)
class Observation:
    """What a sender reports for one probe."""

    observed: Observed
    detail: str = ""
    seconds: float = 0.0


class Agreement(StrEnum):
    """Whether reality matches the static proof."""

    AGREE = "agree"
    DISAGREE = "disagree"
    UNDECIDED = "undecided"
    NOT_RUN = "not-run"


@dataclass(frozen=True)
class ProbeResult:
    """One probe, what the static proof expected and what was observed."""

    probe: Probe
    observation: Observation

    @property
    def agreement(self) -> Agreement:
        """``agree`` when the observation matches the expectation."""
        through = self.observation.observed.got_through
        if self.observation.observed is Observed.ERROR:
            return Agreement.NOT_RUN
        if through is None:
            return Agreement.UNDECIDED
        expected = self.probe.expected
        if (self.observation.observed is Observed.CLOSED and not expected.allowed
                and expected.decisions and expected.decisions[-1].rejects):
            return Agreement.UNDECIDED  # the firewall's reject looks like a closed port
        return Agreement.AGREE if through == self.probe.expected.allowed else Agreement.DISAGREE

    def finding(self) -> Finding | None:
        """The disagreement as a finding (``None`` when there is none)."""
        if self.agreement is not Agreement.DISAGREE:
            return None
        p, exp, obs = self.probe, self.probe.expected, self.observation
        zones = tuple(dict.fromkeys((p.source.zone, p.target.zone)))
        service = p.service.label
        fix: Phrase
        if not exp.allowed:
            severity = Severity.CRITICAL if p.isolated else Severity.HIGH
            what = phrase("probe-leak", source_zone=p.source.zone, target_zone=p.target.zone,
                          service=service, device=p.target.device)
            origin = exp.origin or "-"
            if p.isolated:
                fix = phrase("probe-fix-isolated", zones=", ".join(p.isolated))
            elif exp.firewalls:
                fix = phrase("probe-fix-leak", walls=", ".join(exp.firewalls), origin=origin)
            else:
                fix = phrase("probe-fix-leak-path", origin=origin)
        else:
            severity = Severity.MEDIUM
            what = phrase("probe-overblock", source_zone=p.source.zone,
                          target_zone=p.target.zone, service=service)
            fix = phrase("probe-fix-overblock", device=p.target.device)
        return finding(
            CHECK, subject=f"{p.key}", origin=exp.origin, zones=zones, severity=severity,
            what=what, fix=fix, source=str(p.source), source_zone=p.source.zone,
            target=str(p.target), target_zone=p.target.zone, service=service,
            observed=obs.observed.value,
            detail=phrase("probe-detail", detail=obs.detail) if obs.detail else "",
            verdict=exp.verdict, reason=exp.reason,
            path=" > ".join(exp.path) if exp.path else phrase("no-route"),
        )


@dataclass(frozen=True)
class ProbeRun:
    """Every probe of a plan with its result."""

    plan: ProbePlan
    results: tuple[ProbeResult, ...]
    mode: str
    """``lab`` or ``ssh:<device>``."""
    seconds: float

    def findings(self) -> list[Finding]:
        """The disagreements, worst first."""
        found = [f for r in self.results if (f := r.finding()) is not None]
        return sorted(found, key=lambda f: (-f.severity, f.subject))

    def counts(self) -> dict[str, int]:
        """Number of results per agreement value (every value present)."""
        counts = {a.value: 0 for a in Agreement}
        for r in self.results:
            counts[r.agreement.value] += 1
        return counts

    @property
    def not_run(self) -> tuple[ProbeResult, ...]:
        """Probes that could not be sent."""
        return tuple(r for r in self.results if r.agreement is Agreement.NOT_RUN)

    def audit_result(self) -> AuditResult:
        """The disagreements as an audit result (for the report formats and ``--fail-on``)."""
        return AuditResult(findings=tuple(self.findings()), checks=(CHECK,))


class ProbeSender(Protocol):
    """Sends probes and reports what each saw."""

    @property
    def mode(self) -> str:
        """``lab`` or ``ssh:<device>``: where the probes start."""
        ...

    def send(self, probes: Sequence[Probe], timeout: float) -> list[Observation]:
        """One observation per probe, in order. A probe that cannot be sent is an
        ``error`` observation; raise :class:`ProbeError` or :class:`VantageError` only when
        none can."""
        ...


def run_probes(plan: ProbePlan, sender: ProbeSender, timeout: float = 1.5) -> ProbeRun:
    """Send every probe of ``plan`` through ``sender`` and compare with the static proof."""
    if not 0.2 <= timeout <= 30:
        raise ProbeError(f"probe timeout {timeout:g} s: choose 0.2 to 30 seconds")
    start = time.monotonic()
    observations = sender.send(plan.probes, timeout) if plan.probes else []
    if len(observations) != len(plan.probes):
        raise ProbeError(f"{sender.mode}: {len(observations)} results for "
                         f"{len(plan.probes)} probes")
    results = tuple(ProbeResult(p, o) for p, o in zip(plan.probes, observations, strict=True))
    return ProbeRun(plan, results, sender.mode, time.monotonic() - start)
