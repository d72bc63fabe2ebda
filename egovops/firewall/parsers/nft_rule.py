"""nftables rule semantics shared by the ``nftables`` (text) and ``nftables-json`` parsers.

Both parsers reduce a rule to the same calls on a :class:`NftRuleBuilder`: one
:meth:`~NftRuleBuilder.condition` per match expression (``ip saddr != 10.0.0.0/8``), one
:meth:`~NftRuleBuilder.statement` per statement (``counter``, ``log``, a verdict), then
:meth:`~NftRuleBuilder.rule`. Each unreadable expression raises
:class:`~egovops.firewall.parsers.problems.Unreadable`; the parser logs it and goes on with
the next expression, so one rule can report several problems.

What is read: ``ip``/``ip6`` ``saddr``/``daddr``/``protocol``/``nexthdr``; ``tcp``/``udp``/
``sctp``/``th`` ``sport``/``dport``; ``icmp``/``icmpv6`` ``type``/``code``; ``meta``
``l4proto``/``iifname``/``oifname``/``iif``/``oif``/``nfproto``/``protocol``; ``ct state``;
values as single values, prefixes, ranges, anonymous sets and ``@named`` sets; the statements
``counter``, ``log`` and the verdicts ``accept``/``drop``/``reject``/``jump``/``goto``/
``return``/``continue``. Everything else (marks, rate limits, NAT, maps, ``tcp flags``…) is
reported as ``unsupported``: ignoring it would change what the rule matches.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from egovops.firewall.model import (
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
from egovops.firewall.parsers.problems import Unreadable


@dataclass(frozen=True)
class Prefix:
    """``10.0.0.0/8`` as an element of an nftables value."""

    addr: str
    length: int


@dataclass(frozen=True)
class Range:
    """``1024-65535`` or ``10.0.0.1-10.0.0.9`` as an element of an nftables value."""

    lo: str
    hi: str


Element = str | Prefix | Range
"""One element of a value; numbers are kept as their decimal text."""

FAMILY_VERSION: dict[str, int | None] = {
    "ip": 4, "ip6": 6, "inet": None, "netdev": None,
}
"""Table families that filter IP packets, to the address family they imply."""

NFPROTO: dict[str, int] = {"ipv4": 4, "ipv6": 6, "ip": 4, "ip6": 6}

OPERATORS: dict[str, str] = {
    "==": "==", "eq": "==", "in": "==", "!=": "!=", "ne": "!=",
    "<": "<", "lt": "<", ">": ">", "gt": ">", "<=": "<=", "le": "<=", ">=": ">=", "ge": ">=",
}
"""Comparison operators (text and JSON spellings) to one spelling each."""

CT_STATES = {state.value: state for state in ConnState}

PORT_PROTOCOLS = {"tcp": 6, "udp": 17, "sctp": 132, "udplite": 136, "dccp": 33, "th": None}

CHAIN_POLICIES: dict[str, Action] = {"accept": Action.ACCEPT, "drop": Action.DROP}
"""Base-chain ``policy`` words."""

VERDICTS: dict[str, Action] = {
    "accept": Action.ACCEPT, "drop": Action.DROP, "reject": Action.REJECT,
    "jump": Action.JUMP, "goto": Action.GOTO, "return": Action.RETURN,
    "continue": Action.CONTINUE,
}


def _networks(elements: tuple[Element, ...]) -> tuple[IPNetwork, ...]:
    networks: list[IPNetwork] = []
    for element in elements:
        if isinstance(element, Prefix):
            networks.append(addresses.network(f"{element.addr}/{element.length}"))
        elif isinstance(element, Range):
            networks.extend(addresses.address_range(element.lo, element.hi))
        else:
            networks.append(addresses.network(element))
    return tuple(networks)


def _ports(elements: tuple[Element, ...]) -> tuple[PortRange, ...]:
    ranges: set[PortRange] = set()
    for element in elements:
        if isinstance(element, Prefix):
            raise ValueError(f"a prefix ({element.addr}/{element.length}) is not a port")
        if isinstance(element, Range):
            ranges.add(ports.port_range(element.lo, element.hi))
        else:
            ranges.add(ports.port_range(element))
    return tuple(sorted(ranges))


def _scalars(elements: tuple[Element, ...], what: str) -> tuple[str, ...]:
    values = []
    for element in elements:
        if not isinstance(element, str):
            raise ValueError(f"{what} takes single values, not ranges or prefixes")
        values.append(element)
    return tuple(values)


def _compare_ports(op: str, elements: tuple[Element, ...]) -> tuple[PortRange, ...]:
    """Ports for ``tcp dport < 1024`` and friends."""
    (value,) = _scalars(elements, "a port comparison")
    number = ports.port_number(value)
    lo, hi = {
        "<": (0, number - 1), "<=": (0, number), ">": (number + 1, 65535), ">=": (number, 65535),
    }[op]
    if lo > hi:
        raise ValueError(f"'{op} {value}' matches no port")
    return (PortRange(lo, hi),)


@dataclass
class NftRuleBuilder:
    """Accumulates the conditions and statements of one nftables rule."""

    table_family: str
    sets: dict[str, tuple[Element, ...]]
    """Named sets of the rule's table, by name (without ``@``)."""
    unreadable_sets: dict[str, str] = field(default_factory=dict)
    """Named sets whose elements could not be read, with the reason (reported where used)."""
    fields: dict[str, object] = field(default_factory=dict)
    protocols: frozenset[int] | None = None
    protocols_negated: bool = False
    family: int | None = None
    action: Action = Action.CONTINUE
    target: str | None = None
    has_verdict: bool = False
    log: bool = False
    counters: tuple[int, int] | None = None

    def __post_init__(self) -> None:
        self.family = FAMILY_VERSION.get(self.table_family)

    # -- values -------------------------------------------------------------------------------

    def resolve(self, elements: tuple[Element, ...]) -> tuple[Element, ...]:
        """Replace ``@name`` set references by the set's elements."""
        resolved: list[Element] = []
        for element in elements:
            if isinstance(element, str) and element.startswith("@"):
                name = element[1:]
                if name in self.unreadable_sets:
                    raise Unreadable(f"set @{name}: {self.unreadable_sets[name]}",
                                     "unsupported")
                if name not in self.sets:
                    raise Unreadable(f"set @{name} is not defined in this table",
                                     "unknown-reference")
                resolved.extend(self.sets[name])
            else:
                resolved.append(element)
        return tuple(resolved)

    # -- conditions ---------------------------------------------------------------------------

    def condition(self, selector: tuple[str, ...], op: str, value: tuple[Element, ...]) -> None:
        """Add ``selector op value``: e.g. ``("ip", "saddr")``, ``"!="``, ``(Prefix(...),)``.

        ``selector`` is ``(protocol, field)`` for payload expressions, ``("meta", key)``,
        ``("ct", key)``; the short forms ``iifname``/``oifname``/``iif``/``oif``/``l4proto``
        are passed as ``("meta", key)``.
        """
        spelled = " ".join(selector)
        if op not in OPERATORS:
            raise Unreadable(f"operator {op!r} in '{spelled}' is not supported", "unsupported")
        op = OPERATORS[op]
        try:
            elements = self.resolve(value)
            self._condition(selector, spelled, op, elements)
        except ValueError as error:
            raise Unreadable(f"{spelled}: {error}", "invalid-value") from None

    def _condition(self, selector: tuple[str, ...], spelled: str, op: str,
                   elements: tuple[Element, ...]) -> None:
        if not elements:
            raise Unreadable(f"'{spelled}' has an empty value", "syntax")
        negated = op == "!="
        ordered = op in ("<", ">", "<=", ">=")
        head, key = selector[0], selector[-1]
        if ordered and not (head in PORT_PROTOCOLS and key in ("sport", "dport")):
            raise Unreadable(f"'{spelled} {op}' comparisons are only read for ports",
                             "unsupported")
        if head in ("ip", "ip6") and key in ("saddr", "daddr"):
            self._family(4 if head == "ip" else 6, spelled)
            networks = _networks(elements)
            version = 4 if head == "ip" else 6
            if any(n.version != version for n in networks):
                raise ValueError(f"address of the wrong family for {head}")
            name = "src" if key == "saddr" else "dst"
            self._set(name, networks, spelled)
            self.fields[f"{name}_negated"] = negated
        elif (head, key) in (("ip", "protocol"), ("ip6", "nexthdr"), ("meta", "l4proto")):
            if head != "meta":
                self._family(4 if head == "ip" else 6, spelled)
            numbers = frozenset(ports.protocol_number(v)
                                for v in _scalars(elements, spelled))
            self._protocols(numbers, negated, spelled)
        elif head in PORT_PROTOCOLS and key in ("sport", "dport"):
            protocol = PORT_PROTOCOLS[head]
            if protocol is not None:
                self._protocols(frozenset({protocol}), False, spelled)
            ranges = _compare_ports(op, elements) if ordered else _ports(elements)
            name = "sports" if key == "sport" else "dports"
            self._set(name, ranges, spelled)
            self.fields[f"{name}_negated"] = negated
        elif head in ("icmp", "icmpv6") and key in ("type", "code"):
            self._icmp(head, key, elements, negated, spelled)
        elif head == "meta" and key in ("iifname", "oifname", "iif", "oif"):
            name = "in_interfaces" if key.startswith("i") else "out_interfaces"
            self._set(name, _scalars(elements, spelled), spelled)
            self.fields[f"{name}_negated"] = negated
        elif head == "meta" and key in ("nfproto", "protocol"):
            versions = set()
            for word in _scalars(elements, spelled):
                if word not in NFPROTO:
                    raise Unreadable(f"'{spelled} {word}' is not an IP family", "unsupported")
                versions.add(NFPROTO[word])
            if negated:
                versions = {4, 6} - versions
            if len(versions) != 1:
                raise Unreadable(f"'{spelled}' must select exactly one of IPv4, IPv6",
                                 "unsupported")
            self._family(versions.pop(), spelled)
        elif head == "ct" and key == "state":
            states = set()
            for word in _scalars(elements, spelled):
                if word not in CT_STATES:
                    raise ValueError(f"unknown connection state {word!r}")
                states.add(CT_STATES[word])
            if negated:
                states = set(ConnState) - states
            self._set("states", frozenset(states), spelled)
        else:
            raise Unreadable(f"match on '{spelled}' is not supported", "unsupported")

    def _set(self, name: str, value: object, spelled: str) -> None:
        if name in self.fields:
            raise Unreadable(f"a second condition on '{spelled}' in one rule is not supported",
                             "unsupported")
        self.fields[name] = value

    def _family(self, version: int, spelled: str) -> None:
        if self.family is not None and self.family != version:
            raise Unreadable(f"'{spelled}' contradicts the rule's address family "
                             f"(IPv{self.family})", "unsupported")
        self.family = version

    def _protocols(self, numbers: frozenset[int], negated: bool, spelled: str) -> None:
        current, current_negated = self.protocols, self.protocols_negated
        if current is None:
            result, result_negated = numbers, negated
        elif not negated and not current_negated:
            result, result_negated = current & numbers, False
        elif not negated:
            result, result_negated = numbers - current, False
        elif not current_negated:
            result, result_negated = current - numbers, False
        else:
            result, result_negated = current | numbers, True
        if not result and not result_negated:
            raise Unreadable(f"'{spelled}' contradicts the rule's other protocol conditions; "
                             "the rule can never match", "unsupported")
        self.protocols, self.protocols_negated = result, result_negated

    def _icmp(self, head: str, key: str, elements: tuple[Element, ...], negated: bool,
              spelled: str) -> None:
        version = 4 if head == "icmp" else 6
        if negated:
            raise Unreadable(f"'{spelled} !=' is not supported", "unsupported")
        self._family(version, spelled)
        self._protocols(frozenset({1 if version == 4 else 58}), False, spelled)
        words = _scalars(elements, spelled)
        if key == "type":
            self._set("icmp", tuple(ports.icmp_match(w, version) for w in words), spelled)
            return
        current = self.fields.get("icmp")
        if not isinstance(current, tuple) or len(current) != 1 or len(words) != 1:
            raise Unreadable(f"'{spelled}' is only read after a single '{head} type'",
                             "unsupported")
        (only,) = current
        assert isinstance(only, IcmpMatch)
        self.fields["icmp"] = (ports.icmp_match(str(only.type), version, words[0]),)

    # -- statements ---------------------------------------------------------------------------

    def counter(self, packets: int, octets: int) -> None:
        """A ``counter`` statement (with its values, 0 when not shown)."""
        self.counters = (packets, octets)

    def log_statement(self) -> None:
        """A ``log`` statement: the rule logs what it matches."""
        self.log = True

    def verdict(self, word: str, target: str | None = None) -> None:
        """A verdict statement: ``accept``, ``drop``, ``reject``, ``jump X``, ``goto X``…"""
        if self.has_verdict:
            raise Unreadable(f"a second verdict '{word}' in one rule", "syntax")
        if word not in VERDICTS:
            raise Unreadable(f"statement '{word}' is not supported", "unsupported")
        action = VERDICTS[word]
        if action in (Action.JUMP, Action.GOTO) and not target:
            raise Unreadable(f"'{word}' needs a chain name", "syntax")
        self.action, self.target, self.has_verdict = action, target, True

    # -- result -------------------------------------------------------------------------------

    def match(self) -> Match:
        """The conjunction of the conditions read so far."""
        values: dict[str, Any] = dict(self.fields)
        if self.protocols is not None:
            values["protocols"] = tuple(sorted(self.protocols))
            values["protocols_negated"] = self.protocols_negated
        values["family"] = self.family
        return Match(**values)

    def rule(self, source: SourceRef, text: str, name: str = "", comment: str = "") -> Rule:
        """The finished rule."""
        return Rule(
            match=self.match(),
            action=self.action,
            target=self.target,
            log=self.log,
            comment=comment,
            name=name,
            counters=self.counters,
            source=source,
            text=text,
        )
