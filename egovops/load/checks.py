"""Cross-reference checks over validated inventory entities, each problem with ``file:line``.

Runs after schema validation, on the entities that passed it. Ids of entities that failed
validation still count as declared, so one bad device does not also produce a dangling-reference
problem at every link that names it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from egovops.errors import Problem
from egovops.load.yamlsource import LocatedDict, line_of
from egovops.model.inventory import (
    Circuit,
    Device,
    DeviceRole,
    Flow,
    Link,
    Location,
    Node,
    Site,
    Unit,
    Zone,
)
from egovops.model.platforms import PLATFORMS

T = TypeVar("T")

GATEWAY_ROLES = frozenset({DeviceRole.FIREWALL, DeviceRole.VPN_GATEWAY, DeviceRole.ROUTER})


@dataclass(frozen=True)
class Validated(Generic[T]):
    """A validated entity beside the raw mapping it came from (for line numbers in checks)."""

    model: T
    raw: LocatedDict
    partial: bool = False
    """Validated only after dropping keys that had problems (the run fails anyway); checks
    must not report the dropped parts as missing."""


class _Report:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def at(self, raw: LocatedDict, key: str | None, message: str, code: str) -> None:
        line = raw.key_lines.get(key, raw.line) if key else raw.line
        self.problems.append(Problem(raw.file, line, 0, message, code))

    def at_path(self, raw: LocatedDict, path: tuple[str | int, ...], message: str,
                code: str) -> None:
        self.problems.append(Problem(raw.file, line_of(raw, path), 0, message, code))


def check_inventory(
    site: Validated[Site],
    parts: dict[str, list[Validated[Any]]],
    declared: dict[str, set[str]],
) -> list[Problem]:
    """Every reference and uniqueness problem among the validated entities."""
    report = _Report()
    zones: list[Validated[Zone]] = parts["zones"]
    locations: list[Validated[Location]] = parts["locations"]
    nodes: list[Validated[Node]] = parts["nodes"]
    units: list[Validated[Unit]] = parts["units"]
    devices: list[Validated[Device]] = parts["devices"]
    links: list[Validated[Link]] = parts["links"]
    circuits: list[Validated[Circuit]] = parts["circuits"]

    for kind, items in (("zone", zones), ("location", locations), ("node", nodes),
                        ("unit", units), ("device", devices), ("circuit", circuits)):
        _unique_ids(report, kind, items)
    _unique_ids(report, "link", [v for v in links if v.model.id is not None])

    _check_locations(report, locations, declared["locations"])
    if site.model.location is not None and site.model.location not in declared["locations"]:
        report.at(site.raw, "location", f"site: unknown location {site.model.location!r}",
                  "dangling-reference")

    device_by_id = {v.model.id: v.model for v in devices}
    partial_devices = {v.model.id for v in devices if v.partial}
    _check_zones(report, zones, declared, device_by_id)
    for v in nodes:
        if v.model.location is not None and v.model.location not in declared["locations"]:
            report.at(v.raw, "location",
                      f"node {v.model.id}: unknown location {v.model.location!r}",
                      "dangling-reference")
    _check_units(report, units, declared)
    _check_devices(report, devices, declared)
    _check_endpoints(report, links, circuits, device_by_id, declared["devices"],
                     partial_devices)
    _check_flows(report, parts["flows"], declared["zones"], declared["devices"])
    return report.problems


def _unique_ids(report: _Report, kind: str, items: Iterable[Validated[Any]]) -> None:
    seen: dict[str, LocatedDict] = {}
    for v in items:
        ident = v.model.id
        first = seen.get(ident)
        if first is not None:
            report.at(v.raw, "id",
                      f"duplicate {kind} id {ident!r} (first at {first.file}:{first.line})",
                      "duplicate-id")
        else:
            seen[ident] = v.raw


def _check_locations(
    report: _Report, locations: list[Validated[Location]], declared: set[str]
) -> None:
    by_id = {v.model.id: v.model for v in locations}
    for v in locations:
        loc = v.model
        if loc.parent is None:
            continue
        parent = by_id.get(loc.parent)
        if parent is None:
            if loc.parent not in declared:
                report.at(v.raw, "parent", f"location {loc.id}: unknown parent {loc.parent!r}",
                          "dangling-reference")
            continue
        if parent.rank >= loc.rank:
            report.at(v.raw, "parent",
                      f"location {loc.id}: a {loc.level} cannot sit inside {parent.level} "
                      f"{parent.id!r} (province > city > district/county > town/street)",
                      "hierarchy")
        # cycle: walk up at most len(by_id) steps
        seen = {loc.id}
        current: Location | None = parent
        while current is not None and current.parent is not None:
            if current.id in seen:
                report.at(v.raw, "parent", f"location {loc.id}: parent chain loops", "hierarchy")
                break
            seen.add(current.id)
            current = by_id.get(current.parent)


def _check_zones(
    report: _Report,
    zones: list[Validated[Zone]],
    declared: dict[str, set[str]],
    device_by_id: dict[str, Device],
) -> None:
    owners: list[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, str, Validated[Zone]]] = []
    for v in zones:
        zone = v.model
        for gw in zone.gateways:
            device = device_by_id.get(gw)
            if device is None:
                if gw not in declared["devices"]:
                    report.at(v.raw, "gateways", f"zone {zone.id}: unknown gateway device {gw!r}",
                              "dangling-reference")
            elif device.role not in GATEWAY_ROLES:
                report.at(v.raw, "gateways",
                          f"zone {zone.id}: gateway {gw!r} is a {device.role.value}, not a "
                          "firewall, vpn-gateway or router", "invalid-gateway")
        owners.extend((p, zone.id, v) for p in zone.prefixes)
    # Sorted by start address then length, a CIDR prefix overlaps an earlier one exactly when
    # that one contains it; the stack holds the prefixes containing the current position.
    owners.sort(key=lambda o: (o[0].version, o[0].network_address, o[0].prefixlen))
    stack: list[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, str]] = []
    for net, zone_id, v in owners:
        while stack and not (stack[-1][0].version == net.version
                             and net.subnet_of(stack[-1][0])):  # type: ignore[arg-type]
            stack.pop()
        other = next(((n, z) for n, z in reversed(stack) if z != zone_id), None)
        if other is not None:
            report.at(v.raw, "prefixes",
                      f"zone {zone_id}: prefix {net} overlaps {other[0]} of zone {other[1]}",
                      "overlap")
        stack.append((net, zone_id))


def _check_units(
    report: _Report, units: list[Validated[Unit]], declared: dict[str, set[str]]
) -> None:
    for v in units:
        unit = v.model
        if unit.node not in declared["nodes"]:
            report.at(v.raw, "node", f"unit {unit.id}: unknown node {unit.node!r}",
                      "dangling-reference")
        for zone in unit.networks:
            if zone not in declared["zones"]:
                report.at(v.raw, "networks", f"unit {unit.id}: unknown zone {zone!r}",
                          "dangling-reference")
        if unit.location is not None and unit.location not in declared["locations"]:
            report.at(v.raw, "location", f"unit {unit.id}: unknown location {unit.location!r}",
                      "dangling-reference")


def _check_devices(
    report: _Report, devices: list[Validated[Device]], declared: dict[str, set[str]]
) -> None:
    zones, nodes, units = declared["zones"], declared["nodes"], declared["units"]
    mgmt_seen: dict[Any, str] = {}
    addr_seen: dict[Any, str] = {}
    for v in devices:
        dev = v.model
        if dev.zone not in zones:
            report.at(v.raw, "zone", f"device {dev.id}: unknown zone {dev.zone!r}",
                      "dangling-reference")
        if dev.node is not None and dev.node not in nodes:
            report.at(v.raw, "node", f"device {dev.id}: unknown node {dev.node!r}",
                      "dangling-reference")
        if dev.unit is not None and dev.unit not in units:
            report.at(v.raw, "unit", f"device {dev.id}: unknown unit {dev.unit!r}",
                      "dangling-reference")
        for vendor_zone, zone in dev.firewall_zones.items():
            if zone not in zones:
                report.at_path(v.raw, ("firewall_zones", vendor_zone),
                               f"device {dev.id}: firewall zone {vendor_zone!r} maps to unknown "
                               f"zone {zone!r}", "dangling-reference")
        if dev.platform not in PLATFORMS:
            report.at(v.raw, "platform",
                      f"device {dev.id}: unknown platform {dev.platform!r}; known: "
                      f"{', '.join(sorted(PLATFORMS))}", "unknown-platform")
        if dev.role is DeviceRole.DATA_DIODE and dev.transfer is None:
            report.at(v.raw, "role",
                      f"device {dev.id}: a data-diode must declare its one-way "
                      "'transfer: {source, target}'", "schema")
        if dev.transfer is not None and dev.role is not DeviceRole.DATA_DIODE:
            report.at(v.raw, "transfer",
                      f"device {dev.id}: only a data-diode may declare a one-way 'transfer'",
                      "schema")
        if dev.transfer is not None:
            for end in (dev.transfer.source, dev.transfer.target):
                if end not in zones:
                    report.at(v.raw, "transfer", f"device {dev.id}: unknown zone {end!r}",
                              "dangling-reference")
            if dev.transfer.source == dev.transfer.target:
                report.at(v.raw, "transfer",
                          f"device {dev.id}: a one-way transfer needs two different zones",
                          "schema")
        if dev.mgmt is not None:
            other = mgmt_seen.setdefault(dev.mgmt, dev.id)
            if other != dev.id:
                report.at(v.raw, "mgmt",
                          f"device {dev.id}: management address {dev.mgmt} already used by "
                          f"{other}", "duplicate-address")
        for index, iface in enumerate(dev.interfaces):
            if iface.zone is not None and iface.zone not in zones:
                report.at_path(v.raw, ("interfaces", index, "zone"),
                               f"device {dev.id}: interface {iface.name}: unknown zone "
                               f"{iface.zone!r}", "dangling-reference")
            if not iface.addresses:
                continue
            here = f"{dev.id}:{iface.name}"
            for number, addr in enumerate(iface.addresses):
                owner = addr_seen.setdefault(addr.ip, here)
                if owner != here:
                    report.at_path(v.raw, ("interfaces", index, "addresses", number),
                                   f"device {dev.id}: interface {iface.name}: address {addr.ip} "
                                   f"already used by {owner}", "duplicate-address")


def _check_endpoints(
    report: _Report,
    links: list[Validated[Link]],
    circuits: list[Validated[Circuit]],
    device_by_id: dict[str, Device],
    declared_devices: set[str],
    partial_devices: set[str],
) -> None:
    # An interface is taken by the first link or circuit naming it; a later one whose owner
    # name differs is reported. Owner names are only built when there is something to report.
    used: dict[tuple[str, str], Validated[Any]] = {}
    interface_names: dict[str, set[str]] = {}

    def owner_of(v: Validated[Any]) -> str:
        model = v.model
        return f"link {model.key}" if isinstance(model, Link) else f"circuit {model.id}"

    def endpoint(v: Validated[Any], key: str) -> None:
        ep = getattr(v.model, key)
        device = device_by_id.get(ep.device)
        if device is None:
            if ep.device not in declared_devices:
                report.at(v.raw, key, f"{owner_of(v)}: unknown device {ep.device!r}",
                          "dangling-reference")
            return
        names = interface_names.get(ep.device)
        if names is None:
            names = interface_names[ep.device] = {i.name for i in device.interfaces}
        if ep.interface not in names:
            if ep.device in partial_devices:
                return  # its interfaces had problems of their own, already reported
            report.at(v.raw, key,
                      f"{owner_of(v)}: device {ep.device} has no interface {ep.interface!r}",
                      "dangling-reference")
            return
        first = used.setdefault((ep.device, ep.interface), v)
        if first is not v:
            owner, first_owner = owner_of(v), owner_of(first)
            if first_owner != owner:
                report.at(v.raw, key, f"{owner}: interface {ep} is already used by {first_owner}",
                          "interface-reuse")

    for v in links:
        endpoint(v, "a")
        endpoint(v, "b")
        if v.model.a.device == v.model.b.device:
            report.at(v.raw, "b", f"{owner_of(v)}: both ends are on device {v.model.a.device}",
                      "self-link")
    for c in circuits:
        endpoint(c, "endpoint")


def _check_flows(report: _Report, flows: list[Validated[Flow]], zones: set[str],
                 devices: set[str]) -> None:
    seen: dict[str, LocatedDict] = {}
    for v in flows:
        flow = v.model
        first = seen.setdefault(flow.name, v.raw)
        if first is not v.raw:
            report.at(v.raw, "name", f"duplicate flow name {flow.name!r} (first at "
                      f"{first.file}:{first.line})", "duplicate-id")
        for key in ("source", "target"):
            zone = getattr(flow, key)
            if zone not in zones:
                report.at(v.raw, key, f"flow {flow.name}: unknown zone {zone!r}",
                          "dangling-reference")
        for device in flow.via:
            if device not in devices:
                report.at(v.raw, "via", f"flow {flow.name}: unknown device {device!r}",
                          "dangling-reference")
