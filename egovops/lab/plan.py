"""Inventory → lab plan: what `egovops lab up` builds, computed from the model alone.

Pure data and pure functions: nothing here touches the system, so the plan is unit-tested
without root. One network namespace per managed device, one veth pair per declared link (each
end named as the declared interface, created directly inside its namespace), the interface
addresses, the management address on the namespace's loopback, static routes along the declared
topology (only routers, switches, firewalls and VPN gateways forward), an sshd and an lldpd per
namespace, and the firewall rulesets named by ``config:``. A switch's linked interfaces without an
address are joined by a Linux bridge in its namespace (a layer-2 switch); its addressed ones
stay routed.
"""

from __future__ import annotations

import ipaddress
import re
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx

from egovops.collect.credentials import resolve_path
from egovops.errors import EgovopsError, InputError, Problem
from egovops.model.inventory import Device, DeviceRole, Inventory, SecretRef

NS_PREFIX = "egv-"
"""Every namespace the lab creates starts with this; `lab down` finds leftovers by it."""

LAB_PLATFORMS = frozenset({"linux", "linux_iptables"})
"""Platforms the lab can emulate (a namespace runs Linux tools, not vendor firmware)."""

FORWARDING_ROLES = frozenset(
    {DeviceRole.ROUTER, DeviceRole.SWITCH, DeviceRole.FIREWALL, DeviceRole.VPN_GATEWAY}
)
"""Roles whose namespace forwards packets (``net.ipv4.ip_forward=1``)."""

TARPIT_TAG = "lab-tarpit"
"""Fault injection: a device with this tag gets a listener that accepts TCP and never answers
instead of sshd (to exercise collection timeouts)."""

BRIDGE = "egv-br0"
"""The Linux bridge in a switch's namespace that joins its addressless interfaces (layer 2)."""

_IFNAME = re.compile(r"^[A-Za-z0-9_.\-]{1,15}$")

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class LabError(EgovopsError):
    """Raised when the lab cannot be built or removed: not root, a system command failed.

    The message names the command and its error; `egovops lab down PATH` cleans up a half-built
    lab.
    """


@dataclass(frozen=True)
class Veth:
    """One declared link as a veth pair: each end inside its own device's namespace."""

    ns_a: str
    if_a: str
    ns_b: str
    if_b: str
    link: str


@dataclass(frozen=True)
class Route:
    """A static route in one namespace."""

    prefix: str
    via: str


@dataclass(frozen=True)
class NodePlan:
    """Everything one namespace gets."""

    device: str
    ns: str
    mgmt: str
    port: int
    username: str
    interfaces: tuple[tuple[str, tuple[str, ...], bool], ...]
    """(name, addresses with prefix length, enabled) of each declared interface in a link."""
    routes: tuple[Route, ...]
    forwarding: bool
    ruleset: Path | None
    ruleset_format: str | None
    password_ref: SecretRef | None
    key_file: Path | None
    tarpit: bool
    bridge: tuple[str, ...] = ()
    """Interfaces joined by the Linux bridge :data:`BRIDGE` (a switch's addressless linked
    interfaces; empty: no bridge)."""


@dataclass(frozen=True)
class LabPlan:
    """The whole lab of one site."""

    site: str
    prefix: str
    root: Path
    """The site folder (relative references resolve against it)."""
    state_dir: Path
    nodes: tuple[NodePlan, ...]
    veths: tuple[Veth, ...]
    skipped: tuple[str, ...] = field(default=())
    """Devices without a namespace (no management address), by id."""

    @property
    def namespaces(self) -> tuple[str, ...]:
        """Namespace names, in node order."""
        return tuple(n.ns for n in self.nodes)


def ns_prefix(site_id: str) -> str:
    """Name prefix of every namespace of ``site_id``'s lab."""
    return f"{NS_PREFIX}{site_id}-"


def plan_lab(inv: Inventory, state_dir: Path | None = None) -> LabPlan:
    """The lab of ``inv``; raises :class:`InputError` listing every device the lab cannot build.

    Devices without a management address get no namespace (they are reported in ``skipped``);
    a link is built only when both of its ends have a namespace.
    """
    root = Path(inv.root or ".").resolve()
    state = (state_dir or root / ".lab").resolve()
    prefix = ns_prefix(inv.site.id)
    problems: list[Problem] = []
    lab_devices: dict[str, Device] = {}
    skipped: list[str] = []
    for dev in inv.devices:
        if dev.mgmt is None:
            skipped.append(dev.id)
            continue
        origin = (dev.origin.file, dev.origin.line) if dev.origin else ("(inventory)", 0)
        if dev.platform not in LAB_PLATFORMS:
            problems.append(Problem(*origin, 0, f"device {dev.id}: the lab emulates Linux "
                                    f"nodes only (platform linux), not {dev.platform!r}", "lab"))
        for iface in dev.interfaces:
            if not _IFNAME.match(iface.name) or iface.name in ("lo", "all", "default"):
                problems.append(Problem(*origin, 0, f"device {dev.id}: interface {iface.name!r} "
                                        "is not a Linux interface name (at most 15 letters, "
                                        "digits, '_', '.', '-')", "lab"))
        lab_devices[dev.id] = dev
    if problems:
        raise InputError(f"{inv.site.id}: the lab cannot build {len(problems)} thing(s)",
                         problems)

    linked: dict[str, set[str]] = {d: set() for d in lab_devices}
    veths: list[Veth] = []
    for link in inv.links:
        if link.a.device in lab_devices and link.b.device in lab_devices:
            veths.append(Veth(prefix + link.a.device, link.a.interface,
                              prefix + link.b.device, link.b.interface, link.key))
            linked[link.a.device].add(link.a.interface)
            linked[link.b.device].add(link.b.interface)

    bridges = {d: bridge_ports(dev, linked[d]) for d, dev in lab_devices.items()}
    for d, ports in bridges.items():
        dev = lab_devices[d]
        if ports and any(i.name == BRIDGE for i in dev.interfaces):
            origin = (dev.origin.file, dev.origin.line) if dev.origin else ("(inventory)", 0)
            problems.append(Problem(*origin, 0, f"device {d}: interface name {BRIDGE!r} is "
                                    "the lab's bridge of the switch's addressless interfaces",
                                    "lab"))
    if problems:
        raise InputError(f"{inv.site.id}: the lab cannot build {len(problems)} thing(s)",
                         problems)
    routes = static_routes(inv, lab_devices)
    nodes: list[NodePlan] = []
    for dev in lab_devices.values():
        creds = dev.credentials
        username = creds.username if creds is not None and isinstance(creds.username, str) \
            else "egvlab"
        key_file = None
        if creds is not None and creds.ssh_key is not None and creds.ssh_key.file is not None:
            key_file = resolve_path(root, creds.ssh_key.file)
        password_ref = creds.password if creds is not None else None
        nodes.append(NodePlan(
            device=dev.id,
            ns=prefix + dev.id,
            mgmt=str(dev.mgmt),
            port=creds.port if creds is not None else 22,
            username=username,
            interfaces=tuple(
                (i.name, tuple(str(a) for a in i.addresses), i.enabled)
                for i in dev.interfaces if i.name in linked[dev.id]
            ),
            routes=routes.get(dev.id, ()),
            forwarding=dev.role in FORWARDING_ROLES,
            ruleset=resolve_path(root, dev.config) if dev.config else None,
            ruleset_format=dev.platform_info.firewall_format if dev.config else None,
            password_ref=password_ref,
            key_file=key_file,
            tarpit=TARPIT_TAG in dev.tags,
            bridge=bridges[dev.id],
        ))
    return LabPlan(site=inv.site.id, prefix=prefix, root=root, state_dir=state, nodes=tuple(nodes),
                   veths=tuple(veths), skipped=tuple(skipped))


@dataclass(frozen=True)
class Segment:
    """One layer-2 broadcast domain: the link ends joined by declared links and by the
    addressless interfaces of switches (which bridge them).

    A plain link between two addressed interfaces is a segment of two ends; a switch whose
    linked interfaces carry no address joins every segment it touches through them into one
    multi-access segment, where each addressed end is directly connected to every other one on
    the same subnet. A switch's addressed interfaces (a VLAN interface, a routed port) stay
    routed: they are ends of a segment, not part of the bridge.
    """

    ends: tuple[tuple[str, str], ...]
    """Every (device, interface) in the segment, bridge ports included, in declaration order."""
    attached: tuple[tuple[str, str], ...]
    """The ends that are not bridge ports (the interfaces hosts and routers attach by)."""
    links: tuple[tuple[tuple[str, str], tuple[str, str]], ...]
    """The declared links inside the segment, as (end, end)."""


def bridge_ports(dev: Device, linked: set[str] | frozenset[str]) -> tuple[str, ...]:
    """The interfaces of ``dev`` that the lab bridges: enabled, linked, without an address, of
    a switch. Empty for any other role."""
    if dev.role is not DeviceRole.SWITCH:
        return ()
    return tuple(i.name for i in dev.interfaces
                 if i.name in linked and i.enabled and not i.addresses)


def l2_segments(inv: Inventory, devices: dict[str, Device]) -> list[Segment]:
    """The layer-2 segments of the declared links between ``devices``, in link order (a
    segment comes where its first link is declared)."""
    links = [((k.a.device, k.a.interface), (k.b.device, k.b.interface)) for k in inv.links
             if k.a.device in devices and k.b.device in devices]
    linked: dict[str, set[str]] = {d: set() for d in devices}
    for a, b in links:
        linked[a[0]].add(a[1])
        linked[b[0]].add(b[1])
    ports = {(d, name) for d, dev in devices.items() for name in bridge_ports(dev, linked[d])}
    graph: nx.Graph[tuple[str, str]] = nx.Graph()
    graph.add_edges_from(links)
    by_device: dict[str, list[tuple[str, str]]] = {}
    for port in sorted(ports):
        by_device.setdefault(port[0], []).append(port)
    for same_switch in by_device.values():
        nx.add_path(graph, same_switch)  # one bridge joins them
    component = {end: i for i, ends in enumerate(nx.connected_components(graph))
                 for end in ends}
    order: dict[int, int] = {}
    members: dict[int, list[tuple[str, str]]] = {}
    inside: dict[int, list[tuple[tuple[str, str], tuple[str, str]]]] = {}
    for a, b in links:
        root = component[a]
        order.setdefault(root, len(order))
        group = members.setdefault(root, [])
        group += [e for e in (a, b) if e not in group]
        inside.setdefault(root, []).append((a, b))
    return [Segment(tuple(members[r]), tuple(e for e in members[r] if e not in ports),
                    tuple(inside[r])) for r in sorted(order, key=order.__getitem__)]


def static_routes(inv: Inventory, devices: dict[str, Device]) -> dict[str, tuple[Route, ...]]:
    """Static routes: every subnet of a lab device, reached along the fewest hops.

    The graph is the declared links between lab devices; a path may pass through a device only
    when its role forwards. The next hop is the neighbour's address on the shared subnet.
    Switches whose linked interfaces carry no address bridge (:func:`l2_segments`): every
    addressed interface attached to such a layer-2 segment is a neighbour of every other one
    on the same subnet, and the switch itself is no routing hop.
    """
    # interface addresses per (device, interface)
    addrs: dict[tuple[str, str], list[ipaddress.IPv4Interface | ipaddress.IPv6Interface]] = {}
    subnets: dict[str, set[IPNetwork]] = {d: set() for d in devices}
    for dev in devices.values():
        for iface in dev.interfaces:
            addrs[(dev.id, iface.name)] = list(iface.addresses)
            subnets[dev.id].update(a.network for a in iface.addresses)
    adjacency: dict[str, list[tuple[str, str]]] = {d: [] for d in devices}
    for segment in l2_segments(inv, devices):
        if len(segment.ends) == 2 and len(segment.links) == 1:
            pairs = [segment.links[0], segment.links[0][::-1]]  # a plain link, both ways
        else:
            pairs = [(x, y) for x in segment.attached for y in segment.attached
                     if x[0] != y[0]]
        for here, there in pairs:
            for mine in addrs.get(here, []):
                for theirs in addrs.get(there, []):
                    if mine.network == theirs.network:
                        adjacency[here[0]].append((there[0], str(theirs.ip)))
    result: dict[str, tuple[Route, ...]] = {}
    for start in devices:
        first_hop: dict[str, str] = {}
        queue: deque[str] = deque()
        for neighbour, via in adjacency[start]:
            if neighbour not in first_hop:
                first_hop[neighbour] = via
                queue.append(neighbour)
        while queue:
            current = queue.popleft()
            if devices[current].role not in FORWARDING_ROLES:
                continue
            for neighbour, _via in adjacency[current]:
                if neighbour != start and neighbour not in first_hop:
                    first_hop[neighbour] = first_hop[current]
                    queue.append(neighbour)
        own = subnets[start]
        routes: dict[IPNetwork, str] = {}
        for target, via in first_hop.items():
            for net in sorted(subnets[target], key=str):
                if net not in own and net not in routes and net.prefixlen < net.max_prefixlen:
                    routes[net] = via
        result[start] = tuple(Route(str(n), v) for n, v in sorted(routes.items(), key=str))
    return result
