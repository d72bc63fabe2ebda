"""Isolation checks that the inventory alone can prove.

Physical isolation (物理隔离) of every zone whose isolation is ``physical`` (the inner network):
no link, shared device, circuit, or wireless interface joins it to any other zone; a declared
one-way data diode (单向导入) is the only exception. Logical isolation (逻辑隔离) of the outer
network: every path from an outer-zone device to the internet crosses one of the zone's
declared gateways. Whether those gateways' rulesets are default-deny needs their parsed
configuration and is checked by the firewall audit.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import networkx as nx

from egovops.audit.base import AuditContext, Check
from egovops.model.findings import Finding, Severity
from egovops.model.inventory import (
    WIRELESS_MEDIA,
    CircuitPeer,
    Device,
    DeviceRole,
    InterfaceKind,
    Inventory,
    Isolation,
    ZoneKind,
)
from egovops.topology.graph import build_graph

MLPS_BOUNDARY = "GB/T 22239-2019 8.1.3.1 a) 边界防护：跨越边界的访问和数据流通过受控接口"
MLPS_WIRELESS = "GB/T 22239-2019 8.1.3.1 d) 边界防护：限制无线网络的使用"
MLPS_OUTREACH = "GB/T 22239-2019 8.1.3.1 c) 边界防护：限制内部用户非授权联到外部网络"


def _physical_zones(inv: Inventory) -> set[str]:
    return {z.id for z in inv.zones if z.isolation is Isolation.PHYSICAL}


def _diode_allows(device: Device, zones: set[str]) -> bool:
    """Whether ``device`` is a declared data diode whose transfer spans exactly ``zones``."""
    return (
        device.role is DeviceRole.DATA_DIODE
        and device.transfer is not None
        and {device.transfer.source, device.transfer.target} >= zones
    )


def _origin(obj: object) -> str:
    origin = getattr(obj, "origin", None)
    return str(origin) if origin is not None else ""


@dataclass(frozen=True)
class PhysicalLinkCheck:
    """No link joins a physically isolated zone to another zone."""

    name: str = "isolation.physical-link"
    title: str = "no link crosses the boundary of a physically isolated zone"

    def run(self, ctx: AuditContext) -> Iterator[Finding]:
        inv = ctx.inventory
        physical = _physical_zones(inv)
        for link in inv.links:
            dev_a = inv.device_by_id[link.a.device]
            dev_b = inv.device_by_id[link.b.device]
            zone_a = dev_a.interface_zone(link.a.interface)
            zone_b = dev_b.interface_zone(link.b.interface)
            if zone_a == zone_b or not ({zone_a, zone_b} & physical):
                continue
            if _diode_allows(dev_a, {zone_a, zone_b}) or _diode_allows(dev_b, {zone_a, zone_b}):
                continue
            yield Finding(
                check=self.name, severity=Severity.CRITICAL,
                title=f"link joins {zone_a} and {zone_b}",
                subject=link.key, origin=_origin(link),
                evidence=f"{link.a} is in zone {zone_a}, {link.b} is in zone {zone_b}; "
                f"{', '.join(sorted({zone_a, zone_b} & physical))} requires physical isolation",
                remediation="remove the link, or replace it with a declared one-way data diode "
                "(role data-diode with transfer source/target)",
                mlps=MLPS_BOUNDARY, zones=(zone_a, zone_b),
            )


@dataclass(frozen=True)
class SharedDeviceCheck:
    """No device has interfaces (or its home) in a physically isolated zone and another zone."""

    name: str = "isolation.shared-device"
    title: str = "no device is shared between a physically isolated zone and another zone"

    def run(self, ctx: AuditContext) -> Iterator[Finding]:
        inv = ctx.inventory
        physical = _physical_zones(inv)
        for device in inv.devices:
            zones = {device.zone} | {i.zone for i in device.interfaces if i.zone}
            if len(zones) < 2 or not zones & physical or _diode_allows(device, zones):
                continue
            yield Finding(
                check=self.name, severity=Severity.CRITICAL,
                title=f"device {device.id} spans {', '.join(sorted(zones))}",
                subject=device.id, origin=_origin(device),
                evidence="interfaces in zones "
                + ", ".join(f"{i.name}={i.zone or device.zone}" for i in device.interfaces),
                remediation="use separate devices for the isolated zone; only a declared data "
                "diode may touch both sides",
                mlps=MLPS_BOUNDARY, zones=tuple(sorted(zones)),
            )


@dataclass(frozen=True)
class CircuitCheck:
    """No circuit from a physically isolated zone goes to an ISP (the internet)."""

    name: str = "isolation.circuit"
    title: str = "no circuit connects a physically isolated zone to an ISP"

    def run(self, ctx: AuditContext) -> Iterator[Finding]:
        inv = ctx.inventory
        physical = _physical_zones(inv)
        for circuit in inv.circuits:
            device = inv.device_by_id[circuit.endpoint.device]
            zone = device.interface_zone(circuit.endpoint.interface)
            if zone not in physical or circuit.peer is not CircuitPeer.ISP:
                continue
            yield Finding(
                check=self.name, severity=Severity.CRITICAL,
                title=f"circuit {circuit.id} connects {zone} to an ISP",
                subject=circuit.id, origin=_origin(circuit),
                evidence=f"{circuit.provider} circuit {circuit.circuit_id} ends on "
                f"{circuit.endpoint} in zone {zone}",
                remediation="cancel the circuit or move it to the outer network's border router",
                mlps=MLPS_OUTREACH, zones=(zone,),
            )


@dataclass(frozen=True)
class WirelessCheck:
    """No wireless or cellular interface or link in a physically isolated zone."""

    name: str = "isolation.wireless"
    title: str = "no wireless path in a physically isolated zone"

    def run(self, ctx: AuditContext) -> Iterator[Finding]:
        inv = ctx.inventory
        physical = _physical_zones(inv)
        wireless = {InterfaceKind.WIRELESS, InterfaceKind.CELLULAR}
        for device in inv.devices:
            for iface in device.interfaces:
                zone = iface.zone or device.zone
                if zone in physical and iface.kind in wireless:
                    yield Finding(
                        check=self.name, severity=Severity.CRITICAL,
                        title=f"{iface.kind.value} interface in {zone}",
                        subject=f"{device.id}:{iface.name}", origin=_origin(device),
                        evidence=f"{device.id} interface {iface.name} is {iface.kind.value}"
                        f"{' and enabled' if iface.enabled else ' (declared disabled)'}",
                        remediation="remove the wireless module or disable it in hardware",
                        mlps=MLPS_WIRELESS, zones=(zone,),
                    )
        for link in inv.links:
            zones = {inv.device_by_id[e.device].interface_zone(e.interface)
                     for e in (link.a, link.b)}
            if link.media in WIRELESS_MEDIA and zones & physical:
                yield Finding(
                    check=self.name, severity=Severity.CRITICAL,
                    title=f"{link.media.value} link in {', '.join(sorted(zones & physical))}",
                    subject=link.key, origin=_origin(link),
                    evidence=f"link {link.key} uses {link.media.value}",
                    remediation="replace the wireless link by fibre inside the isolated zone",
                    mlps=MLPS_WIRELESS, zones=tuple(sorted(zones)),
                )


@dataclass(frozen=True)
class AddressPlanCheck:
    """Devices of a physically isolated zone use only that zone's address space."""

    name: str = "isolation.address-plan"
    title: str = "isolated-zone devices use only their zone's addresses"

    def run(self, ctx: AuditContext) -> Iterator[Finding]:
        inv = ctx.inventory
        physical = _physical_zones(inv)
        for device in inv.devices:
            if device.role is DeviceRole.DATA_DIODE:
                continue
            addresses = [("management", device.mgmt)] if device.mgmt is not None else []
            addresses += [(i.name, a.ip) for i in device.interfaces for a in i.addresses
                          if (i.zone or device.zone) in physical]
            for where, address in addresses:
                owner = inv.zone_of_address(address)
                own = device.zone
                if own in physical and owner is not None and owner != own:
                    yield Finding(
                        check=self.name, severity=Severity.HIGH,
                        title=f"{own} device uses an address of zone {owner}",
                        subject=f"{device.id}:{where}", origin=_origin(device),
                        evidence=f"{where} address {address} of {device.id} lies in a prefix "
                        f"of zone {owner}",
                        remediation="renumber from the isolated zone's own prefixes; an "
                        "address from another zone suggests it is managed or routed from there",
                        mlps=MLPS_BOUNDARY, zones=(own, owner),
                    )


@dataclass(frozen=True)
class GatewayPathCheck:
    """Every path from a logically isolated zone to the internet crosses a declared gateway."""

    name: str = "isolation.gateway-bypass"
    title: str = "every path to the internet crosses a declared gateway"

    def run(self, ctx: AuditContext) -> Iterator[Finding]:
        inv = ctx.inventory
        internet = {d.id for d in inv.devices
                    if inv.zone_by_id[d.zone].kind is ZoneKind.INTERNET}
        if not internet:
            return
        # Any declared gateway counts: a management-zone path that leaves through the outer
        # network's firewall crosses a gateway too.
        gateways = {g for z in inv.zones for g in z.gateways}
        cut = build_graph(inv)
        cut.remove_nodes_from(gateways)
        components = list(nx.connected_components(cut))
        for zone in inv.zones:
            if zone.isolation is not Isolation.LOGICAL:
                continue
            members = {d.id for d in inv.devices if d.zone == zone.id} - gateways
            if not members:
                continue
            for component in components:
                inside = members & component
                outside = internet & component
                if not inside or not outside:
                    continue
                source = min(inside)
                path = nx.shortest_path(cut, source, min(outside))
                yield Finding(
                    check=self.name, severity=Severity.CRITICAL,
                    title=f"{zone.id} reaches the internet without a gateway",
                    subject=f"{zone.id}:{path[0]}->{path[-1]}",
                    origin=_origin(zone),
                    evidence=f"path {' -> '.join(path)} avoids every declared gateway "
                    f"({', '.join(sorted(gateways)) or 'none declared'}); "
                    f"{len(inside)} {zone.id} device(s) share this bypass",
                    remediation="remove the bypass link or route it through a declared gateway; "
                    "declare the device as a gateway only if it enforces a default-deny policy",
                    mlps=MLPS_BOUNDARY, zones=(zone.id, "internet"),
                )


ISOLATION_CHECKS: tuple[Check, ...] = (
    PhysicalLinkCheck(),
    SharedDeviceCheck(),
    CircuitCheck(),
    WirelessCheck(),
    AddressPlanCheck(),
    GatewayPathCheck(),
)
"""The isolation checks, in report order."""


def isolation_checks(names: Iterable[str] | None = None) -> tuple[Check, ...]:
    """The isolation checks, optionally only those named."""
    if names is None:
        return ISOLATION_CHECKS
    wanted = set(names)
    return tuple(c for c in ISOLATION_CHECKS if c.name in wanted)
