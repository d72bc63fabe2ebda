"""Plan signals, two ways: as PromQL over egovops' metrics (for the generated alert rules and
their promtool tests) and evaluated directly on a :class:`~egovops.metrics.state.SiteState`
(for ``egovops plan status`` and ``egovops_emergency_level``).

Each signal kind has one :class:`SignalRule` in :data:`SIGNAL_RULES`; metric names come from
:mod:`egovops.metrics.catalog` only. Probe signals read blackbox_exporter's ``probe_success``,
which egovops does not hold: egovops reports them as unknown and leaves them to Prometheus.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from egovops.metrics import catalog as m
from egovops.metrics.collectors import isolation_pairs
from egovops.metrics.plan import (
    CertExpiringSignal,
    CircuitDownSignal,
    Condition,
    CrlExpiringSignal,
    DeviceDownSignal,
    FindingSignal,
    IsolationSignal,
    Plan,
    ProbeFailedSignal,
    ProbeSucceedsSignal,
    Signal,
    duration_seconds,
)
from egovops.metrics.state import ConditionStatus, PlanEvaluation, SiteState

PROBE_SUCCESS = "probe_success"
"""blackbox_exporter's metric (not egovops')."""


def _q(value: str) -> str:
    """A PromQL string literal."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _selector(name: str, **labels: str) -> str:
    inner = ",".join(f"{k}={_q(v)}" for k, v in labels.items())
    return f"{name}{{{inner}}}" if inner else name


@dataclass(frozen=True)
class Example:
    """Input series for promtool tests: one set that fires (with the labels the alert gets)
    and one that stays quiet."""

    firing: tuple[tuple[str, str], ...]
    """``(series, values)`` in promtool notation."""
    quiet: tuple[tuple[str, str], ...]
    labels: dict[str, str]


Verdict = tuple[bool | None, str]
"""``(active, reason)``; ``active`` is ``None`` when egovops cannot tell."""


@dataclass(frozen=True)
class SignalRule:
    """How one signal kind becomes PromQL, a test example, and a local verdict."""

    expr: Callable[[Signal], str]
    example: Callable[[Signal, int], Example]
    """Called with the signal and the minutes the test series must last."""
    evaluate: Callable[[Signal, SiteState, float, int], Verdict]
    """Called with the signal, the state, now (Unix time) and the hold time in seconds."""


def _series(name: str, labels: dict[str, str], value: float, minutes: int) -> tuple[str, str]:
    text = _selector(name, **labels)
    return (text, f"{value:g}x{minutes}")


# ---- isolation ---------------------------------------------------------------------------

def _isolation_expr(s: Signal) -> str:
    assert isinstance(s, IsolationSignal)
    sel = _selector(m.ISOLATION_VIOLATIONS.name, zone=s.zone)
    return f"sum by (zone, peer) ({sel}) > 0"


def _isolation_example(s: Signal, minutes: int) -> Example:
    assert isinstance(s, IsolationSignal)
    labels = {"zone": s.zone, "peer": "external"}
    return Example((_series(m.ISOLATION_VIOLATIONS.name, labels, 1, minutes),),
                   (_series(m.ISOLATION_VIOLATIONS.name, labels, 0, minutes),), labels)


def _isolation_eval(s: Signal, state: SiteState, now: float, hold: int) -> Verdict:
    assert isinstance(s, IsolationSignal)
    if state.audit is None:
        return None, "no audit result yet"
    hits = [f for f in state.audit.result.findings if f.check.startswith("isolation.")
            and isolation_pairs(state.inventory, f.zones)[0] == s.zone]
    if not hits:
        return False, f"no isolation finding for zone {s.zone}"
    return True, f"{len(hits)} isolation finding(s) for {s.zone}: " + "; ".join(
        f"{f.title} [{f.origin or f.subject}]" for f in hits[:3])


# ---- device down ---------------------------------------------------------------------------

def _device_labels(s: DeviceDownSignal) -> dict[str, str]:
    labels: dict[str, str] = {}
    if s.device is not None:
        labels["device"] = s.device
    if s.zone is not None:
        labels["zone"] = s.zone
    if s.tier is not None:
        labels["tier"] = str(s.tier)
    return labels


def _device_expr(s: Signal) -> str:
    assert isinstance(s, DeviceDownSignal)
    sel = _selector(m.DEVICE_UP.name, **_device_labels(s))
    expr = f"max by (device, zone, tier) ({sel}) == 0"
    if s.role is not None:
        info = _selector(m.DEVICE_INFO.name, role=s.role.value)
        expr = f"({expr}) and on (device) {info}"
    return expr


def _device_example(s: Signal, minutes: int) -> Example:
    assert isinstance(s, DeviceDownSignal)
    labels = {"device": s.device or "example-device", "zone": s.zone or "outer",
              "tier": str(s.tier) if s.tier is not None else "1"}
    extra: tuple[tuple[str, str], ...] = ()
    if s.role is not None:
        extra = (_series(m.DEVICE_INFO.name, {"device": labels["device"],
                                              "role": s.role.value}, 1, minutes),)
    return Example((_series(m.DEVICE_UP.name, labels, 0, minutes), *extra),
                   (_series(m.DEVICE_UP.name, labels, 1, minutes), *extra), labels)


def _device_eval(s: Signal, state: SiteState, now: float, hold: int) -> Verdict:
    assert isinstance(s, DeviceDownSignal)
    inv, snap = state.inventory, state.snapshot
    if inv is None or snap is None:
        return None, "no snapshot yet"
    down: list[str] = []
    watched = 0
    for d in inv.devices:
        node = inv.node_by_id.get(d.node) if d.node else None
        if ((s.device is not None and d.id != s.device) or (s.zone is not None and d.zone != s.zone)
                or (s.role is not None and d.role is not s.role)
                or (s.tier is not None and (node is None or int(node.tier) != s.tier))):
            continue
        status = snap.devices.get(d.id)
        if status is None:
            continue
        watched += 1
        if status.ok:
            continue
        since = state.last_success.get(d.id)
        if since is None:
            down.append(f"{d.id} (never collected)")
        elif now - since >= hold:
            down.append(f"{d.id} (down {int((now - since) // 60)} min)")
    if not watched:
        return None, "no matching device in the latest snapshot"
    if not down:
        return False, f"{watched} matching device(s) up or down for less than {hold // 60} min"
    return True, "down: " + ", ".join(down[:5]) + (f" and {len(down) - 5} more"
                                                    if len(down) > 5 else "")


# ---- circuit down --------------------------------------------------------------------------

def _circuit_expr(s: Signal) -> str:
    assert isinstance(s, CircuitDownSignal)
    sel = _selector(m.CIRCUIT_UP.name, peer=s.peer.value)
    return f"max by (circuit, peer) ({sel}) == 0"


def _circuit_example(s: Signal, minutes: int) -> Example:
    assert isinstance(s, CircuitDownSignal)
    labels = {"circuit": "example-circuit", "peer": s.peer.value}
    return Example((_series(m.CIRCUIT_UP.name, labels, 0, minutes),),
                   (_series(m.CIRCUIT_UP.name, labels, 1, minutes),), labels)


def _circuit_eval(s: Signal, state: SiteState, now: float, hold: int) -> Verdict:
    assert isinstance(s, CircuitDownSignal)
    inv, snap = state.inventory, state.snapshot
    if inv is None or snap is None:
        return None, "no snapshot yet"
    down: list[str] = []
    known = 0
    for c in inv.circuits:
        if c.peer is not s.peer:
            continue
        status = snap.devices.get(c.endpoint.device)
        if status is None:
            continue
        known += 1
        if not status.ok:
            since = state.last_success.get(c.endpoint.device)
            if since is None or now - since >= hold:
                down.append(f"{c.id} ({c.endpoint.device} not reachable)")
            continue
        facts = snap.facts.get(c.endpoint.device)
        iface = facts.interface(c.endpoint.interface) if facts is not None else None
        if iface is not None and iface.is_up is False:
            down.append(f"{c.id} ({c.endpoint} down in the latest snapshot)")
    if not known:
        return None, f"no {s.peer.value} circuit in the latest snapshot"
    if not down:
        return False, f"{s.peer.value} circuit(s) up"
    return True, "down: " + ", ".join(down)


# ---- findings ------------------------------------------------------------------------------

def _finding_expr(s: Signal) -> str:
    assert isinstance(s, FindingSignal)
    sel = (f'{m.AUDIT_FINDINGS.name}{{check={_q(s.check)},'
           f'severity=~{_q("|".join(s.severities()))}}}')
    return f"sum by (check) ({sel}) > 0"


def _finding_example(s: Signal, minutes: int) -> Example:
    assert isinstance(s, FindingSignal)
    labels = {"check": s.check, "severity": s.severities()[-1]}
    return Example((_series(m.AUDIT_FINDINGS.name, labels, 1, minutes),),
                   (_series(m.AUDIT_FINDINGS.name, labels, 0, minutes),), {"check": s.check})


def _finding_eval(s: Signal, state: SiteState, now: float, hold: int) -> Verdict:
    assert isinstance(s, FindingSignal)
    if state.audit is None:
        return None, "no audit result yet"
    if s.check not in state.audit.result.checks:
        return None, f"check {s.check} did not run"
    wanted = set(s.severities())
    hits = [f for f in state.audit.result.findings
            if f.check == s.check and f.severity.label in wanted]
    if not hits:
        return False, f"no {s.check} finding at or above {s.min_severity}"
    return True, f"{len(hits)} {s.check} finding(s): " + "; ".join(f.title for f in hits[:3])


# ---- certificates and CRL --------------------------------------------------------------------

def _cert_expr(s: Signal) -> str:
    assert isinstance(s, CertExpiringSignal)
    sel = _selector(m.CERT_NOT_AFTER.name, profile=s.profile)
    return f"min by (profile, unit) ({sel}) - time() < {duration_seconds(s.within)}"


def _cert_example(s: Signal, minutes: int) -> Example:
    assert isinstance(s, CertExpiringSignal)
    within = duration_seconds(s.within)
    labels = {"profile": s.profile, "unit": "example-unit"}
    return Example((_series(m.CERT_NOT_AFTER.name, labels, within // 2 + 1, minutes),),
                   (_series(m.CERT_NOT_AFTER.name, labels, 10 * within + 120 * minutes,
                            minutes),), labels)


def _cert_eval(s: Signal, state: SiteState, now: float, hold: int) -> Verdict:
    assert isinstance(s, CertExpiringSignal)
    if state.pki is None:
        return None, "no PKI configured"
    within = duration_seconds(s.within)
    soon = [g for g in state.pki.certificates if g.profile == s.profile
            and g.earliest_not_after is not None and g.earliest_not_after - now < within]
    if not soon:
        return False, f"no {s.profile} certificate expires within {s.within}"
    return True, "; ".join(f"{g.profile}/{g.unit or '-'} expires in "
                           f"{(g.earliest_not_after or now) - now:.0f} s" for g in soon[:3])


def _crl_expr(s: Signal) -> str:
    assert isinstance(s, CrlExpiringSignal)
    return f"min({m.CRL_NEXT_UPDATE.name}) - time() < {duration_seconds(s.within)}"


def _crl_example(s: Signal, minutes: int) -> Example:
    assert isinstance(s, CrlExpiringSignal)
    within = duration_seconds(s.within)
    return Example(((m.CRL_NEXT_UPDATE.name, f"{within // 2 + 1}x{minutes}"),),
                   ((m.CRL_NEXT_UPDATE.name, f"{10 * within + 120 * minutes}x{minutes}"),), {})


def _crl_eval(s: Signal, state: SiteState, now: float, hold: int) -> Verdict:
    assert isinstance(s, CrlExpiringSignal)
    if state.pki is None:
        return None, "no PKI configured"
    if state.pki.crl is None:
        return True, "no CRL has been published"
    left = state.pki.crl.next_update - now
    if left < duration_seconds(s.within):
        return True, f"CRL #{state.pki.crl.number} nextUpdate in {left / 3600:.1f} h"
    return False, f"CRL #{state.pki.crl.number} valid for {left / 3600:.1f} h"


# ---- probes (blackbox_exporter) --------------------------------------------------------------

def _probe_expr(want: int) -> Callable[[Signal], str]:
    def expr(s: Signal) -> str:
        assert isinstance(s, ProbeFailedSignal | ProbeSucceedsSignal)
        return f"max by (instance) ({_selector(PROBE_SUCCESS, job=s.job)}) == {want}"
    return expr


def _probe_example(want: int) -> Callable[[Signal, int], Example]:
    def example(s: Signal, minutes: int) -> Example:
        assert isinstance(s, ProbeFailedSignal | ProbeSucceedsSignal)
        labels = {"job": s.job, "instance": "https://example.gov.cn/"}
        return Example((_series(PROBE_SUCCESS, labels, want, minutes),),
                       (_series(PROBE_SUCCESS, labels, 1 - want, minutes),),
                       {"instance": labels["instance"]})
    return example


def _probe_eval(s: Signal, state: SiteState, now: float, hold: int) -> Verdict:
    return None, "evaluated by Prometheus (blackbox_exporter probe)"


SIGNAL_RULES: dict[type, SignalRule] = {
    IsolationSignal: SignalRule(_isolation_expr, _isolation_example, _isolation_eval),
    DeviceDownSignal: SignalRule(_device_expr, _device_example, _device_eval),
    CircuitDownSignal: SignalRule(_circuit_expr, _circuit_example, _circuit_eval),
    FindingSignal: SignalRule(_finding_expr, _finding_example, _finding_eval),
    CertExpiringSignal: SignalRule(_cert_expr, _cert_example, _cert_eval),
    CrlExpiringSignal: SignalRule(_crl_expr, _crl_example, _crl_eval),
    ProbeFailedSignal: SignalRule(_probe_expr(0), _probe_example(0), _probe_eval),
    ProbeSucceedsSignal: SignalRule(_probe_expr(1), _probe_example(1), _probe_eval),
}
"""Signal model class → its rule (an explicit table)."""


def rule_for(condition: Condition) -> SignalRule:
    """The rule of a condition's signal."""
    return SIGNAL_RULES[type(condition.signal)]


def evaluate_plan(plan: Plan, state: SiteState, now: float) -> PlanEvaluation:
    """Every condition's verdict and the candidate level (the most severe active one)."""
    statuses: list[ConditionStatus] = []
    best: str | None = None
    for cond in plan.conditions:
        hold = duration_seconds(cond.for_)
        active, reason = rule_for(cond).evaluate(cond.signal, state, now, hold)
        statuses.append(ConditionStatus(cond.id, cond.level, cond.category, active, reason))
        if active and (best is None or plan.level(cond.level).rank > plan.level(best).rank):
            best = cond.level
    return PlanEvaluation(level=best, conditions=tuple(statuses))
