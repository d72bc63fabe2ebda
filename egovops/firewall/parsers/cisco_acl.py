"""Cisco access-control entries, shared by the ``cisco-ios`` (IOS, IOS-XE, NX-OS) and
``cisco-asa`` parsers.

An extended ACE is ``{permit|deny} PROTOCOL SOURCE [PORTS] DESTINATION [PORTS] [OPTIONS]``. The
two dialects differ in how addresses are written (IOS wildcard masks, ASA netmasks and
``object`` references) and in their object groups; :class:`CiscoObjects` holds the groups of
one file and :class:`AceReader` reads one entry. An entry naming services of several protocols
becomes several rules (see :mod:`egovops.firewall.parsers.services`).

``established`` (TCP with ACK or RST set) is modelled as connection state ``established``.
``log``/``log-input`` set the rule's log flag. Anything else after the destination (``dscp``,
``fragments``, ``time-range``, ``ttl``, TCP flags…) restricts the match in a way the model
cannot express and is reported.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field

from egovops.firewall.model import (
    PROTOCOLS,
    Action,
    ConnState,
    IcmpMatch,
    IPNetwork,
    Match,
    PortRange,
    Rule,
    SourceRef,
)
from egovops.firewall.parsers import addresses, ports
from egovops.firewall.parsers.config_tree import Word
from egovops.firewall.parsers.problems import Unreadable
from egovops.firewall.parsers.services import Service, service_matches

ACTIONS = {"permit": Action.ACCEPT, "deny": Action.DROP}
PORT_OPERATORS = frozenset({"eq", "neq", "lt", "gt", "range"})
PORT_PROTOCOLS = frozenset({6, 17, 132})
TCP, UDP = 6, 17
UNSUPPORTED_OPTIONS = frozenset({
    "dscp", "precedence", "tos", "fragments", "time-range", "ttl", "option", "reflect",
    "evaluate", "match-any", "match-all", "ack", "syn", "fin", "psh", "rst", "urg",
    "packet-length", "http-method", "vlan", "udf", "nve", "log-update",
})


@dataclass
class Group:
    """One named object or object group, as declared (references resolved on use)."""

    kind: str
    """``network``, ``service`` or ``port`` (a port list for TCP/UDP ports only)."""
    line: int
    networks: list[IPNetwork] = field(default_factory=list)
    services: list[Service] = field(default_factory=list)
    ports: list[PortRange] = field(default_factory=list)
    includes: list[str] = field(default_factory=list)
    port_protocols: tuple[int, ...] = ()
    """For ``port`` groups: the protocols the ports are for (ASA ``object-group service X tcp``)."""


@dataclass
class CiscoObjects:
    """The named objects and groups of one configuration file."""

    groups: dict[str, Group] = field(default_factory=dict)
    unreadable: dict[str, str] = field(default_factory=dict)
    """Groups that could not be read, with the reason (reported again where used)."""

    def _group(self, name: str, kinds: tuple[str, ...]) -> Group:
        if name in self.unreadable:
            raise Unreadable(f"object {name!r} could not be read: {self.unreadable[name]}",
                             "unsupported")
        group = self.groups.get(name)
        if group is None:
            raise Unreadable(f"object {name!r} is not defined", "unknown-reference")
        if group.kind not in kinds:
            raise Unreadable(f"object {name!r} is a {group.kind} object, not "
                             f"{' or '.join(kinds)}", "invalid-value")
        return group

    def _walk(self, name: str, kinds: tuple[str, ...], seen: tuple[str, ...] = ()) -> list[Group]:
        if name in seen:
            raise Unreadable(f"object group {name!r} includes itself", "invalid-value")
        group = self._group(name, kinds)
        found = [group]
        for included in group.includes:
            found += self._walk(included, kinds, (*seen, name))
        return found

    def networks(self, name: str) -> tuple[IPNetwork, ...]:
        """Every prefix of network object/group ``name``, nested groups included."""
        return tuple(n for g in self._walk(name, ("network",)) for n in g.networks)

    def services(self, name: str) -> tuple[Service, ...]:
        """Every service of service object/group ``name`` (port groups give TCP/UDP services)."""
        found: list[Service] = []
        for group in self._walk(name, ("service", "port")):
            found += group.services
            for protocol in group.port_protocols:
                found.append(Service(protocol, dports=tuple(group.ports)))
        return tuple(found)

    def ports(self, name: str) -> tuple[PortRange, ...]:
        """The ports of port group ``name`` (ASA typed service group, NX-OS port group)."""
        return tuple(sorted({p for g in self._walk(name, ("port",)) for p in g.ports}))

    def is_port_group(self, name: str) -> bool:
        """Whether ``name`` is a port group (decides ASA's ``object-group`` after an address)."""
        group = self.groups.get(name)
        return group is not None and group.kind == "port"


class Words:
    """A cursor over the words of one entry."""

    def __init__(self, words: list[Word]) -> None:
        self.words = words
        self.index = 0

    def peek(self, ahead: int = 0) -> str | None:
        """The next word (lower-cased), or ``None`` at the end."""
        index = self.index + ahead
        return self.words[index].text.lower() if index < len(self.words) else None

    def take(self, what: str) -> Word:
        """The next word; ``Unreadable`` naming ``what`` when the entry ends early."""
        if self.index >= len(self.words):
            last = self.words[-1] if self.words else Word("", 1)
            raise Unreadable(f"missing {what}", "syntax", last.column + len(last.text))
        word = self.words[self.index]
        self.index += 1
        return word

    @property
    def column(self) -> int:
        """Column of the next word (or just after the last)."""
        if self.index < len(self.words):
            return self.words[self.index].column
        last = self.words[-1] if self.words else Word("", 1)
        return last.column + len(last.text)

    def at_end(self) -> bool:
        """Whether every word was read."""
        return self.index >= len(self.words)

    def expect_end(self) -> None:
        """``Unreadable`` at the first word left over, if any."""
        if not self.at_end():
            extra = self.take("nothing")
            raise Unreadable(f"{extra.text!r} is not understood here", "syntax", extra.column)


def port_words(cursor: Words, operator: str) -> tuple[tuple[PortRange, ...], bool]:
    """Ports after ``eq``/``neq``/``lt``/``gt``/``range`` (``eq`` may list several)."""
    column = cursor.column
    values = [cursor.take(f"a port after {operator!r}").text]
    if operator == "range":
        values.append(cursor.take("the second port of 'range'").text)
    elif operator == "eq":
        while (nxt := cursor.peek()) is not None and _is_port(nxt):
            values.append(cursor.take("a port").text)
    try:
        return ports.port_operator(operator, values)
    except ValueError as error:
        raise Unreadable(str(error), "invalid-value", column) from None


def _is_port(word: str) -> bool:
    try:
        ports.port_number(word)
    except ValueError:
        return False
    return True


def with_ports(services: list[Service], sports: tuple[PortRange, ...] | None, sneg: bool,
               dports: tuple[PortRange, ...] | None, dneg: bool, column: int) -> list[Service]:
    """``services`` restricted to the ports given after the addresses (TCP/UDP/SCTP only)."""
    if sports is None and dports is None:
        return services
    if any(s.protocol not in PORT_PROTOCOLS for s in services):
        raise Unreadable("port operators need protocol tcp, udp or sctp", "syntax", column)
    result = []
    for service in services:
        if (sports is not None and service.sports) or (dports is not None and service.dports):
            raise Unreadable("ports given both in a service group and in the entry", "syntax",
                             column)
        result.append(dataclasses.replace(
            service,
            sports=service.sports if sports is None else sports,
            sports_negated=service.sports_negated if sports is None else sneg,
            dports=service.dports if dports is None else dports,
            dports_negated=service.dports_negated if dports is None else dneg,
        ))
    return result


AddressReader = Callable[[Words], tuple[tuple[IPNetwork, ...], int | None]]
"""Reads one address argument; returns prefixes (empty = any) and the family it implies."""


@dataclass
class Ace:
    """One access-control entry, read."""

    action: Action
    matches: list[Match]
    log: bool


class AceReader:
    """Reads ``{permit|deny} …`` entries of one dialect."""

    def __init__(self, objects: CiscoObjects, address: AddressReader, family: int | None,
                 icmp_version: int = 4) -> None:
        self.objects = objects
        self.address = address
        self.family = family
        self.icmp_version = icmp_version

    def protocol(self, cursor: Words) -> list[Service]:
        """The protocol position: a name or number, or a service object/group."""
        word = cursor.take("a protocol")
        text = word.text.lower()
        if text in ("object-group", "object"):
            name = cursor.take(f"a name after {text!r}")
            try:
                return list(self.objects.services(name.text))
            except Unreadable as error:
                raise Unreadable(error.message, error.code, name.column) from None
        if text in ("ip", "ipv6") or (text == "ipv4"):
            return [Service(None)]
        if text == "icmp" and self.icmp_version == 6:
            return [Service(58)]
        try:
            return [Service(ports.protocol_number(text))]
        except ValueError as error:
            raise Unreadable(str(error), "invalid-value", word.column) from None

    def ports_after_address(self, cursor: Words) -> tuple[tuple[PortRange, ...] | None, bool]:
        """Optional ports after an address: an operator, or a port group."""
        nxt = cursor.peek()
        if nxt in PORT_OPERATORS:
            cursor.take("a port operator")
            return port_words(cursor, nxt)
        if nxt in ("object-group", "portgroup") and cursor.peek(1) is not None:
            name = cursor.words[cursor.index + 1]
            if nxt == "portgroup" or self.objects.is_port_group(name.text):
                cursor.index += 2
                try:
                    return self.objects.ports(name.text), False
                except Unreadable as error:
                    raise Unreadable(error.message, error.code, name.column) from None
        return None, False

    def extended(self, cursor: Words) -> Ace:
        """``{permit|deny} PROTOCOL SRC [PORTS] DST [PORTS] [OPTIONS]``."""
        action_word = cursor.take("permit or deny")
        action = ACTIONS.get(action_word.text.lower())
        if action is None:
            raise Unreadable(f"{action_word.text!r} is not permit, deny or remark", "syntax",
                             action_word.column)
        services = self.protocol(cursor)
        src, src_family = self.address(cursor)
        port_column = cursor.column
        sports, sneg = self.ports_after_address(cursor)
        dst, dst_family = self.address(cursor)
        dport_column = cursor.column
        dports, dneg = self.ports_after_address(cursor)
        services = with_ports(services, sports, sneg, None, False, port_column)
        services = with_ports(services, None, False, dports, dneg, dport_column)
        families = {f for f in (self.family, src_family, dst_family) if f is not None}
        if len(families) > 1:
            raise Unreadable("entry mixes IPv4 and IPv6 addresses", "invalid-value",
                             action_word.column)
        family = families.pop() if families else None
        log = False
        states: frozenset[ConnState] = frozenset()
        icmp: tuple[IcmpMatch, ...] = ()
        icmp_services = [s for s in services if s.protocol in (1, 58)]
        if icmp_services and len(icmp_services) == len(services) and not cursor.at_end():
            icmp = self.icmp_type(cursor)
        while not cursor.at_end():
            word = cursor.take("an option")
            text = word.text.lower()
            if text in ("log", "log-input"):
                log = self.log_arguments(cursor)
            elif text == "established":
                if any(s.protocol != TCP for s in services):
                    raise Unreadable("'established' needs protocol tcp", "syntax", word.column)
                states = frozenset({ConnState.ESTABLISHED})
            else:
                kind = "is not supported" if text in UNSUPPORTED_OPTIONS else "is not understood"
                raise Unreadable(f"option {word.text!r} {kind}", "unsupported"
                                 if text in UNSUPPORTED_OPTIONS else "syntax", word.column)
        if icmp:
            services = [dataclasses.replace(s, icmp=icmp) for s in services]
        base = Match(src=src, dst=dst, states=states, family=family)
        return Ace(action, service_matches(base, services), log)

    def icmp_type(self, cursor: Words) -> tuple[IcmpMatch, ...]:
        """An optional ICMP type (name, or number with optional code) after the destination."""
        nxt = cursor.peek()
        if nxt is None or nxt in ("log", "log-input") or nxt in UNSUPPORTED_OPTIONS:
            return ()
        if nxt == "object-group":
            raise Unreadable("ICMP type object groups are not supported", "unsupported",
                             cursor.column)
        word = cursor.take("an ICMP type")
        code = None
        if word.text.isdigit() and (following := cursor.peek()) is not None \
                and following.isdigit():
            code = cursor.take("an ICMP code").text
        try:
            return (ports.icmp_match(word.text, self.icmp_version, code),)
        except ValueError as error:
            raise Unreadable(str(error), "invalid-value", word.column) from None

    def log_arguments(self, cursor: Words) -> bool:
        """Read dialect-specific arguments after ``log``; whether logging is on."""
        del cursor
        return True


def rules_for(ace: Ace, line: int, file: str, name: str, text: str, comment: str) -> list[Rule]:
    """The rules one entry becomes (several when it names services of several protocols)."""
    return [
        Rule(match=match, action=ace.action, log=ace.log, comment=comment, name=name,
             source=SourceRef(file, line), text=text)
        for match in ace.matches
    ]


def host_address(cursor: Words) -> tuple[tuple[IPNetwork, ...], int]:
    """The address after ``host`` (both dialects), as a one-prefix tuple and its family."""
    word = cursor.take("an address after 'host'")
    try:
        network = addresses.network(addresses.address(word.text).compressed)
    except ValueError as error:
        raise Unreadable(str(error), "invalid-value", word.column) from None
    return (network,), network.version


PROTOCOL_NAMES = {number: name for name, number in reversed(PROTOCOLS.items())}


def describe(group: Group) -> tuple[str, ...]:
    """A group's members for ``Ruleset.objects`` (``10.20.1.0/24``, ``tcp/80,443``…)."""
    shown = [str(n) for n in group.networks]
    if group.kind == "port":
        names = "-".join(PROTOCOL_NAMES.get(p, str(p)) for p in group.port_protocols)
        shown += [f"{names}/{p}" for p in group.ports]
    for service in group.services:
        name = "ip" if service.protocol is None else PROTOCOL_NAMES.get(service.protocol,
                                                                         str(service.protocol))
        detail = ",".join(str(p) for p in service.dports) or ",".join(
            str(i.type) for i in service.icmp)
        shown.append(f"{name}/{detail}" if detail else name)
    shown += [f"group {name}" for name in group.includes]
    return tuple(shown)
