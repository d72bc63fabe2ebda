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
from egovops.audit.registry import finding, phrase
from egovops.model.findings import Finding
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
            yield finding(
                self.name, subject=link.key, origin=_origin(link), zones=(zone_a, zone_b),
                zone_a=zone_a, zone_b=zone_b, end_a=str(link.a), end_b=str(link.b),
                isolated=", ".join(sorted({zone_a, zone_b} & physical)),
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
            yield finding(
                self.name, subject=device.id, origin=_origin(device), zones=sorted(zones),
                device=device.id, spans=", ".join(sorted(zones)),
                interfaces=", ".join(f"{i.name}={i.zone or device.zone}"
                                     for i in device.interfaces),
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
            yield finding(
                self.name, subject=circuit.id, origin=_origin(circuit), zones=(zone,),
                circuit=circuit.id, zone=zone, provider=circuit.provider,
                circuit_id=circuit.circuit_id, endpoint=str(circuit.endpoint),
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
                    state = ("wireless-interface-enabled" if iface.enabled
                             else "wireless-interface-disabled")
                    yield finding(
                        self.name, subject=f"{device.id}:{iface.name}", origin=_origin(device),
                        zones=(zone,), zone=zone,
                        what=phrase("wireless-interface", kind=iface.kind.value),
                        why=phrase(state, device=device.id, interface=iface.name,
                                   kind=iface.kind.value),
                        fix=phrase("wireless-remove-module"),
                    )
        for link in inv.links:
            zones = {inv.device_by_id[e.device].interface_zone(e.interface)
                     for e in (link.a, link.b)}
            if link.media in WIRELESS_MEDIA and zones & physical:
                yield finding(
                    self.name, subject=link.key, origin=_origin(link), zones=sorted(zones),
                    zone=", ".join(sorted(zones & physical)),
                    what=phrase("wireless-link", media=link.media.value),
                    why=phrase("wireless-link-uses", link=link.key, media=link.media.value),
                    fix=phrase("wireless-replace-link"),
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
            # 'management' is the subject's word (finding ids must not change); the text says it
            # in the reader's language
            for where, address in addresses:
                owner = inv.zone_of_address(address)
                own = device.zone
                if own in physical and owner is not None and owner != own:
                    yield finding(
                        self.name, subject=f"{device.id}:{where}", origin=_origin(device),
                        zones=(own, owner), zone=own, owner=owner, address=str(address),
                        device=device.id,
                        where=phrase("management-address") if where == "management"
                        else phrase("interface-address", interface=where),
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
                yield finding(
                    self.name, subject=f"{zone.id}:{path[0]}->{path[-1]}", origin=_origin(zone),
                    zones=(zone.id, "internet"), zone=zone.id, path=" -> ".join(path),
                    gateways=", ".join(sorted(gateways)) or phrase("none-declared"),
                    count=len(inside),
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
