"""Network architecture and management checks the inventory alone can prove (MLPS 2.0
8.1.2.1 网络架构, 8.1.5.4 集中管控).

* ``topology.redundancy`` — a device or link whose loss alone cuts a core or aggregation
  node off (the resilience analysis of :mod:`egovops.topology.resilience`); access nodes
  hanging off one uplink are the norm and not reported;
* ``topology.oversubscription`` — an uplink whose units' demand exceeds the site's limit
  (:mod:`egovops.topology.capacity`);
* ``management.zone`` — a management zone exists and the management addresses of network and
  security devices outside physically isolated zones lie in it (isolated zones are managed
  from inside; the isolation checks judge their addresses; servers are managed on their own);
* ``management.monitored`` — every network and security device (data diodes excepted: one-way
  hardware managed on its console) has a management address, so it is collected and scraped.

Run by ``egovops audit mlps`` (they concern the architecture, not a ruleset).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from egovops.audit.base import AuditContext, Check
from egovops.audit.registry import finding, phrase
from egovops.model.findings import Finding
from egovops.model.inventory import DeviceRole, Isolation, Tier, ZoneKind
from egovops.model.quantities import format_rate
from egovops.topology.capacity import oversubscription
from egovops.topology.resilience import analyze_resilience

NETWORK_ROLES = frozenset({DeviceRole.ROUTER, DeviceRole.SWITCH, DeviceRole.FIREWALL,
                           DeviceRole.VPN_GATEWAY, DeviceRole.DATA_DIODE})
"""Roles of network and security devices (servers and hosts are not judged here)."""


def _origin(obj: object) -> str:
    origin = getattr(obj, "origin", None)
    return str(origin) if origin is not None else ""


@dataclass(frozen=True)
class RedundancyCheck:
    """No single device or link cuts a core or aggregation node off."""

    name: str = "topology.redundancy"
    title: str = "no single device or link cuts a core or aggregation node off"

    def run(self, ctx: AuditContext) -> Iterator[Finding]:
        inv = ctx.inventory
        upper = {n.id for n in inv.nodes if n.tier <= Tier.AGGREGATION}
        for res in analyze_resilience(inv):
            for point in (*res.devices, *res.links):
                cut = sorted(set(point.nodes_cut) & upper)
                if not cut:
                    continue
                shown = ", ".join(cut[:6]) + (" …" if len(cut) > 6 else "")
                origin = (_origin(inv.device_by_id[point.id]) if point.kind == "device"
                          else "")
                yield finding(
                    self.name, subject=f"{res.zone}:{point.id}", origin=origin,
                    zones=(res.zone,), kind=phrase(f"spof-{point.kind}"), item=point.id,
                    zone=res.zone, nodes_count=len(point.nodes_cut), nodes=shown,
                    units_count=len(point.units_cut))


@dataclass(frozen=True)
class OversubscriptionCheck:
    """No uplink carries more unit demand than the site's limit."""

    name: str = "topology.oversubscription"
    title: str = "no uplink is oversubscribed beyond the site's limit"

    def run(self, ctx: AuditContext) -> Iterator[Finding]:
        inv = ctx.inventory
        limit = inv.site.settings.oversubscription_limit
        for up in oversubscription(inv):
            if not up.over_limit:
                continue
            ratio = "∞" if up.ratio == float("inf") else f"{up.ratio:.1f}"
            yield finding(
                self.name, subject=up.node, origin=_origin(inv.node_by_id.get(up.node)),
                node=up.node, ratio=ratio, demand=format_rate(up.demand),
                capacity=format_rate(up.capacity), limit=f"{limit:g}")


@dataclass(frozen=True)
class ManagementZoneCheck:
    """A management zone exists and holds the management addresses of devices."""

    name: str = "management.zone"
    title: str = "a management zone holds the devices' management addresses"

    def run(self, ctx: AuditContext) -> Iterator[Finding]:
        inv = ctx.inventory
        mgmt = [z for z in inv.zones if z.kind is ZoneKind.MANAGEMENT]
        if not mgmt:
            yield finding(self.name, subject="site", origin=_origin(inv.site),
                          what=phrase("no-management-zone"),
                          why=phrase("no-management-zone-why"),
                          fix=phrase("add-management-zone"))
            return
        ids = {z.id for z in mgmt}
        physical = {z.id for z in inv.zones if z.isolation is Isolation.PHYSICAL}
        zone = mgmt[0]
        prefixes = ", ".join(str(p) for z in mgmt for p in z.prefixes) or "-"
        for device in inv.devices:
            if (device.role not in NETWORK_ROLES or device.mgmt is None
                    or device.zone in physical or device.zone in ids):
                continue
            owner = inv.zone_of_address(device.mgmt)
            if owner in ids:
                continue
            address = str(device.mgmt)
            yield finding(
                self.name, subject=f"{device.id}:mgmt", origin=_origin(device),
                zones=(device.zone,),
                what=phrase("mgmt-outside-zone", address=address),
                why=phrase("mgmt-outside-zone-why", address=address,
                           owner=owner or "-", zone=zone.id, prefixes=prefixes),
                fix=phrase("move-mgmt", zone=zone.id))


@dataclass(frozen=True)
class MonitoredCheck:
    """Every network and security device has a management address (collected, scraped)."""

    name: str = "management.monitored"
    title: str = "every network and security device can be monitored centrally"

    def run(self, ctx: AuditContext) -> Iterator[Finding]:
        for device in ctx.inventory.devices:
            # a data diode (光闸) is one-way hardware, managed on its console, not over the net
            if (device.role in NETWORK_ROLES and device.role is not DeviceRole.DATA_DIODE
                    and device.mgmt is None):
                yield finding(self.name, subject=device.id, origin=_origin(device),
                              zones=(device.zone,), device=device.id, role=device.role.value)


ARCHITECTURE_CHECKS: tuple[Check, ...] = (
    RedundancyCheck(),
    OversubscriptionCheck(),
    ManagementZoneCheck(),
    MonitoredCheck(),
)
"""The architecture and management checks, in report order."""
