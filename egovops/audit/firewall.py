"""Firewall audit: gateway rulesets against the policy, and what each zone can send to each other.

Input: the inventory (devices with a saved ``config``), the parsed and flattened rulesets, and
the :class:`~egovops.model.policy.FirewallPolicy`. Every answer is exact: packet sets are BDDs
(:mod:`egovops.firewall.packetset`), so "telnet reachable from the internet" means some packet
of that shape is accepted, and the finding shows one.

Zones on a device. A packet comes *from zone Z* at device D when its source address lies in Z's
prefixes (for a zone without prefixes, such as the internet: outside every other zone's
prefixes), it enters on one of D's interfaces in Z (when D declares any), and its vendor source
zone is one that ``D.firewall_zones`` maps to Z (when D maps any). *To zone Z* is the same on
the destination side.

Fail closed. Every boundary device (:func:`boundary_devices`: a declared gateway of a zone, or
a firewall, VPN gateway or router touching two zones) is audited or is a finding:
``firewall.config-missing`` (no ``config:``), ``firewall.config-unreadable`` (the file cannot be
opened or decoded, or breaks the vendor's grammar: only that device fails, the others are still
audited), ``firewall.config-empty`` (an empty file, or a ruleset without a rule or a policy that
filters). Constructs the parser skipped are ``firewall.parse-unsupported`` findings at their
``file:line``. See :func:`read_gateway_rulesets`.

Unproven. Uncertain rules (:attr:`~egovops.firewall.flatten.FlatRule.uncertain`) are read both
ways: :meth:`GatewayRuleset.bounds` gives the largest and the smallest set of new connections a
hook may accept. A skipped construct without a placeholder rule (:attr:`GatewayRuleset.taint`)
bends the whole device: its bound ``lower`` or ``both`` makes the upper bound "everything the
hook sees", ``upper`` or ``both`` the lower bound "nothing". Reach entries and findings whose
result differs between the bounds say ``unproven`` (with what they depend on) instead of being
proved; every finding about a tainted device is unproven. A device without skips and uncertain
rules has equal bounds: the results are exact, as before.

Chains. Base chains are grouped by hook. Forwarding hooks (``forward``, ACLs applied to
interfaces, USG ``security-policy``, H3C zone pairs) carry traffic between zones: a packet gets
through a hook when every base chain on it accepts it (netfilter semantics). ``input`` and
VTY/SSH line ACLs guard the device's own management plane. Each hook is judged on its own here;
paths that cross several firewalls in a row are composed by :mod:`egovops.audit.reach`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from egovops.audit.registry import finding_of, phrase, split_bilingual
from egovops.errors import ConfigError, Problem, display_path
from egovops.firewall.analysis import AnomalyKind, analyze, decide, verdict_sets
from egovops.firewall.flatten import FlatChain, flatten
from egovops.firewall.model import (
    Action,
    Bound,
    ConnState,
    IPNetwork,
    Match,
    PortRange,
    Ruleset,
    Skipped,
)
from egovops.firewall.packetset import HeaderSpace, Packet, PacketSet
from egovops.firewall.ruleset_file import read_ruleset
from egovops.model.findings import Finding, ParamValue, Severity, ZoneReach
from egovops.model.inventory import Device, DeviceRole, Flow, Inventory, Service, Zone, ZoneKind
from egovops.model.policy import FirewallPolicy

MGMT_HOOK_SUFFIXES = ("vty-in", "ssh-in")
IGNORED_HOOKS = frozenset({"output", "prerouting", "postrouting", "ingress", "egress"})
PROTO_NUMBERS = {"tcp": 6, "udp": 17, "icmp": 1, "icmpv6": 58}
FAIL_CLOSED_CHECKS = ("firewall.config-missing", "firewall.config-unreadable",
                      "firewall.config-empty", "firewall.parse-unsupported")
MLPS_BOUNDARY = "GB/T 22239-2019 8.1.3.1 边界防护"
MLPS_ACCESS = "GB/T 22239-2019 8.1.3.2 访问控制"
BOUNDARY_ROLES = frozenset({DeviceRole.FIREWALL, DeviceRole.VPN_GATEWAY, DeviceRole.ROUTER})
MAX_CITED = 3
"""Uncertain rules or skips an "unproven" note names before it says how many more."""


def is_management_hook(hook: str) -> bool:
    """Hooks guarding traffic to the device itself."""
    return hook == "input" or hook.endswith(MGMT_HOOK_SUFFIXES)


def is_forwarding_hook(hook: str) -> bool:
    """Hooks guarding traffic through the device."""
    return not is_management_hook(hook) and hook not in IGNORED_HOOKS


def zone_pair(hook: str) -> tuple[str, str] | None:
    """The (from, to) vendor zones of a zone-pair policy hook ``<policy>:<from>-><to>``."""
    target = hook.rpartition(":")[2]
    if "->" not in target:
        return None
    source, _, destination = target.partition("->")
    return source, destination


@dataclass(frozen=True)
class GatewayRuleset:
    """One device's parsed configuration, flattened, with its header space."""

    device: Device
    ruleset: Ruleset
    chains: tuple[FlatChain, ...]
    space: HeaderSpace
    zone_matches: dict[str, tuple[Match, Match]]
    """Zone id → (match "from this zone", match "to this zone") at this device."""
    taint: tuple[Skipped, ...] = ()
    """Skipped constructs no placeholder rule stands for (and that may change a verdict):
    they bend every result of the device (see the module docstring)."""

    @property
    def uncertain(self) -> bool:
        """Whether any result of the device may be unproven (uncertain rules or a taint)."""
        return bool(self.taint) or any(fr.uncertain for c in self.chains for fr in c.rules)

    @property
    def doubt(self) -> str:
        """What the device's unproven results depend on, for reports ("" when nothing)."""
        cited = [f"{s.source} {s.construct or s.reason} (skipped)" for s in self.taint]
        cited += list(dict.fromkeys(fr.uncertain for c in self.chains for fr in c.rules
                                    if fr.uncertain))
        if not cited:
            return ""
        more = f" and {len(cited) - MAX_CITED} more" if len(cited) > MAX_CITED else ""
        return "depends on " + "; ".join(cited[:MAX_CITED]) + more

    @property
    def tainted(self) -> str:
        """The doubt of a tainted device ("" when it is not): all of its findings carry it."""
        return self.doubt if self.taint else ""

    def bounds(self, chains: Sequence[FlatChain], seen: PacketSet | None = None
               ) -> tuple[PacketSet, PacketSet]:
        """(upper, lower) bound of the new connections every chain of one hook accepts, within
        ``seen`` (the packets the hook sees; default: all), taint included."""
        within = self.space.universe if seen is None else seen
        upper = self.accepted(chains, Bound.UPPER) & within
        if not self.uncertain:
            return upper, upper
        lower = self.accepted(chains, Bound.LOWER) & within
        if any(s.bound in (Bound.LOWER, Bound.BOTH) for s in self.taint):
            upper = self.space.from_match(Match(states=frozenset({ConnState.NEW}))) & within
        if any(s.bound in (Bound.UPPER, Bound.BOTH) for s in self.taint):
            lower = self.space.empty
        return upper, lower

    def hooks(
        self, predicate: Callable[[str], bool] = is_forwarding_hook
    ) -> dict[str, list[FlatChain]]:
        """Base chains by hook, for hooks the predicate accepts."""
        grouped: dict[str, list[FlatChain]] = {}
        for chain in self.chains:
            if chain.hook is not None and predicate(chain.hook):
                grouped.setdefault(chain.hook, []).append(chain)
        return grouped

    def accepted(self, chains: Sequence[FlatChain], bound: Bound | None = None) -> PacketSet:
        """New connections every chain of one hook accepts (for ``bound`` of the uncertain
        rules, see :func:`~egovops.firewall.analysis.verdict_sets`; the taint is not applied
        here, :meth:`bounds` does).

        Flows are judged by the connections they open: return traffic of an accepted connection
        (``ct state established,related``) is not a flow of its own.
        """
        result = self.space.from_match(Match(states=frozenset({ConnState.NEW})))
        for chain in chains:
            result = result & chain_accepts(chain, self.space, bound)
        return result

    def acl_binding(self, hook: str) -> tuple[str, tuple[str, ...]] | None:
        """``(in|out, interfaces)`` of an interface ACL hook ``<acl>:in|out``:
        ``Ruleset.objects[hook]`` names the places, the interface name being their last word.
        ``None`` for other hooks."""
        direction = hook.rpartition(":")[2]
        if direction not in ("in", "out"):
            return None
        places = self.ruleset.objects.get(hook, ())
        return direction, tuple(dict.fromkeys(p.split()[-1] for p in places if p.split()))

    def seen_by(self, hook: str) -> PacketSet:
        """The packets a hook sees at all: an interface ACL (hook ``<acl>:in|out``) those
        entering or leaving the interfaces it is applied to, a zone-pair policy
        (``<policy>:<from>-><to>``) those between its two vendor zones, any other hook every
        packet. Packets a hook does not see are neither accepted nor blocked by it."""
        binding = self.acl_binding(hook)
        if binding is not None:
            direction, ifaces = binding
            if not ifaces:
                return self.space.empty
            return self.space.from_match(Match(in_interfaces=ifaces) if direction == "in"
                                         else Match(out_interfaces=ifaces))
        pair = zone_pair(hook)
        if pair is not None:
            return self.space.from_match(Match(src_zones=(pair[0],), dst_zones=(pair[1],)))
        return self.space.universe

    def paired(self) -> PacketSet | None:
        """On a zone-pair firewall, the packets some zone-pair policy sees (the others cross
        zones without a policy and are dropped); ``None`` when there is no zone-pair hook."""
        pairs = [h for h in self.hooks() if zone_pair(h) is not None]
        if not pairs:
            return None
        found = self.space.empty
        for hook in pairs:
            found = found | self.seen_by(hook)
        return found

    def vendor_zones(self, iface: str | None) -> tuple[str | None, ...]:
        """Vendor zones the inventory maps to the zone of ``iface`` (``(None,)``: unnamed)."""
        if iface is None:
            return (None,)
        zone = self.device.interface_zone(iface)
        found = tuple(v for v, z in self.device.firewall_zones.items() if z == zone)
        return found or (None,)

    def touching_zones(self) -> list[str]:
        """Zones this device has an interface in or maps a vendor zone to, in inventory order."""
        return list(self.zone_matches)


def chain_accepts(chain: FlatChain, space: HeaderSpace, bound: Bound | None = None) -> PacketSet:
    """The packets one base chain lets on: those it accepts, and every packet of an address
    family the chain does not see (an IPv4-only table leaves IPv6 unfiltered); ``bound``
    reads uncertain rules for the upper or lower bound."""
    accepted = verdict_sets(chain, space, bound).get(Action.ACCEPT, space.empty)
    families = chain.families
    if families is None:
        return accepted
    unseen = frozenset({4, 6}) - families
    return accepted | space.from_match(Match(family=next(iter(unseen))))


def _decided(rule: object | None) -> ParamValue:
    """``; decided by RULE`` or ``; by the default policy``, in the reader's language."""
    return phrase("decided-by", rule=rule) if rule else phrase("by-default-policy")


def _address_families(device: Device) -> set[int]:
    """IP versions of the device's declared addresses (interfaces and management)."""
    found: set[int] = {a.version for iface in device.interfaces for a in iface.addresses}
    if device.mgmt is not None:
        found.add(device.mgmt.version)
    return found


def _internal_prefixes(inv: Inventory) -> tuple[IPNetwork, ...]:
    return tuple(p for z in inv.zones if z.kind is not ZoneKind.INTERNET for p in z.prefixes)


def zone_addresses(inv: Inventory, zone_id: str) -> tuple[tuple[IPNetwork, ...], bool]:
    """The addresses of a zone as (prefixes, negated): its own prefixes, or for a zone without
    prefixes (the internet) every address outside the other zones' prefixes."""
    zone = inv.zone_by_id[zone_id]
    if zone.prefixes and zone.kind is not ZoneKind.INTERNET:
        return tuple(zone.prefixes), False
    internal = _internal_prefixes(inv)
    return internal, bool(internal)


def zone_matches(inv: Inventory, device: Device) -> dict[str, tuple[Match, Match]]:
    """For each zone the device touches: the match for packets from it and to it."""
    zones: dict[str, Zone] = {}
    for iface in device.interfaces:
        zone = inv.zone_by_id[iface.zone or device.zone]
        zones.setdefault(zone.id, zone)
    for zone_id in device.firewall_zones.values():
        zones.setdefault(zone_id, inv.zone_by_id[zone_id])
    result: dict[str, tuple[Match, Match]] = {}
    for zone in sorted(zones.values(), key=lambda z: [x.id for x in inv.zones].index(z.id)):
        ifaces = tuple(i.name for i in device.interfaces if (i.zone or device.zone) == zone.id)
        vendor = tuple(name for name, zid in device.firewall_zones.items() if zid == zone.id)
        addresses, negated = zone_addresses(inv, zone.id)
        result[zone.id] = (
            Match(src=addresses, src_negated=negated, in_interfaces=ifaces, src_zones=vendor),
            Match(dst=addresses, dst_negated=negated, out_interfaces=ifaces, dst_zones=vendor),
        )
    return result


def service_matches(services: Iterable[Service]) -> list[Match]:
    """One match per service (protocol and destination ports)."""
    out = []
    for service in services:
        if service.proto == "any":
            out.append(Match())
            continue
        number = PROTO_NUMBERS.get(service.proto)
        proto = number if number is not None else int(service.proto)
        ports = tuple(PortRange(p.lo, p.hi) for p in service.ports)
        out.append(Match(protocols=(proto,), dports=ports))
    return out


def gateway_ruleset(inv: Inventory, device: Device, ruleset: Ruleset) -> GatewayRuleset:
    """One device's parsed ruleset, flattened, in a header space of its own; raises
    :class:`ConfigError` on jump loops."""
    chains = flatten(ruleset)
    zm = zone_matches(inv, device)
    matches = [fr.rule.match for c in chains for fr in c.rules]
    matches += [m for c in chains for fr in c.rules for m in (*fr.guard, *fr.excluded)]
    matches += [m for pair in zm.values() for m in pair]
    placed = {r.source for c in ruleset.chains for r in c.rules if r.uncertain}
    taint = tuple(s for s in ruleset.skipped
                  if s.bound is not Bound.NONE and s.source not in placed)
    return GatewayRuleset(device, ruleset, chains, HeaderSpace.for_matches(matches), zm, taint)


def device_zones(device: Device) -> list[str]:
    """Zones a device touches: its home zone, its interfaces' zones and the zones its vendor
    zones map to, in that order, each once."""
    found = [device.zone, *(i.zone or device.zone for i in device.interfaces),
             *device.firewall_zones.values()]
    return list(dict.fromkeys(found))


def boundary_devices(inv: Inventory) -> list[Device]:
    """Devices on a zone boundary, which the firewall audit must read: every declared gateway
    of a zone, and every firewall, VPN gateway and router that touches two zones or more. A
    data diode is a declared one-way device, not a ruleset; it is not among them."""
    gateways = {g for z in inv.zones for g in z.gateways}
    return [d for d in inv.devices if d.role is not DeviceRole.DATA_DIODE and (
        d.id in gateways or (d.role in BOUNDARY_ROLES and len(device_zones(d)) > 1))]


def boundary_severity(inv: Inventory, device: Device) -> Severity:
    """Critical for a device on a boundary of the inner network or the internet (it touches
    such a zone, or is its declared gateway), high elsewhere."""
    critical = {ZoneKind.INNER, ZoneKind.INTERNET}
    for zone in inv.zones:
        if zone.kind in critical and (zone.id in device_zones(device)
                                      or device.id in zone.gateways):
            return Severity.CRITICAL
    return Severity.HIGH


@dataclass(frozen=True)
class GatewaysRead:
    """What :func:`read_gateway_rulesets` read, and what it could not read as findings."""

    gateways: tuple[GatewayRuleset, ...]
    findings: tuple[Finding, ...]
    problems: tuple[Problem, ...] = ()
    """Every problem of the unreadable files (the findings cite them too)."""


def _device_finding(inv: Inventory, device: Device, check: str, origin: str,
                    **params: ParamValue) -> Finding:
    return finding_of(check, {"device": device.id, **params}, subject=f"{device.id}:config",
                      severity=boundary_severity(inv, device),
                      origin=origin or str(device.origin or ""), zones=device_zones(device))


def config_missing(inv: Inventory, device: Device) -> Finding:
    """``firewall.config-missing``: a boundary device without a saved configuration."""
    return _device_finding(inv, device, "firewall.config-missing", "",
                           role=device.role.value, zones=", ".join(device_zones(device)))


def config_unreadable(inv: Inventory, device: Device, shown: str, error: ConfigError) -> Finding:
    """``firewall.config-unreadable``: the file cannot be read or breaks the vendor grammar;
    the evidence lists every problem with its ``file:line``."""
    problems = "; ".join(f"{p.location()}: {p.message}" for p in error.problems)
    first = error.problems[0].location() if error.problems else shown
    return _device_finding(inv, device, "firewall.config-unreadable", first,
                           summary=error.summary, problems=f": {problems}" if problems else "")


def config_empty(inv: Inventory, device: Device, shown: str, why: str) -> Finding:
    """``firewall.config-empty``: no rule and no filtering policy where a ruleset belongs."""
    return _device_finding(inv, device, "firewall.config-empty", shown, file=shown, why=why)


def parse_unsupported(inv: Inventory, device: Device, skip: Skipped, taints: bool) -> Finding:
    """``firewall.parse-unsupported``: one skipped construct at its ``file:line``, with the way
    it bends the proof. High (critical on an inner or internet boundary) when it taints the
    whole device; low when a placeholder rule carries it; info when it decides nothing."""
    scope: ParamValue
    if skip.bound is Bound.NONE:
        severity, scope = Severity.INFO, ""
    elif taints:
        severity = Severity.HIGH if boundary_severity(inv, device) is Severity.HIGH \
            else Severity.CRITICAL
        scope = phrase("scope-taints")
    else:
        severity, scope = Severity.LOW, phrase("scope-rule")
    return finding_of(
        "firewall.parse-unsupported",
        {"device": device.id, "construct": (skip.construct or skip.reason)[:120],
         "where": str(skip.source), "rule": f" (rule {skip.rule})" if skip.rule else "",
         "reason": skip.reason, "bends": phrase(f"bends-{skip.bound.value}"), "scope": scope},
        subject=f"{device.id}:{skip.source}:{skip.construct}", origin=str(skip.source),
        severity=severity, zones=device_zones(device))


def _filters_nothing(ruleset: Ruleset) -> bool:
    """No rule anywhere and no base chain whose policy denies: nothing is filtered."""
    return (not any(c.rules for c in ruleset.chains)
            and not any(c.policy is not None and c.policy is not Action.ACCEPT
                        for c in ruleset.base_chains)
            and not ruleset.skipped)


def audit_ruleset(inv: Inventory, device: Device, ruleset: Ruleset, shown: str,
                  boundary: bool) -> tuple[GatewayRuleset | None, list[Finding]]:
    """One parsed ruleset as an audited gateway plus its fail-closed findings: ``None`` and
    ``firewall.config-empty`` for a boundary device whose ruleset filters nothing; one
    ``firewall.parse-unsupported`` per skip. Raises :class:`ConfigError` on jump loops."""
    if boundary and _filters_nothing(ruleset):
        return None, [config_empty(inv, device, shown, "no rule and no policy that denies")]
    gw = gateway_ruleset(inv, device, ruleset)
    taint = set(gw.taint)
    return gw, [parse_unsupported(inv, device, s, s in taint) for s in ruleset.skipped]


def read_gateway_rulesets(inv: Inventory, config_dir: Path | None = None,
                          strict: bool = False) -> GatewaysRead:
    """Every device's saved ``config``, read fail-closed (see the module docstring).

    With ``config_dir``, each device's file is taken by name from that folder instead (to audit
    a candidate set of configurations before they are deployed). With ``strict``, a skipped
    construct makes its file unreadable (every construct listed) instead of a warning.
    """
    boundary = {d.id for d in boundary_devices(inv)}
    findings: list[Finding] = []
    problems: list[Problem] = []
    loaded: list[GatewayRuleset] = []
    for device in inv.devices:
        if device.config is None:
            if device.id in boundary:
                findings.append(config_missing(inv, device))
            continue
        if config_dir is not None:
            path = config_dir / Path(device.config).name
        else:
            path = Path(inv.root) / device.config
        shown = display_path(path)
        try:
            ruleset = read_ruleset(path, device.platform_info.firewall_format, strict=strict)
            gw, found = audit_ruleset(inv, device, ruleset, shown, device.id in boundary)
        except ConfigError as exc:
            if any(p.code == "empty-ruleset" for p in exc.problems) and not strict:
                findings.append(config_empty(inv, device, shown, exc.problems[0].message))
                continue
            problems.extend(exc.problems or [Problem(shown, 0, 0, exc.summary, "config")])
            findings.append(config_unreadable(inv, device, shown, exc))
            continue
        findings.extend(found)
        if gw is not None:
            loaded.append(gw)
    return GatewaysRead(tuple(loaded), tuple(findings), tuple(problems))


def load_gateway_rulesets(
    inv: Inventory, config_dir: Path | None = None
) -> tuple[GatewayRuleset, ...]:
    """Parse every device's saved ``config``; all unreadable files are reported together
    (a :class:`ConfigError`: for the probes, which need every gateway). The audit uses
    :func:`read_gateway_rulesets`, which goes on without the unreadable ones."""
    read = read_gateway_rulesets(inv, config_dir)
    if read.problems:
        raise ConfigError(f"{len(read.problems)} problem(s) in device configurations",
                          list(read.problems))
    return read.gateways


def zone_reach(gateways: Iterable[GatewayRuleset]) -> list[ZoneReach]:
    """For every gateway, forwarding hook and ordered pair of zones it touches: what passes.

    One hook of one gateway at a time; :func:`egovops.audit.reach.composed_zone_reach` adds
    what passes along paths that cross several firewalls."""
    found: list[ZoneReach] = []
    for gw in gateways:
        for hook, chains in gw.hooks().items():
            upper, lower = gw.bounds(chains, gw.seen_by(hook))
            for a in gw.touching_zones():
                for b in gw.touching_zones():
                    if a == b:
                        continue
                    pair = (gw.space.from_match(gw.zone_matches[a][0])
                            & gw.space.from_match(gw.zone_matches[b][1]))
                    packets = upper & pair
                    if packets.is_empty:
                        continue
                    example = packets.example()
                    found.append(ZoneReach(a, b, gw.device.id, hook, packets.describe(),
                                           packets.size(), str(example) if example else "",
                                           unproven=unproven_note(packets, lower & pair,
                                                                  gw.doubt)))
    return found


def unproven_note(upper: PacketSet, lower: PacketSet, doubt: str) -> str:
    """"" when the bounds agree (proved), else what is proved and what it depends on."""
    if (upper - lower).is_empty:
        return ""
    proved = "nothing" if lower.is_empty else lower.describe()
    return f"the packets shown may pass (upper bound), proved: {proved}; {doubt}"


@dataclass
class FirewallAudit:
    """Runs every firewall check over the loaded gateways; results in :attr:`findings`."""

    inventory: Inventory
    policy: FirewallPolicy
    gateways: tuple[GatewayRuleset, ...]
    findings: list[Finding] = field(default_factory=list)

    CHECKS = (
        "firewall.default-deny", "firewall.over-broad", "firewall.risky-service",
        "firewall.management-plane", "firewall.deny-logging", "firewall.required-flow",
        "firewall.undeclared-flow", "firewall.shadowed", "firewall.redundant",
        "firewall.correlated", "firewall.never-matches", "firewall.undefined-reference",
    )

    def run(self) -> list[Finding]:
        """Every finding of every check, for every gateway."""
        gateway_ids = {g for z in self.inventory.zones for g in z.gateways}
        for gw in self.gateways:
            self._anomalies(gw)
            self._deny_logging(gw)
            self._over_broad(gw)
            self._management_plane(gw)
            if gw.device.id in gateway_ids:
                self._default_deny(gw)
            self._risky_services(gw)
            self._flows(gw)
        return self.findings

    # -- helpers --------------------------------------------------------------------------

    def _add(self, check: str, severity: Severity, gw: GatewayRuleset, subject: str,
             origin: str, zones: tuple[str, ...] = (), unproven: str = "",
             **params: ParamValue | int) -> None:
        """A finding of registered ``check`` (see :mod:`egovops.audit.check_table`) about
        ``gw``; the message parameters are the check's, ``device`` is added here. Every
        finding about a tainted device is unproven."""
        self.findings.append(finding_of(
            check, {"device": gw.device.id, **params}, subject=f"{gw.device.id}:{subject}",
            severity=severity, origin=origin or str(gw.device.origin or ""), zones=zones,
            clauses=self.policy.mlps.get(check), unproven=unproven or gw.tainted,
        ))

    @staticmethod
    def _decider(gw: GatewayRuleset, chains: Sequence[FlatChain], example: Packet | None,
                 policy: ParamValue) -> tuple[ParamValue, str]:
        """(evidence suffix, origin) naming what accepts ``example`` in the first chain of a
        hook: its rule (uncertain rules read for the upper bound), ``policy`` for the default
        policy, or the skipped construct of a tainted device when the rules would not."""
        if example is None:
            return policy, ""
        rule, action = decide(chains[0], example, Bound.UPPER)
        if action is not Action.ACCEPT and gw.taint:
            where = str(gw.taint[0].source)
            return phrase("skipped-may-accept", where=where), where
        if rule is None:
            return policy, ""
        return phrase("decided-by", rule=rule), str(rule.source)

    @staticmethod
    def _doubt(gw: GatewayRuleset, proven: PacketSet) -> str:
        """"" when ``proven`` (the lower-bound part of a finding's packets) holds a packet,
        else what the finding depends on."""
        return "" if not proven.is_empty else gw.doubt

    def _untrusted(self, gw: GatewayRuleset) -> Iterator[tuple[str, Match]]:
        for zone in self.policy.untrusted_zones:
            pair = gw.zone_matches.get(zone)
            if pair is not None:
                yield zone, pair[0]

    # -- checks ---------------------------------------------------------------------------

    def _anomalies(self, gw: GatewayRuleset) -> None:
        kinds = {
            AnomalyKind.SHADOWED: ("firewall.shadowed", Severity.MEDIUM),
            AnomalyKind.REDUNDANT_SHADOWED: ("firewall.redundant", Severity.LOW),
            AnomalyKind.REDUNDANT: ("firewall.redundant", Severity.LOW),
            AnomalyKind.CORRELATED: ("firewall.correlated", Severity.INFO),
            AnomalyKind.GENERALISATION: ("firewall.correlated", Severity.INFO),
            AnomalyKind.NEVER_MATCHES: ("firewall.never-matches", Severity.LOW),
            AnomalyKind.UNDEFINED_REFERENCE: ("firewall.undefined-reference", Severity.HIGH),
        }
        for chain in gw.chains:
            for anomaly in analyze(chain, gw.space):
                check, severity = kinds[anomaly.kind]
                rule = anomaly.rule
                catch_all = rule.rule.match.is_any and not rule.guard
                if anomaly.kind is AnomalyKind.GENERALISATION and catch_all:
                    continue  # a final catch-all is meant to generalise the rules above it
                if anomaly.kind is AnomalyKind.REDUNDANT and rule.rule.log:
                    continue  # same verdict as the policy, but it logs: not removable
                kind = anomaly.kind.value
                self._add(check, severity, gw, f"{chain.name}#{rule.index}:{kind}",
                          str(rule.source), kind=phrase(f"anomaly.{kind}"), chain=chain.name,
                          rule=rule.rule.text or rule.rule.name, detail=anomaly.detail,
                          kind_detail=phrase(f"anomaly-detail.{kind}"),
                          related=", ".join(str(r.source) for r in anomaly.related) or "-",
                          example=phrase("example", packet=anomaly.example)
                          if anomaly.example else "")

    def _deny_logging(self, gw: GatewayRuleset) -> None:
        if not self.policy.require_deny_logging:
            return
        for chain in gw.chains:
            silent = [fr for fr in chain.rules
                      if fr.action in (Action.DROP, Action.REJECT) and not fr.rule.log
                      and not fr.implicit]
            if silent:
                where = ", ".join(str(fr.source) for fr in silent[:8])
                self._add("firewall.deny-logging", Severity.LOW, gw, f"{chain.name}:deny-log",
                          str(silent[0].source), count=len(silent), chain=chain.name,
                          rules=where, more=phrase("and-more", count=len(silent) - 8)
                          if len(silent) > 8 else "")

    def _over_broad(self, gw: GatewayRuleset) -> None:
        limits = self.policy.over_broad
        for chain in gw.chains:
            if chain.hook is None or not is_forwarding_hook(chain.hook):
                continue
            for fr in chain.rules:
                m = fr.rule.match
                if fr.action is not Action.ACCEPT or fr.guard or m.src_negated or m.dst_negated:
                    continue
                wide_src = not m.src or any(
                    p.version == 4 and p.prefixlen < limits.min_source_prefix for p in m.src)
                wide_dst = not m.dst or any(
                    p.version == 4 and p.prefixlen < limits.min_destination_prefix for p in m.dst)
                any_service = not m.protocols or (not m.dports and not m.icmp and set(
                    m.protocols) <= {6, 17, 132})
                if wide_src and wide_dst and (any_service or not limits.any_service):
                    if m.states and not ({s.value for s in m.states} & {"new", "invalid"}):
                        continue  # established/related return traffic is not over-broad
                    if m.in_interfaces and all(i == "lo" for i in m.in_interfaces):
                        continue
                    self._add("firewall.over-broad", Severity.HIGH, gw,
                              f"{chain.name}#{fr.index}:over-broad", str(fr.source),
                              chain=chain.name, rule=fr.rule.text or fr.rule.name,
                              services=phrase("any-service" if any_service else "services"),
                              src=", ".join(map(str, m.src)) if m.src else phrase("any"),
                              dst=", ".join(map(str, m.dst)) if m.dst else phrase("any"))

    def _default_deny(self, gw: GatewayRuleset) -> None:
        for chain in gw.chains:
            if chain.hook is None or chain.hook in IGNORED_HOOKS:
                continue
            unconditional = next(
                (fr for fr in chain.rules if not fr.guard and not fr.excluded
                 and fr.rule.match.is_any), None)
            verdict = unconditional.action if unconditional is not None else chain.policy
            if verdict is not Action.ACCEPT:
                continue
            by = (phrase("rule-accepts-all", rule=unconditional.source) if unconditional
                  else phrase("policy-accepts", chain=chain.name))
            self._add("firewall.default-deny", Severity.CRITICAL, gw, f"{chain.name}:default",
                      str(unconditional.source) if unconditional else "",
                      zones=tuple(gw.touching_zones()),
                      what=phrase("chain-default-allow", chain=chain.name, hook=chain.hook),
                      why=by, fix=phrase("set-default-drop"))
        # a family the device carries but no forwarding chain sees is forwarded unfiltered
        # (an iptables/nftables 'ip' table and no 'ip6' one, an IPv4 ACL and no IPv6 ACL)
        forwarding = [c for c in gw.chains if c.hook is not None and is_forwarding_hook(c.hook)]
        if not forwarding:
            return
        for family in sorted(_address_families(gw.device)):
            if any(c.families is None or family in c.families for c in forwarding):
                continue
            names = ", ".join(sorted({f"{c.name} ({c.family})" for c in forwarding}))
            six = "6" if family == 6 else ""
            how = (f"nft 'table inet' / 'table ip{six}', ip{six}tables, "
                   "IPv6 ACL")  # technical tokens only: the phrase carries the words
            self._add("firewall.default-deny", Severity.CRITICAL, gw, f"ipv{family}:default",
                      str(gw.ruleset.source), zones=tuple(gw.touching_zones()),
                      what=phrase("family-unfiltered", family=family),
                      why=phrase("family-no-chain", family=family, chains=names),
                      fix=phrase("family-add-filter", family=family, how=how))

    def _risky_services(self, gw: GatewayRuleset) -> None:
        untrusted = list(self._untrusted(gw))
        if not untrusted:
            return
        for hook, chains in gw.hooks(lambda h: h not in IGNORED_HOOKS).items():
            upper, lower = gw.bounds(chains, gw.seen_by(hook))
            for zone, from_zone in untrusted:
                source = upper & gw.space.from_match(from_zone)
                for risky in self.policy.risky_services:
                    wanted = gw.space.empty
                    for service in service_matches(risky.services):
                        wanted = wanted | gw.space.from_match(service)
                    hit = source & wanted
                    if hit.is_empty:
                        continue
                    proven = lower & gw.space.from_match(from_zone) & wanted
                    example = (proven if not proven.is_empty else hit).example()
                    by, where = self._decider(gw, chains, example, phrase("by-default-policy"))
                    reason_zh, reason_en = split_bilingual(risky.reason)
                    self._add("firewall.risky-service", risky.level, gw,
                              f"{hook}:{zone}:{risky.name}", where, zones=(zone,),
                              unproven=self._doubt(gw, proven),
                              service=risky.name, zone=zone, hook=hook,
                              packets=hit.describe(), example=str(example), decided=by,
                              reason=f": {reason_en}" if reason_en else "",
                              reason_zh=f"：{reason_zh}" if reason_zh else "")

    def _management_plane(self, gw: GatewayRuleset) -> None:
        mgmt_zone = self.inventory.zone_by_id.get(self.policy.management_zone)
        services = service_matches(self.policy.management_services)
        if not services:
            return
        wanted = gw.space.empty
        for s in services:
            wanted = wanted | gw.space.from_match(s)
        # new connections from outside the management zone's prefixes, not from the device itself
        outside = (gw.space.from_match(Match(states=frozenset({ConnState.NEW})))
                   - gw.space.from_match(Match(in_interfaces=("lo",))))
        if mgmt_zone is not None and mgmt_zone.prefixes:
            outside = outside - gw.space.from_match(Match(src=tuple(mgmt_zone.prefixes)))
        # only address families the device has an address in can reach it (an IPv4-only VTY
        # ACL leaves IPv6 logins open, which matters once the device has an IPv6 address)
        families = _address_families(gw.device)
        if len(families) == 1:
            outside = outside & gw.space.from_match(Match(family=next(iter(families))))
        local = gw.space.from_match(Match(dst_zones=("local",)))
        for hook, chains in gw.hooks(lambda h: h not in IGNORED_HOOKS).items():
            upper, lower = gw.bounds(chains)
            if is_management_hook(hook):
                scope = wanted & outside
            elif "local" in gw.space.zones.literals:
                # zone-based firewalls: traffic to the device itself goes to zone 'local'
                scope = wanted & outside & local
            else:
                continue
            hit = upper & scope
            if hit.is_empty:
                continue
            proven = lower & scope
            example = (proven if not proven.is_empty else hit).example()
            by, where = self._decider(gw, chains, example, phrase("by-default-policy"))
            # one finding per hook: the packets and the deciding rule are the evidence
            self._add("firewall.management-plane", Severity.HIGH, gw, f"{hook}:mgmt", where,
                      unproven=self._doubt(gw, proven), hook=hook, packets=hit.describe(),
                      example=str(example), decided=by, zone=self.policy.management_zone)

    def _blocked(self, gw: GatewayRuleset, flow_set: PacketSet, accepted: PacketSet,
                 zone: str) -> PacketSet | None:
        """What of a required flow is blocked, or ``None`` when one way in carries all of it.

        The flow may enter on any of the device's interfaces in its source zone (which one is a
        matter of routing); it is satisfied when, on at least one of them, every packet of it
        is accepted.
        """
        ifaces: list[str | None] = [
            i.name for i in gw.device.interfaces if (i.zone or gw.device.zone) == zone]
        blocked_everywhere: PacketSet | None = None
        for name in ifaces or [None]:
            part = flow_set
            if name is not None:
                part = part & gw.space.from_match(Match(in_interfaces=(name,)))
            if part.is_empty:
                continue
            blocked = part - accepted
            if blocked.is_empty:
                return None
            blocked_everywhere = blocked if blocked_everywhere is None else blocked_everywhere
        return blocked_everywhere

    def _flows(self, gw: GatewayRuleset) -> None:
        touching = gw.touching_zones()
        new = gw.space.from_match(Match(states=frozenset({ConnState.NEW})))
        # a hook judges only what it sees: an ACL on another interface or another zone pair's
        # policy neither blocks a flow (unseen packets count as let on) nor reports it as
        # undeclared
        judges = []
        for hook, chains in gw.hooks().items():
            seen = gw.seen_by(hook)
            judges.append((hook, chains, *gw.bounds(chains, seen), seen))
        paired = gw.paired()
        for a in touching:
            for b in touching:
                if a == b:
                    continue
                pair = (gw.space.from_match(gw.zone_matches[a][0])
                        & gw.space.from_match(gw.zone_matches[b][1]) & new)
                declared = gw.space.empty
                required = []
                for flow in self.inventory.flows:
                    if (flow.source, flow.target) != (a, b):
                        continue
                    if flow.via and gw.device.id not in flow.via:
                        continue
                    services = gw.space.empty
                    for s in service_matches(flow.services):
                        services = services | gw.space.from_match(s)
                    flow_set = pair & gw.space.from_match(Match(src=flow.src, dst=flow.dst))
                    flow_set = flow_set & services
                    declared = declared | flow_set
                    if flow.required:
                        required.append((flow, flow_set))
                for hook, chains, upper, lower, seen in judges:
                    for flow, flow_set in required:
                        self._required(gw, flow, flow_set, upper | (pair - seen), a, b,
                                       hook, hook,
                                       lower | (pair - seen) if gw.uncertain else None)
                    undeclared = (upper & pair) - declared
                    if not undeclared.is_empty:
                        proven = (lower & pair) - declared
                        example = (proven if not proven.is_empty else undeclared).example()
                        by, where = self._decider(gw, chains, example, "")
                        self._add("firewall.undeclared-flow", Severity.MEDIUM, gw,
                                  f"{hook}:{a}->{b}", where, zones=(a, b),
                                  unproven=self._doubt(gw, proven), source=a, target=b,
                                  hook=hook, packets=undeclared.describe(),
                                  example=str(example), decided=by)
                if paired is not None:
                    # zone-pair firewalls drop what crosses zones without a policy
                    for flow, flow_set in required:
                        self._required(gw, flow, flow_set, paired, a, b, "zone-pair",
                                       phrase("no-zone-pair-policy"))

    def _required(self, gw: GatewayRuleset, flow: Flow, flow_set: PacketSet,
                  passing: PacketSet, a: str, b: str, key: str, why: ParamValue,
                  passing_lower: PacketSet | None = None) -> None:
        """A finding when the required ``flow`` is blocked: not all of it is in ``passing``
        on any way in (see :meth:`_blocked`); unproven when only the lower bound of what
        passes (``passing_lower``) blocks it."""
        lower = passing if passing_lower is None else passing_lower
        blocked = self._blocked(gw, flow_set, lower, a)
        if blocked is None:
            return
        surely = self._blocked(gw, flow_set, passing, a) if lower is not passing else blocked
        unproven = gw.doubt if surely is None else ""
        example = blocked.example()
        self._add("firewall.required-flow", Severity.HIGH, gw, f"{key}:{flow.name}",
                  str(flow.origin or ""), zones=(a, b), unproven=unproven, flow=flow.name,
                  why=why, packets=blocked.describe(), example=str(example))

