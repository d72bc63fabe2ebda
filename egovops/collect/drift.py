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

from egovops.audit.registry import finding, finding_of, phrase
from egovops.collect.facts import DeviceFacts, LldpNeighbor
from egovops.collect.snapshot import Snapshot
from egovops.model.findings import AuditResult, Finding
from egovops.model.inventory import Device, Inventory, Isolation

CHECKS = ("drift.isolation-breach", "drift.undeclared-link", "drift.missing-link",
          "drift.unknown-device", "drift.interface-down", "drift.speed-mismatch",
          "drift.wrong-zone")

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
                lldp = {"neighbour": n.remote_system_name or repr(n.remote_chassis_id),
                        "port": f"{dev_id}:{n.local_interface}",
                        "system": repr(n.remote_system_name), "chassis": n.remote_chassis_id,
                        "remote_port": n.remote_port, "mgmt": ", ".join(n.remote_mgmt) or "-"}
                subject = f"{dev_id}:{n.local_interface}"
                origin = str(dev.origin or "")
                if breach:
                    yield finding(
                        "drift.isolation-breach", subject=subject, origin=origin,
                        zones=(local_zone,),
                        what=phrase("drift-unknown-on-isolated", neighbour=lldp["neighbour"],
                                    port=lldp["port"]),
                        why=phrase("drift-lldp", system=lldp["system"], chassis=lldp["chassis"],
                                   remote_port=lldp["remote_port"], mgmt=lldp["mgmt"]),
                        fix=phrase("drift-identify-isolated"))
                else:
                    yield finding_of("drift.unknown-device", lldp, subject=subject,
                                     origin=origin, zones=(local_zone,))
                continue
            there = (remote, n.remote_port)
            discovered.setdefault(_key(here, there), str(dev.origin or ""))
    for key, origin in sorted(discovered.items()):
        (da, ia), (db, ib) = key
        za = inv.device_by_id[da].interface_zone(ia)
        zb = inv.device_by_id[db].interface_zone(ib)
        subject = f"{da}:{ia}--{db}:{ib}"
        if za != zb and (_physical(inv, za) or _physical(inv, zb)):
            yield finding(
                "drift.isolation-breach", subject=subject, origin=origin, zones=(za, zb),
                what=phrase("drift-adjacency", zone=za if _physical(inv, za) else zb,
                            link=subject),
                why=phrase("drift-adjacency-why", end_a=f"{da}:{ia}", zone_a=za,
                           end_b=f"{db}:{ib}", zone_b=zb),
                fix=phrase("drift-disconnect"))
        if key not in declared:
            yield finding("drift.undeclared-link", subject=subject, origin=origin,
                          zones=sorted({za, zb}), link=subject)
    for key, origin in sorted(declared.items()):
        (da, ia), (db, ib) = key
        if key in discovered or not _lldp_capable(facts.get(da)) \
                or not _lldp_capable(facts.get(db)):
            continue
        subject = f"{da}:{ia}--{db}:{ib}"
        yield finding("drift.missing-link", subject=subject, origin=origin, link=subject)
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
            yield finding(
                "drift.interface-down", subject=subject, origin=origin, interface=subject,
                state=phrase("state-missing" if seen is None else "state-down"),
                reported=phrase("reported-not-at-all" if seen is None else "reported-down"))
        if iface.speed is not None and seen is not None and seen.speed_mbps is not None \
                and abs(seen.speed_mbps * 1_000_000 - iface.speed) > 1:
            yield finding("drift.speed-mismatch", subject=subject, origin=origin,
                          interface=subject, actual=f"{seen.speed_mbps:g}",
                          declared=iface.speed // 1_000_000)
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
            zones = sorted({zone, expected})
            interface = f"{dev.id}:{seen.name}"
            if breach:
                yield finding(
                    "drift.isolation-breach", subject=subject, origin=origin, zones=zones,
                    what=phrase("drift-address", interface=interface, address=text, zone=zone,
                                expected=expected),
                    why=phrase("drift-address-why", address=text, zone=zone),
                    fix=phrase("drift-renumber"))
            else:
                yield finding("drift.wrong-zone", subject=subject, origin=origin, zones=zones,
                              interface=interface, address=text, zone=zone, expected=expected)
