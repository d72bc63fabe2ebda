"""Active isolation probes, part 1: the probe plan and what the static proof expects of it.

Input: the inventory, the parsed gateway rulesets (:func:`egovops.audit.firewall.
load_gateway_rulesets`) and the firewall policy. Output: a :class:`ProbePlan`, a small,
deterministic list of concrete probes: a source device and address, a target device and
address, one service (``tcp/23``, ``udp/53``, ``icmp``), and the :class:`Expectation` of the
static model (allowed or blocked, and why: the deciding rule's ``file:line``, or "no route").
Pure: nothing here touches a network; :mod:`egovops.audit.probe_run` sends the probes.

What is probed (each ordered pair of zones that have a device to probe from and to):

* from an untrusted zone (the internet) into every other zone: ssh, http, https, ping and one
  port of every risky service of the policy (telnet, ftp, rdp, smb, databases …);
* into and out of a physically isolated zone (the inner network): ping and ssh, which must find
  no path at all;
* between the other zones: ping, ssh and https (and dns into an untrusted zone);
* every declared flow (``flows:``), one probe per service;
* one probe per zone reach the static audit proved (its example packet's service);
* the management plane of every gateway with a ruleset: ssh and snmp to its address in each
  zone it touches.

Endpoints are real devices: in each zone, a host (else a server, else any non-gateway device)
with an interface address in the zone. When the target device has addresses reached over
different firewalls (a DMZ server behind both the border firewall and the SSL-VPN gateway),
each such way in gets ping and ssh too.

The expectation follows the packet hop by hop along the routes the inventory implies (the
shortest path through forwarding devices, the same routes ``egovops lab up`` installs): at
every firewall on the way the new connection is decided by its forwarding hooks
(:func:`~egovops.firewall.analysis.decide`), at a target firewall by its management-plane
hooks; the reply must come back the same way. A reply crossing a firewall that did not see the
request (asymmetric routing) meets it as an invalid packet (TCP, ICMP) or a new one (UDP), as
netfilter's connection tracking does. No route there (or back) is "blocked: no path" — for a
physically isolated zone, that is the isolation proof itself.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise

from egovops.audit.firewall import (
    GatewayRuleset,
    is_forwarding_hook,
    is_management_hook,
    zone_pair,
)
from egovops.audit.reach import HopContext, hook_applies
from egovops.errors import UsageError
from egovops.firewall.analysis import decide
from egovops.firewall.flatten import FlatChain
from egovops.firewall.model import Action, ConnState
from egovops.firewall.packetset import Packet
from egovops.lab.plan import FORWARDING_ROLES, Segment, l2_segments
from egovops.lab.plan import static_routes as shortest_routes  # one routing model for lab and audit
from egovops.model.findings import ZoneReach
from egovops.model.inventory import Device, Inventory, Isolation, ZoneKind
from egovops.model.policy import FirewallPolicy

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

SOURCE_PORT = 40000
"""Source port of the packet the static model evaluates (the real probe's is ephemeral)."""
MAX_HOPS = 64

PROTO_NUMBERS = {"tcp": 6, "udp": 17, "icmp": 1, "icmpv6": 58}


@dataclass(frozen=True, order=True)
class ProbeService:
    """What one probe sends: ``tcp``/``udp`` to a port, or an ICMP echo request."""

    proto: str
    port: int = 0
    name: str = field(default="", compare=False)

    def __str__(self) -> str:
        return self.proto if self.proto in ("icmp", "icmpv6") else f"{self.proto}/{self.port}"

    @property
    def label(self) -> str:
        """``tcp/23 (telnet)``."""
        return f"{self} ({self.name})" if self.name else str(self)


ICMP = ProbeService("icmp", 0, "ping")
SSH = ProbeService("tcp", 22, "ssh")
HTTP = ProbeService("tcp", 80, "http")
HTTPS = ProbeService("tcp", 443, "https")
DNS = ProbeService("udp", 53, "dns")
SNMP = ProbeService("udp", 161, "snmp")

UNTRUSTED_SERVICES = (ICMP, SSH, HTTP, HTTPS)
"""Probed from an untrusted zone into every other zone, with the policy's risky services."""
ISOLATED_SERVICES = (ICMP, SSH)
"""Probed into and out of a physically isolated zone."""
INTERNAL_SERVICES = (ICMP, SSH, HTTPS)
"""Probed between the other zones (and dns into an untrusted one)."""
EXTRA_PATH_SERVICES = (ICMP, SSH)
"""Probed over each further way into a target device."""
MANAGEMENT_SERVICES = (SSH, SNMP)
"""Probed against each gateway's own addresses."""


@dataclass(frozen=True)
class ProbeEndpoint:
    """A device and the address a probe uses on it."""

    device: str
    address: IPAddress
    zone: str

    def __str__(self) -> str:
        return f"{self.device} {self.address}"


@dataclass(frozen=True)
class Hop:
    """A device a packet passes (or ends at): the interface it came in by and leaves by."""

    device: str
    iif: str | None
    oif: str | None
    bridged: bool = False
    """A switch passing the packet between two of its addressless interfaces (layer 2): not a
    routing hop, and nothing there filters it."""


@dataclass(frozen=True)
class Decision:
    """One firewall hook's verdict on the probe's request or reply."""

    device: str
    hook: str
    allowed: bool
    rule: str
    """The deciding rule as written (or ``policy drop of chain forward``)."""
    origin: str
    """``file:line`` of the deciding rule (or of its chain, for a policy)."""
    reply: bool = False
    rejects: bool = False
    """The verdict is reject: the firewall answers (TCP reset, ICMP port unreachable) the way
    a closed port does, so a probe cannot tell the two apart."""

    def __str__(self) -> str:
        what = "reply" if self.reply else "request"
        verdict = "accepts" if self.allowed else "blocks"
        return f"{self.device} ({self.hook}) {verdict} the {what}: {self.rule} [{self.origin}]"


@dataclass(frozen=True)
class Expectation:
    """What the static model says of one probe."""

    allowed: bool
    reason: str
    origin: str = ""
    """``file:line`` of what decided it (empty for "no path")."""
    path: tuple[str, ...] = ()
    """Devices the request crosses, source and target included (empty: no route)."""
    decisions: tuple[Decision, ...] = ()

    @property
    def brief(self) -> str:
        """One short line: ``lab-fw forward lab-fw.nft:20`` or the reason."""
        request = [x for x in self.decisions if not x.reply]
        if not self.decisions or (self.allowed and not request):
            return "no firewall on the path" if self.allowed else "no path"
        if not self.allowed and self.decisions[-1].allowed:
            return self.reason  # e.g. no route back: no rule blocked it
        d = self.decisions[-1] if not self.allowed else request[-1]
        where = d.origin.rpartition("/")[2]
        return f"{d.device} {d.hook}{' (reply)' if d.reply else ''}: {where}"

    @property
    def firewalls(self) -> tuple[str, ...]:
        """Firewalls whose rulesets decided something, in order."""
        return tuple(dict.fromkeys(d.device for d in self.decisions))

    @property
    def verdict(self) -> str:
        """``allow`` or ``block``."""
        return "allow" if self.allowed else "block"


@dataclass(frozen=True)
class Probe:
    """One probe of the plan."""

    source: ProbeEndpoint
    target: ProbeEndpoint
    service: ProbeService
    purpose: str
    """Why it is in the plan: ``internet -> dmz``, ``flow 'web'``, ``lab-fw management``."""
    expected: Expectation

    @property
    def key(self) -> str:
        """Stable identity: ``lab-internet 203.0.113.1 -> lab-web 10.40.0.11 tcp/23``."""
        return f"{self.source} -> {self.target} {self.service}"

    isolated: tuple[str, ...] = ()
    """Physically isolated zones the probe goes into or out of."""


@dataclass(frozen=True)
class ProbePlan:
    """Every probe of one site, in a stable order."""

    site: str
    probes: tuple[Probe, ...]
    vantage: str | None = None
    """The device every probe starts from (``--from``), if one was named."""

    def sources(self) -> tuple[str, ...]:
        """Devices probes start from, in plan order."""
        return tuple(dict.fromkeys(p.source.device for p in self.probes))

    def targets(self) -> tuple[str, ...]:
        """Devices probes go to, in plan order."""
        return tuple(dict.fromkeys(p.target.device for p in self.probes))


# -- the routing model -------------------------------------------------------------------------


class Topology:
    """Addresses, links and the shortest-path static routes of the inventory.

    The routes are those ``egovops lab up`` installs (:func:`egovops.lab.plan.static_routes`): every
    subnet, reached along the fewest links, through devices whose role forwards. Switches whose
    linked interfaces carry no address bridge (:func:`egovops.lab.plan.l2_segments`): the next
    hop across such a layer-2 segment is the device on it that owns the address, and the
    switches on the way are listed as bridged hops.
    """

    def __init__(self, inv: Inventory) -> None:
        self.inventory = inv
        self.devices = {d.id: d for d in inv.devices}
        self.routes = {dev: tuple((ipaddress.ip_network(r.prefix), ipaddress.ip_address(r.via))
                                  for r in routes)
                       for dev, routes in shortest_routes(inv, self.devices).items()}
        self.peer: dict[tuple[str, str], tuple[str, str]] = {}
        for link in inv.links:
            a, b = (link.a.device, link.a.interface), (link.b.device, link.b.interface)
            self.peer[a] = b
            self.peer[b] = a
        self.segment: dict[tuple[str, str], Segment] = {}
        for seg in l2_segments(inv, self.devices):
            for end in seg.ends:
                self.segment[end] = seg

    def owns(self, device: str, address: IPAddress) -> bool:
        """Whether ``address`` is one of the device's interface (or management) addresses."""
        dev = self.devices[device]
        return dev.mgmt == address or any(
            a.ip == address for i in dev.interfaces for a in i.addresses)

    def _connected(self, device: str, address: IPAddress) -> str | None:
        """The linked interface of ``device`` whose subnet holds ``address``."""
        best: tuple[int, str] | None = None
        for iface in self.devices[device].interfaces:
            if (device, iface.name) not in self.peer or not iface.enabled:
                continue
            for a in iface.addresses:
                net = a.network
                if net.version == address.version and address in net and (
                        best is None or net.prefixlen > best[0]):
                    best = (net.prefixlen, iface.name)
        return best[1] if best else None

    def _next(self, device: str, address: IPAddress
              ) -> tuple[str, str, str, tuple[Hop, ...]] | None:
        """(out interface, next device, its in interface, the switches bridging the way there)
        toward ``address``, or ``None``."""
        out = self._connected(device, address)
        goal = address
        if out is None:
            best: tuple[int, IPAddress] | None = None
            for net, via in self.routes.get(device, ()):
                if net.version == address.version and address in net and (
                        best is None or net.prefixlen > best[0]):
                    best = (net.prefixlen, via)
            if best is None:
                return None
            goal = best[1]
            out = self._connected(device, goal)
            if out is None:
                return None
        seg = self.segment.get((device, out))
        if seg is not None and (len(seg.ends) > 2 or len(seg.links) > 1):
            owner = self._owner(seg, (device, out), goal)
            if owner is None:
                return None  # nothing on the layer-2 segment answers for the address
            return out, owner[0], owner[1], self._bridged((device, out), owner, seg)
        peer = self.peer.get((device, out))
        if peer is None or (goal != address and not self.owns(peer[0], goal)):
            return None  # links join two interfaces: the next hop is the one across the link
        return out, peer[0], peer[1], ()

    def _owner(self, seg: Segment, here: tuple[str, str],
               goal: IPAddress) -> tuple[str, str] | None:
        """The interface attached to ``seg`` that has ``goal`` (else one of a device that owns
        it, its management address), other than ``here``."""
        others = [e for e in seg.attached if e[0] != here[0]]
        for dev, name in others:
            iface = self.devices[dev].interface(name)
            if iface is not None and any(a.ip == goal for a in iface.addresses):
                return dev, name
        return next((e for e in others if self.owns(e[0], goal)), None)

    def _bridged(self, start: tuple[str, str], goal: tuple[str, str],
                 seg: Segment) -> tuple[Hop, ...]:
        """The switches a frame crosses from interface ``start`` to ``goal`` on ``seg``."""
        ports: dict[str, list[str]] = {}
        for dev, name in seg.ends:
            if (dev, name) not in seg.attached:
                ports.setdefault(dev, []).append(name)
        came: dict[tuple[str, str], tuple[str, str] | None] = {start: None}
        queue = [start]
        for end in queue:
            if end == goal:
                break
            nexts = [self.peer[end]] if end in self.peer else []
            if end not in seg.attached:
                nexts += [(end[0], p) for p in ports[end[0]] if p != end[1]]
            for n in nexts:
                if n not in came:
                    came[n] = end
                    queue.append(n)
        walk: list[tuple[str, str]] = []
        at: tuple[str, str] | None = goal
        while at is not None:
            walk.append(at)
            at = came.get(at)
        walk.reverse()
        return tuple(Hop(a[0], a[1], b[1], bridged=True)
                     for a, b in pairwise(walk) if a[0] == b[0])

    def trace(self, source: str, address: IPAddress) -> tuple[Hop, ...] | None:
        """The hops from device ``source`` to ``address`` (``None``: no route)."""
        hops: list[Hop] = []
        current, iif = source, None
        for _ in range(MAX_HOPS):
            if self.owns(current, address):
                hops.append(Hop(current, iif, None))
                return tuple(hops)
            if hops and self.devices[current].role not in FORWARDING_ROLES:
                return None
            step = self._next(current, address)
            if step is None:
                return None
            out, nxt, nxt_if, bridged = step
            hops.append(Hop(current, iif, out))
            hops.extend(bridged)
            current, iif = nxt, nxt_if
        return None


# -- the static expectation --------------------------------------------------------------------


def _packet(source: IPAddress, target: IPAddress, service: ProbeService, hop: Hop,
            zones: tuple[str | None, str | None], *, reply: bool,
            state: ConnState) -> Packet:
    proto = PROTO_NUMBERS.get(service.proto, 0)
    family = source.version
    if service.proto in ("icmp", "icmpv6"):
        proto = 1 if family == 4 else 58
        echo = (0 if family == 4 else 129) if reply else (8 if family == 4 else 128)
        return Packet(family, source, target, proto, icmp_type=echo, iif=hop.iif,
                      oif=hop.oif, src_zone=zones[0], dst_zone=zones[1], state=state)
    sport, dport = (service.port, SOURCE_PORT) if reply else (SOURCE_PORT, service.port)
    return Packet(family, source, target, proto, sport=sport, dport=dport, iif=hop.iif,
                  oif=hop.oif, src_zone=zones[0], dst_zone=zones[1], state=state)


def _decide_hook(gw: GatewayRuleset, hook: str, chains: Sequence[FlatChain],
                 packet: Packet, reply: bool) -> Decision:
    """Netfilter order: a drop in any base chain of the hook is final."""
    decision: Decision | None = None
    for chain in chains:
        if chain.families is not None and packet.family not in chain.families:
            text = f"chain {chain.name} ({chain.family}) does not see IPv{packet.family}"
            decision = Decision(gw.device.id, hook, True, text, gw.ruleset.source, reply)
            continue
        rule, action = decide(chain, packet)
        if rule is not None:
            text, origin = rule.rule.text or rule.rule.name or str(action), str(rule.source)
        else:
            declared = gw.ruleset.chain(chain.name, chain.table)
            text = f"policy {chain.policy} of chain {chain.name}"
            origin = str(declared.source) if declared is not None else gw.ruleset.source
        decision = Decision(gw.device.id, hook, action is Action.ACCEPT, text, origin, reply,
                            rejects=action is Action.REJECT)
        if action is not Action.ACCEPT:
            return decision
    assert decision is not None  # a hook has at least one chain
    return decision


def _decisions(gw: GatewayRuleset, hop: Hop, packet_for: _PacketFor, *, final: bool,
               reply: bool) -> list[Decision]:
    """The verdicts of ``gw`` on a packet passing (or, ``final``, reaching) it at ``hop``."""
    zones: tuple[str | None, str | None]
    if final:
        hooks = gw.hooks(is_management_hook)
        zones = (gw.vendor_zones(hop.iif)[0], "local")
    else:
        hooks = gw.hooks(is_forwarding_hook)
        zones = (gw.vendor_zones(hop.iif)[0], gw.vendor_zones(hop.oif)[0])
    packet = packet_for(hop, zones)
    ctx = HopContext(hop.iif, hop.oif, zones[0], zones[1])
    found: list[Decision] = []
    if reply and packet.state is ConnState.ESTABLISHED:
        # zone-based and ASA firewalls keep a session table: the reply of a connection they
        # accepted passes without a policy of its own (nftables/iptables say so in their rules,
        # router ACLs are stateless and are evaluated)
        stateful = [h for h in hooks if _stateful_hook(gw, h)]
        if stateful:
            found.append(Decision(gw.device.id, stateful[0], True,
                                  "reply of an accepted connection (session table)",
                                  gw.ruleset.source, reply))
            hooks = {h: c for h, c in hooks.items() if h not in stateful}
            if not hooks:
                return found
    if not final:
        pairs = [h for h in hooks if zone_pair(h) is not None]
        applied = [h for h in hooks if hook_applies(gw, h, ctx)]
        if pairs and not any(h in pairs for h in applied):
            return [Decision(gw.device.id, "zone-pair", False,
                             f"no policy from zone {zones[0] or '?'} to {zones[1] or '?'}",
                             gw.ruleset.source, reply)]
        hooks = {h: c for h, c in hooks.items() if h in applied}
    for hook, chains in hooks.items():
        found.append(_decide_hook(gw, hook, chains, packet, reply))
        if not found[-1].allowed:
            break
    return found


def _stateful_hook(gw: GatewayRuleset, hook: str) -> bool:
    """Hooks of stateful firewalls without explicit return rules: Huawei USG and H3C security
    policies, H3C zone-pair object policies, every Cisco ASA access group."""
    return (gw.ruleset.format == "cisco-asa" or hook == "security-policy"
            or zone_pair(hook) is not None)


class _PacketFor:
    """Builds the probe's packet as one hop sees it."""

    def __init__(self, source: IPAddress, target: IPAddress, service: ProbeService,
                 reply: bool, state: ConnState) -> None:
        self.args = (source, target, service)
        self.reply = reply
        self.state = state

    def __call__(self, hop: Hop, zones: tuple[str | None, str | None]) -> Packet:
        return _packet(*self.args, hop, zones, reply=self.reply, state=self.state)


class StaticModel:
    """Evaluates probes against the routes and the gateway rulesets."""

    def __init__(self, inv: Inventory, gateways: Iterable[GatewayRuleset]) -> None:
        self.inventory = inv
        self.topology = Topology(inv)
        self.gateways = {g.device.id: g for g in gateways}

    def expect(self, source: ProbeEndpoint, target: ProbeEndpoint,
               service: ProbeService) -> Expectation:
        """The static verdict on ``service`` from ``source`` to ``target``."""
        topo = self.topology
        forward = topo.trace(source.device, target.address)
        if forward is None:
            return Expectation(False, self._no_route(source, target))
        path = tuple(h.device for h in forward)
        decisions: list[Decision] = []
        request = _PacketFor(source.address, target.address, service, False, ConnState.NEW)
        for i, hop in enumerate(forward):
            gw = self.gateways.get(hop.device)
            if gw is None or i == 0 or hop.bridged:
                continue
            # no hook of the gateway applies to this hop (an ACL on other interfaces, no
            # input chain): nothing filters the packet here
            new = _decisions(gw, hop, request, final=i == len(forward) - 1, reply=False)
            decisions += new
            if new and not new[-1].allowed:
                return self._blocked(decisions, path)
        back = topo.trace(target.device, source.address)
        if back is None:
            return Expectation(False, f"no route back from {target.device} to "
                               f"{source.address}", path=path, decisions=tuple(decisions))
        seen = {h.device for h in forward}
        for i, hop in enumerate(back):
            gw = self.gateways.get(hop.device)
            if gw is None or i == 0 or i == len(back) - 1 or hop.bridged:
                continue
            tracked = hop.device in seen
            state = (ConnState.ESTABLISHED if tracked else
                     ConnState.NEW if service.proto == "udp" else ConnState.INVALID)
            reply = _PacketFor(target.address, source.address, service, True, state)
            new = _decisions(gw, hop, reply, final=False, reply=True)
            decisions += new
            if new and not new[-1].allowed:
                blocked = self._blocked(decisions, path)
                if not tracked:
                    return Expectation(False, blocked.reason + f" (the reply returns through "
                                       f"{hop.device}, which did not see the request: "
                                       f"asymmetric routing)", blocked.origin, path,
                                       blocked.decisions)
                return blocked
        accepting = [d for d in decisions if not d.reply]
        if not accepting:
            return Expectation(True, "no firewall on the path " + " > ".join(path), "", path,
                               tuple(decisions))
        last = accepting[-1]
        reason = "; ".join(str(d) for d in accepting)
        return Expectation(True, reason, last.origin, path, tuple(decisions))

    @staticmethod
    def _blocked(decisions: list[Decision], path: tuple[str, ...]) -> Expectation:
        last = decisions[-1]
        return Expectation(False, str(last), last.origin, path, tuple(decisions))

    def _no_route(self, source: ProbeEndpoint, target: ProbeEndpoint) -> str:
        inv = self.inventory
        isolated = [z for z in (source.zone, target.zone)
                    if inv.zone_by_id[z].isolation is Isolation.PHYSICAL]
        text = f"no path from {source.device} to {target.address}"
        if isolated:
            text += f" ({isolated[0]} is physically isolated: no link joins it to another zone)"
        return text


# -- choosing endpoints ------------------------------------------------------------------------

_ROLE_PREFERENCE = ("host", "server", "router", "switch")


class Endpoints:
    """The devices probes start from and go to, per zone."""

    def __init__(self, inv: Inventory, model: StaticModel, gateways: Iterable[str]) -> None:
        self.inventory = inv
        self.model = model
        self.gateway_ids = set(gateways) | {g for z in inv.zones for g in z.gateways}

    def in_zone(self, dev: Device, zone: str,
                within: Sequence[IPNetwork] = ()) -> list[IPAddress]:
        """Interface addresses of ``dev`` in ``zone`` (and in ``within``, when given)."""
        inv = self.inventory
        found: list[IPAddress] = []
        for iface in dev.interfaces:
            if (iface.zone or dev.zone) != zone or not iface.enabled:
                continue
            if (dev.id, iface.name) not in self.model.topology.peer:
                continue
            for a in iface.addresses:
                if within and not any(a.ip.version == n.version and a.ip in n for n in within):
                    continue
                owner = inv.zone_of_address(a.ip)
                if owner is not None and owner != zone:
                    continue
                found.append(a.ip)
        return found

    def candidates(self, zone: str, within: Sequence[IPNetwork] = ()) -> list[Device]:
        """Non-gateway devices with an address in ``zone``, hosts first, then servers."""
        devs = [d for d in self.inventory.devices
                if d.id not in self.gateway_ids and self.in_zone(d, zone, within)]
        order = {r: i for i, r in enumerate(_ROLE_PREFERENCE)}
        return sorted(devs, key=lambda d: order.get(d.role.value, len(order)))

    def source(self, zone: str, within: Sequence[IPNetwork] = ()) -> ProbeEndpoint | None:
        """The device probes from ``zone`` start at."""
        for dev in self.candidates(zone, within):
            return ProbeEndpoint(dev.id, self.in_zone(dev, zone, within)[0], zone)
        return None

    def targets(self, zone: str, source: ProbeEndpoint,
                within: Sequence[IPNetwork] = ()) -> list[ProbeEndpoint]:
        """The preferred device of ``zone``: one address per distinct way in from ``source``
        (first the one the plain route takes)."""
        devs = self.candidates(zone, within)
        if not devs:
            return []
        dev = next((d for d in devs if d.id != source.device), None)
        if dev is None:
            return []
        out: list[ProbeEndpoint] = []
        ways: set[tuple[str, ...] | None] = set()
        for address in self.in_zone(dev, zone, within):
            hops = self.model.topology.trace(source.device, address)
            way = None if hops is None else tuple(
                h.device for h in hops if h.device in self.model.gateways and not h.bridged)
            if way in ways:
                continue
            ways.add(way)
            out.append(ProbeEndpoint(dev.id, address, zone))
        return out


# -- the plan ----------------------------------------------------------------------------------


def _service_from_policy(services: Iterable[object], name: str) -> ProbeService | None:
    for service in services:
        proto = getattr(service, "proto", "")
        ports = getattr(service, "ports", ())
        if proto in ("tcp", "udp") and ports:
            return ProbeService(proto, ports[0].lo, name)
        if proto in ("icmp", "icmpv6"):
            return ProbeService(proto, 0, name)
    return None


def _reach_service(reach: ZoneReach) -> ProbeService | None:
    """The service of a zone reach's example packet (``tcp 1.2.3.4:1024 -> 5.6.7.8:80 …``)."""
    words = reach.example.split()
    if len(words) < 4:
        return None
    proto, target = words[0], words[3]
    if proto in ("icmp", "icmpv6"):
        return ProbeService(proto, 0, "ping")
    port = target.rpartition(":")[2]
    if proto in ("tcp", "udp") and port.isdigit():
        # port 0 (the example of a rule allowing any port) cannot be sent: take port 1; the
        # expectation is computed for the probe actually sent, so it stays consistent
        return ProbeService(proto, int(port) or 1, "reach")
    return None


@dataclass
class _Planner:
    inventory: Inventory
    model: StaticModel
    endpoints: Endpoints
    vantage: Device | None
    probes: dict[str, Probe] = field(default_factory=dict)

    def source(self, zone: str, within: Sequence[IPNetwork] = ()) -> ProbeEndpoint | None:
        if self.vantage is None:
            return self.endpoints.source(zone, within)
        if zone != self.vantage.zone:
            return None
        addresses = self.endpoints.in_zone(self.vantage, zone, within)
        return ProbeEndpoint(self.vantage.id, addresses[0], zone) if addresses else None

    def add(self, source: ProbeEndpoint, target: ProbeEndpoint, service: ProbeService,
            purpose: str) -> None:
        if source.device == target.device or source.address.version != target.address.version:
            return
        if service.proto == "icmpv6" and source.address.version == 4:
            service = ProbeService("icmp", 0, service.name)
        probe = Probe(source, target, service, purpose,
                      self.model.expect(source, target, service),
                      tuple(z for z in (source.zone, target.zone)
                            if self.inventory.zone_by_id[z].isolation is Isolation.PHYSICAL))
        self.probes.setdefault(probe.key, probe)

    def pair(self, a: str, b: str, services: Sequence[ProbeService], purpose: str,
             src: Sequence[IPNetwork] = (), dst: Sequence[IPNetwork] = ()) -> None:
        source = self.source(a, src)
        if source is None:
            return
        for i, target in enumerate(self.endpoints.targets(b, source, dst)):
            for service in services if i == 0 else [s for s in services
                                                    if s in EXTRA_PATH_SERVICES]:
                self.add(source, target, service, purpose)


def plan_probes(inv: Inventory, gateways: Sequence[GatewayRuleset], policy: FirewallPolicy,
                reach: Iterable[ZoneReach] = (), vantage: str | None = None) -> ProbePlan:
    """The probe plan of ``inv`` (see the module docstring).

    With ``vantage`` (a device id), only probes from that device's zone, all starting at that
    device; raises :class:`UsageError` when the device does not exist or has no address to
    probe from.
    """
    vantage_dev: Device | None = None
    if vantage is not None:
        vantage_dev = inv.device_by_id.get(vantage)
        if vantage_dev is None:
            raise UsageError(f"--from: no device {vantage!r} in the inventory")
    model = StaticModel(inv, gateways)
    endpoints = Endpoints(inv, model, model.gateways)
    if vantage_dev is not None and not endpoints.in_zone(vantage_dev, vantage_dev.zone):
        raise UsageError(f"--from {vantage}: the device has no linked interface address in "
                         f"its zone {vantage_dev.zone} to probe from")
    planner = _Planner(inv, model, endpoints, vantage_dev)
    zones = [z.id for z in inv.zones]
    physical = {z.id for z in inv.zones if z.isolation is Isolation.PHYSICAL}
    untrusted = set(policy.untrusted_zones) | {
        z.id for z in inv.zones if z.kind is ZoneKind.INTERNET}
    risky = [s for r in policy.risky_services
             if (s := _service_from_policy(r.services, r.name)) is not None]
    for flow in inv.flows:
        declared = [s for svc in flow.services
                    if (s := _service_from_policy([svc], f"flow {flow.name}")) is not None]
        planner.pair(flow.source, flow.target, declared or [ICMP], f"flow '{flow.name}'",
                     flow.src, flow.dst)
    for a in zones:
        for b in zones:
            if a == b:
                continue
            if a in physical or b in physical:
                services: Sequence[ProbeService] = ISOLATED_SERVICES
            elif a in untrusted:
                services = [*UNTRUSTED_SERVICES, *risky]
            else:
                services = [*INTERNAL_SERVICES, *([DNS] if b in untrusted else [])]
            planner.pair(a, b, services, f"{a} -> {b}")
    for r in reach:
        service = _reach_service(r)
        if service is not None:
            planner.pair(r.source, r.target, [service], f"reach {r.source} -> {r.target}")
    for gw in model.gateways.values():
        for zone in gw.touching_zones():
            source = planner.source(zone)
            if source is None:
                continue
            for address in endpoints.in_zone(gw.device, zone):
                for service in MANAGEMENT_SERVICES:
                    planner.add(source, ProbeEndpoint(gw.device.id, address, zone), service,
                                f"{gw.device.id} management")
                break
    return ProbePlan(inv.site.id, tuple(planner.probes.values()), vantage)
