"""Collect-on-scrape Prometheus collectors over the state egovops already holds.

Each collector reads the current :class:`~egovops.metrics.state.SiteState` when Prometheus
scrapes (nothing is copied into client-library metric objects between scrapes) and yields the
families of :mod:`egovops.metrics.catalog`. :func:`build_registry` puts them into a *fresh*
``CollectorRegistry``; the client library's global registry is never used.
"""

from __future__ import annotations

import platform
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import CollectorRegistry

from egovops import __version__
from egovops.metrics import catalog as m
from egovops.metrics.catalog import MetricSpec
from egovops.metrics.plan import LEVEL_RANK
from egovops.metrics.state import SiteState, StateSource
from egovops.model.findings import Severity
from egovops.model.inventory import Inventory, Isolation
from egovops.topology.graph import link_zones

_ISOLATION_RANK = {Isolation.PHYSICAL: 2, Isolation.LOGICAL: 1, Isolation.NONE: 0}


def family(spec: MetricSpec) -> GaugeMetricFamily | CounterMetricFamily:
    """An empty family for ``spec``, with its labels."""
    if spec.kind == "counter":
        return CounterMetricFamily(spec.family, spec.help, labels=spec.labels)
    return GaugeMetricFamily(spec.family, spec.help, labels=spec.labels)


def _bytes(bits_per_second: float) -> float:
    return bits_per_second / 8


class _Base:
    """Shared describe(): the registry learns the names without a scrape."""

    specs: tuple[MetricSpec, ...] = ()

    def __init__(self, source: StateSource) -> None:
        self.source = source

    def describe(self) -> Iterator[Metric]:
        for spec in self.specs:
            yield family(spec)

    def collect(self) -> Iterator[Metric]:
        yield from self.families(self.source())

    def families(self, state: SiteState) -> Iterable[Metric]:  # pragma: no cover - abstract
        raise NotImplementedError


class BuildCollector(_Base):
    """``egovops_build_info``."""

    specs = (m.BUILD_INFO,)

    def families(self, state: SiteState) -> Iterable[Metric]:
        fam = family(m.BUILD_INFO)
        fam.add_metric([__version__, platform.python_version()], 1)
        return [fam]


def _tier(inv: Inventory, node: str | None) -> str:
    found = inv.node_by_id.get(node) if node else None
    return str(int(found.tier)) if found is not None else ""


class InventoryCollector(_Base):
    """Site, zones, nodes per tier, devices, links and circuits as declared."""

    specs = (m.SITE_INFO, m.ZONE_INFO, m.BACKBONE_NODES, m.DEVICE_INFO, m.LINK_INFO,
             m.LINK_SPEED, m.CIRCUIT_RATE)

    def families(self, state: SiteState) -> Iterable[Metric]:
        inv = state.inventory
        if inv is None:
            return []
        site = family(m.SITE_INFO)
        site.add_metric([inv.site.id, inv.site.name], 1)
        zones = family(m.ZONE_INFO)
        for z in inv.zones:
            zones.add_metric([z.id, z.kind.value, z.isolation.value, z.name], 1)
        tiers = family(m.BACKBONE_NODES)
        per_tier = {t: 0 for t in ("1", "2", "3")}
        for n in inv.nodes:
            per_tier[str(int(n.tier))] += 1
        for tier, count in per_tier.items():
            tiers.add_metric([tier], count)
        devices = family(m.DEVICE_INFO)
        for d in inv.devices:
            devices.add_metric([d.id, d.zone, d.role.value, d.platform, d.node or "",
                                _tier(inv, d.node), d.vendor, d.model], 1)
        info, speed = family(m.LINK_INFO), family(m.LINK_SPEED)
        for link, zone in zip(inv.links, link_zones(inv), strict=True):
            key = link.key
            info.add_metric([key, link.a.device, link.a.interface, link.b.device,
                             link.b.interface, link.media.value, zone or ""], 1)
            speed.add_metric([key, zone or ""], _bytes(link.bandwidth))
        rates = family(m.CIRCUIT_RATE)
        for c in inv.circuits:
            rates.add_metric([c.id, c.peer.value], _bytes(c.rate))
        return [site, zones, tiers, devices, info, speed, rates]


class SnapshotCollector(_Base):
    """Device, interface, link and circuit state from the latest snapshot; collection figures."""

    specs = (m.DEVICE_UP, m.DEVICE_LAST_SUCCESS, m.INTERFACE_UP, m.INTERFACE_SPEED, m.LINK_UP,
             m.CIRCUIT_UP, m.COLLECTION_DURATION, m.COLLECTION_TIME, m.COLLECTION_DEVICES,
             m.COLLECTION_ERRORS)

    def families(self, state: SiteState) -> Iterable[Metric]:
        out: list[Metric] = []
        last = family(m.DEVICE_LAST_SUCCESS)
        for device, when in sorted(state.last_success.items()):
            last.add_metric([device], when)
        snap = state.snapshot
        if snap is None:
            return [last]
        inv = state.inventory
        by_id = inv.device_by_id if inv is not None else {}
        up = family(m.DEVICE_UP)
        for device, status in snap.devices.items():
            dev = by_id.get(device)
            zone = dev.zone if dev is not None else ""
            tier = _tier(inv, dev.node) if inv is not None and dev is not None else ""
            up.add_metric([device, zone, tier], 1 if status.ok else 0)
        if_up, if_speed = family(m.INTERFACE_UP), family(m.INTERFACE_SPEED)
        if_up_add, if_speed_add = if_up.add_metric, if_speed.add_metric
        for device, facts in snap.facts.items():
            for iface in facts.interfaces:
                if iface.is_up is not None:
                    if_up_add([device, iface.name], 1 if iface.is_up else 0)
                if iface.speed_mbps is not None and iface.speed_mbps >= 0:
                    if_speed_add([device, iface.name], iface.speed_mbps * 125_000)
        out += [up, last, if_up, if_speed]
        if inv is not None:
            out += self._links_and_circuits(state, inv)
        duration, finished = family(m.COLLECTION_DURATION), family(m.COLLECTION_TIME)
        if snap.started is not None and snap.finished is not None:
            duration.add_metric([], max(0.0, snap.finished - snap.started))
        if snap.finished is not None:
            finished.add_metric([], snap.finished)
        results = family(m.COLLECTION_DEVICES)
        ok = sum(1 for s in snap.devices.values() if s.ok)
        results.add_metric(["ok"], ok)
        results.add_metric(["failed"], len(snap.devices) - ok)
        errors = family(m.COLLECTION_ERRORS)
        kinds: dict[str, int] = {}
        for s in snap.devices.values():
            if not s.ok:
                kinds[s.error_kind or "unknown"] = kinds.get(s.error_kind or "unknown", 0) + 1
        for kind, count in sorted(kinds.items()):
            errors.add_metric([kind], count)
        return [*out, duration, finished, results, errors]

    @staticmethod
    def _links_and_circuits(state: SiteState, inv: Inventory) -> list[Metric]:
        snap = state.snapshot
        assert snap is not None

        def end_up(device: str, interface: str) -> bool | None:
            status = snap.devices.get(device)
            if status is None:
                return None
            if not status.ok:
                return False
            facts = snap.facts.get(device)
            iface = facts.interface(interface) if facts is not None else None
            return iface.is_up if iface is not None else None

        links = family(m.LINK_UP)
        for link, zone in zip(inv.links, link_zones(inv), strict=True):
            ends = (end_up(link.a.device, link.a.interface),
                    end_up(link.b.device, link.b.interface))
            if False in ends:
                links.add_metric([link.key, zone or ""], 0)
            elif ends == (True, True):
                links.add_metric([link.key, zone or ""], 1)
        circuits = family(m.CIRCUIT_UP)
        for c in inv.circuits:
            state_up = end_up(c.endpoint.device, c.endpoint.interface)
            if state_up is not None:
                circuits.add_metric([c.id, c.peer.value, c.provider], 1 if state_up else 0)
        return [links, circuits]


class TopologyCollector(_Base):
    """Single points of failure of the backbone, per zone and kind."""

    specs = (m.SPOF,)

    def families(self, state: SiteState) -> Iterable[Metric]:
        if state.resilience is None:
            return []
        fam = family(m.SPOF)
        for r in state.resilience:
            fam.add_metric([r.zone, "device"], len(r.devices))
            fam.add_metric([r.zone, "link"], len(r.links))
        return [fam]


def isolation_pairs(inv: Inventory | None, zones: tuple[str, ...]) -> tuple[str, str]:
    """``(zone, peer)`` of an isolation finding: the zone with the strictest requirement, and
    the other side (``external`` when the finding names one zone)."""
    known = inv.zone_by_id if inv is not None else {}

    def rank(zone: str) -> int:
        found = known.get(zone)
        return _ISOLATION_RANK[found.isolation] if found is not None else -1

    ordered = sorted(dict.fromkeys(zones), key=lambda z: (-rank(z), z))
    if not ordered:
        return ("", "external")
    return (ordered[0], ordered[1] if len(ordered) > 1 else "external")


class AuditCollector(_Base):
    """Isolation violations by zone pair and findings by check and severity."""

    specs = (m.ISOLATION_VIOLATIONS, m.AUDIT_FINDINGS, m.AUDIT_LAST_RUN)

    def families(self, state: SiteState) -> Iterable[Metric]:
        audit = state.audit
        if audit is None:
            return []
        inv = state.inventory
        pairs: dict[tuple[str, str], int] = {}
        if inv is not None:  # every pair that could break, so alerts and panels see zeros
            for zone in inv.zones:
                if zone.isolation is not Isolation.NONE:
                    for other in inv.zones:
                        if other.id != zone.id:
                            pairs[(zone.id, other.id)] = 0
        findings: dict[tuple[str, str], int] = {
            (check, s.label): 0 for check in audit.result.checks for s in Severity}
        for f in audit.result.findings:
            key = (f.check, f.severity.label)
            findings[key] = findings.get(key, 0) + 1
            if f.check.startswith("isolation."):
                pair = isolation_pairs(inv, f.zones)
                pairs[pair] = pairs.get(pair, 0) + 1
        violations = family(m.ISOLATION_VIOLATIONS)
        for (zone_id, peer), count in sorted(pairs.items()):
            violations.add_metric([zone_id, peer], count)
        by_check = family(m.AUDIT_FINDINGS)
        for (check, severity), count in sorted(findings.items()):
            by_check.add_metric([check, severity], count)
        last = family(m.AUDIT_LAST_RUN)
        last.add_metric([], audit.finished)
        return [violations, by_check, last]


class PkiCollector(_Base):
    """Certificates by profile, unit and status; earliest expiry; the published CRL."""

    specs = (m.CERTIFICATES, m.CERT_NOT_AFTER, m.CRL_NEXT_UPDATE, m.CRL_THIS_UPDATE,
             m.CRL_NUMBER, m.CRL_REVOKED)

    def families(self, state: SiteState) -> Iterable[Metric]:
        pki = state.pki
        if pki is None:
            return []
        certs, not_after = family(m.CERTIFICATES), family(m.CERT_NOT_AFTER)
        for g in pki.certificates:
            certs.add_metric([g.profile, g.unit, g.status], g.count)
            if g.earliest_not_after is not None:
                not_after.add_metric([g.profile, g.unit], g.earliest_not_after)
        out: list[Metric] = [certs, not_after]
        if pki.crl is not None:
            for spec, value in ((m.CRL_NEXT_UPDATE, pki.crl.next_update),
                                (m.CRL_THIS_UPDATE, pki.crl.this_update),
                                (m.CRL_NUMBER, pki.crl.number),
                                (m.CRL_REVOKED, pki.crl.revoked)):
                fam = family(spec)
                fam.add_metric([], value)
                out.append(fam)
        return out


class PlanCollector(_Base):
    """The candidate emergency level and each condition egovops can evaluate."""

    specs = (m.EMERGENCY_LEVEL, m.EMERGENCY_CONDITION)

    def families(self, state: SiteState) -> Iterable[Metric]:
        plan = state.plan
        if plan is None:
            return []
        level = family(m.EMERGENCY_LEVEL)
        level.add_metric([], LEVEL_RANK[plan.level] if plan.level else 0)
        conditions = family(m.EMERGENCY_CONDITION)
        for c in plan.conditions:
            if c.active is not None:
                conditions.add_metric([c.condition, c.level, c.category], 1 if c.active else 0)
        return [level, conditions]


class JobCollector(_Base):
    """Daemon job counters and times."""

    specs = (m.JOB_RUNS, m.JOB_FAILURES, m.JOB_SKIPPED, m.JOB_DURATION, m.JOB_LAST_SUCCESS,
             m.JOB_RUNNING, m.CRL_REISSUES)

    def families(self, state: SiteState) -> Iterable[Metric]:
        runs, failures, skipped = family(m.JOB_RUNS), family(m.JOB_FAILURES), family(m.JOB_SKIPPED)
        duration, success = family(m.JOB_DURATION), family(m.JOB_LAST_SUCCESS)
        running = family(m.JOB_RUNNING)
        for job in state.jobs:
            runs.add_metric([job.name], job.runs)
            failures.add_metric([job.name], job.failures)
            skipped.add_metric([job.name], job.skipped)
            running.add_metric([job.name], 1 if job.running else 0)
            if job.last_duration is not None:
                duration.add_metric([job.name], job.last_duration)
            if job.last_success is not None:
                success.add_metric([job.name], job.last_success)
        reissues = family(m.CRL_REISSUES)
        reissues.add_metric([], state.crl_reissues)
        return [runs, failures, skipped, duration, success, running, reissues]


class DeviceCollector(_Base):
    """One device, for the multi-target ``/probe?target=<device>`` endpoint (in the style of
    snmp_exporter): its inventory entry, state in the latest snapshot and interfaces."""

    specs = (m.DEVICE_INFO, m.DEVICE_UP, m.DEVICE_LAST_SUCCESS, m.INTERFACE_UP,
             m.INTERFACE_SPEED)

    def __init__(self, source: StateSource, device: str) -> None:
        super().__init__(source)
        self.device = device

    def families(self, state: SiteState) -> Iterable[Metric]:
        inv, snap, name = state.inventory, state.snapshot, self.device
        dev = inv.device_by_id.get(name) if inv is not None else None
        info, up = family(m.DEVICE_INFO), family(m.DEVICE_UP)
        last = family(m.DEVICE_LAST_SUCCESS)
        if_up, if_speed = family(m.INTERFACE_UP), family(m.INTERFACE_SPEED)
        tier = _tier(inv, dev.node) if inv is not None and dev is not None else ""
        if dev is not None:
            info.add_metric([dev.id, dev.zone, dev.role.value, dev.platform, dev.node or "",
                             tier, dev.vendor, dev.model], 1)
        status = snap.devices.get(name) if snap is not None else None
        if status is not None:
            up.add_metric([name, dev.zone if dev else "", tier], 1 if status.ok else 0)
        if name in state.last_success:
            last.add_metric([name], state.last_success[name])
        facts = snap.facts.get(name) if snap is not None else None
        for iface in facts.interfaces if facts is not None else ():
            if iface.is_up is not None:
                if_up.add_metric([name, iface.name], 1 if iface.is_up else 0)
            if iface.speed_mbps is not None and iface.speed_mbps >= 0:
                if_speed.add_metric([name, iface.name], iface.speed_mbps * 125_000)
        return [info, up, last, if_up, if_speed]


def knows_device(state: SiteState, device: str) -> bool:
    """Whether ``device`` is in the inventory or the latest snapshot (a valid probe target)."""
    return ((state.inventory is not None and device in state.inventory.device_by_id)
            or (state.snapshot is not None and device in state.snapshot.devices))


def probe_registry(source: StateSource, device: str) -> CollectorRegistry:
    """A fresh registry for one ``/probe`` request."""
    registry = CollectorRegistry(auto_describe=True)
    registry.register(DeviceCollector(source, device))
    return registry


@dataclass(frozen=True)
class _Fixed:
    """A state source that always returns one state (dumps, tests, textfiles)."""

    state: SiteState

    def __call__(self) -> SiteState:
        return self.state


SITE_COLLECTORS = (BuildCollector, InventoryCollector, SnapshotCollector, TopologyCollector,
                   AuditCollector, PkiCollector, PlanCollector)
"""The collectors of ``egovops metrics dump`` and the daemon (which adds :class:`JobCollector`)."""


def build_registry(source: StateSource | SiteState, *, jobs: bool = False,
                   collectors: Iterable[type[_Base]] | None = None) -> CollectorRegistry:
    """A fresh registry holding egovops' collectors over ``source``."""
    read: StateSource = _Fixed(source) if isinstance(source, SiteState) else source
    registry = CollectorRegistry(auto_describe=True)
    chosen = list(collectors) if collectors is not None else list(SITE_COLLECTORS)
    if jobs and JobCollector not in chosen:
        chosen.append(JobCollector)
    for cls in chosen:
        registry.register(cls(read))
    return registry
