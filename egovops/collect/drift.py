"""Drift: the declared topology (inventory) against the discovered one (a snapshot).

Reads only typed inputs (an :class:`Inventory` and a :class:`Snapshot`) and returns an
:class:`AuditResult`, so every reporter renders it. Findings:

* ``drift.isolation-breach`` (critical): a discovered adjacency, or an address, that joins a
  physically isolated zone (政务内网) to any other zone, or an unknown neighbour on it;
* ``drift.undeclared-link`` (high): LLDP sees a link the inventory does not declare;
* ``drift.missing-link`` (high): a declared link between two collected devices that LLDP does
  not see;
* ``drift.unknown-device`` (high): an LLDP neighbour that is no device of the inventory;
* ``drift.interface-down`` (medium): a declared, enabled, linked interface that is down;
* ``drift.speed-mismatch`` (low): an interface running at another speed than declared;
* ``drift.wrong-zone`` (high): an interface address in a prefix of another zone.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

from egovops.collect.facts import DeviceFacts, LldpNeighbor
from egovops.collect.snapshot import Snapshot
from egovops.model.findings import AuditResult, Finding, Severity
from egovops.model.inventory import Device, Inventory, Isolation

CHECKS = ("drift.isolation-breach", "drift.undeclared-link", "drift.missing-link",
          "drift.unknown-device", "drift.interface-down", "drift.speed-mismatch",
          "drift.wrong-zone")
MLPS_BOUNDARY = "8.1.3.1 边界防护"

End = tuple[str, str]


def _key(a: End, b: End) -> tuple[End, End]:
    return (a, b) if a <= b else (b, a)


class _Resolver:
    """Maps what LLDP says about a neighbour to a device id of the inventory."""

    def __init__(self, inv: Inventory) -> None:
        self.by_name: dict[str, str] = {}
        self.by_mgmt: dict[str, str] = {}
        for dev in inv.devices:
            self.by_name[dev.id.lower()] = dev.id
            if dev.name:
                self.by_name.setdefault(dev.name.lower(), dev.id)
            if dev.mgmt is not None:
                self.by_mgmt[str(dev.mgmt)] = dev.id

    def device(self, n: LldpNeighbor) -> str | None:
        name = n.remote_system_name.lower()
        found = self.by_name.get(name) or self.by_name.get(name.split(".")[0])
        if found is None:
            found = next((self.by_mgmt[m] for m in n.remote_mgmt if m in self.by_mgmt), None)
        return found


def detect_drift(inv: Inventory, snap: Snapshot) -> AuditResult:
    """Every drift between ``inv`` and ``snap``, worst first."""
    findings = list(_findings(inv, snap))
    findings.sort(key=lambda f: (-f.severity, f.check, f.subject))
    return AuditResult(findings=tuple(findings), checks=CHECKS)


def _physical(inv: Inventory, zone: str) -> bool:
    z = inv.zone_by_id.get(zone)
    return z is not None and z.isolation is Isolation.PHYSICAL


def _findings(inv: Inventory, snap: Snapshot) -> Iterator[Finding]:
    resolver = _Resolver(inv)
    facts = {d: f for d, f in snap.facts.items() if d in inv.device_by_id}
    declared: dict[tuple[End, End], str] = {}
    for link in inv.links:
        declared[_key((link.a.device, link.a.interface),
                      (link.b.device, link.b.interface))] = (link.origin and str(link.origin)) or ""
    discovered: dict[tuple[End, End], str] = {}
    for dev_id, f in facts.items():
        dev = inv.device_by_id[dev_id]
        for n in f.lldp:
            remote = resolver.device(n)
            here = (dev_id, n.local_interface)
            local_zone = dev.interface_zone(n.local_interface)
            if remote is None:
                breach = _physical(inv, local_zone)
                yield Finding(
                    check="drift.isolation-breach" if breach else "drift.unknown-device",
                    severity=Severity.CRITICAL if breach else Severity.HIGH,
                    title=f"unknown device {n.remote_system_name or n.remote_chassis_id!r} "
                          f"on {dev_id}:{n.local_interface}",
                    subject=f"{dev_id}:{n.local_interface}",
                    evidence=f"LLDP: system {n.remote_system_name!r}, chassis "
                             f"{n.remote_chassis_id}, port {n.remote_port}, management "
                             f"{', '.join(n.remote_mgmt) or '-'}",
                    remediation="identify the device; declare it in the inventory or remove it"
                                + (" — nothing may attach to the inner network undeclared"
                                   if breach else ""),
                    origin=str(dev.origin or ""), mlps=MLPS_BOUNDARY, zones=(local_zone,))
                continue
            there = (remote, n.remote_port)
            discovered.setdefault(_key(here, there), str(dev.origin or ""))
    for key, origin in sorted(discovered.items()):
        (da, ia), (db, ib) = key
        za = inv.device_by_id[da].interface_zone(ia)
        zb = inv.device_by_id[db].interface_zone(ib)
        subject = f"{da}:{ia}--{db}:{ib}"
        if za != zb and (_physical(inv, za) or _physical(inv, zb)):
            yield Finding(
                check="drift.isolation-breach", severity=Severity.CRITICAL,
                title=f"adjacency crosses the {za if _physical(inv, za) else zb} boundary: "
                      f"{subject}",
                subject=subject,
                evidence=f"LLDP sees {da}:{ia} ({za}) next to {db}:{ib} ({zb})",
                remediation="disconnect the link at once and report it (物理隔离 breached)",
                origin=origin, mlps=MLPS_BOUNDARY, zones=(za, zb))
        if key not in declared:
            yield Finding(
                check="drift.undeclared-link", severity=Severity.HIGH,
                title=f"undeclared link {subject}",
                subject=subject, evidence="seen by LLDP, not in the inventory's links",
                remediation="declare the link in the inventory, or remove it",
                origin=origin, zones=tuple(sorted({za, zb})))
    for key, origin in sorted(declared.items()):
        (da, ia), (db, ib) = key
        if key in discovered or not _lldp_capable(facts.get(da)) \
                or not _lldp_capable(facts.get(db)):
            continue
        subject = f"{da}:{ia}--{db}:{ib}"
        yield Finding(
            check="drift.missing-link", severity=Severity.HIGH,
            title=f"declared link not seen: {subject}", subject=subject,
            evidence="both devices were collected and run LLDP; neither reports the other "
                     "on these interfaces",
            remediation="check the cable and both ports, or correct the inventory",
            origin=origin)
    linked = {end for key in declared for end in key}
    for dev_id, f in sorted(facts.items()):
        yield from _interface_findings(inv, inv.device_by_id[dev_id], f, linked)


def _lldp_capable(f: DeviceFacts | None) -> bool:
    return f is not None and not any(w.startswith("lldpcli") or "lldp" in w.split(":")[0]
                                     for w in f.warnings)


def _interface_findings(inv: Inventory, dev: Device, f: DeviceFacts,
                        linked: set[End]) -> Iterator[Finding]:
    origin = str(dev.origin or "")
    for iface in dev.interfaces:
        seen = f.interface(iface.name)
        subject = f"{dev.id}:{iface.name}"
        if iface.enabled and (dev.id, iface.name) in linked and (seen is None or not seen.is_up):
            yield Finding(
                check="drift.interface-down", severity=Severity.MEDIUM,
                title=f"interface {subject} is {'missing' if seen is None else 'down'}",
                subject=subject,
                evidence="declared enabled and linked; the device reports it "
                         + ("not at all" if seen is None else "down"),
                remediation="bring the interface up or mark it enabled: false",
                origin=origin)
        if iface.speed is not None and seen is not None and seen.speed_mbps is not None \
                and abs(seen.speed_mbps * 1_000_000 - iface.speed) > 1:
            yield Finding(
                check="drift.speed-mismatch", severity=Severity.LOW,
                title=f"{subject} runs at {seen.speed_mbps:g} Mb/s",
                subject=subject,
                evidence=f"declared {iface.speed // 1_000_000} Mb/s, reported "
                         f"{seen.speed_mbps:g} Mb/s",
                remediation="fix the port speed/duplex or the declared speed", origin=origin)
    mgmt = str(dev.mgmt) if dev.mgmt is not None else None
    for seen in f.interfaces:
        expected = dev.interface_zone(seen.name)
        for text in seen.addresses:
            ip = ipaddress.ip_interface(text).ip
            if ip.is_loopback or ip.is_link_local or str(ip) == mgmt:
                continue
            zone = inv.zone_of_address(ip)
            if zone is None or zone == expected:
                continue
            breach = _physical(inv, zone) or _physical(inv, expected)
            subject = f"{dev.id}:{seen.name}:{ip}"
            yield Finding(
                check="drift.isolation-breach" if breach else "drift.wrong-zone",
                severity=Severity.CRITICAL if breach else Severity.HIGH,
                title=f"{dev.id}:{seen.name} has {text} of zone {zone}, expected {expected}",
                subject=subject,
                evidence=f"address {text} lies in a prefix of zone {zone}",
                remediation="renumber the interface or correct its zone in the inventory",
                origin=origin, zones=tuple(sorted({zone, expected})))
