r"""nftables rule semantics shared by the ``nftables`` (text) and ``nftables-json`` parsers.

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
``return``/``continue``; the NAT statements ``dnat``/``snat``/``masquerade``/``redirect``
(:meth:`NftRuleBuilder.translate`); concatenations (``ip saddr . tcp dport { 10.0.0.1 . 22 }``)
and verdict maps (``tcp dport vmap { 22 : accept, 80 : jump web }``), both exact: the rule is
expanded into one rule per element, in element order (elements of one set never overlap, so the
first that matches is the only one).

Valid nftables the model cannot express (``meta mark``/``ct mark`` matches, ``limit``,
``quota``, ``tcp flags``, ``fib``, ``ether``…) raises :class:`Uncertain`: the parser records it
with :meth:`NftRuleBuilder.unsure` and keeps the rule with its other conditions and
:attr:`~egovops.firewall.model.Rule.uncertain` set; statements that only change metadata
(``meta mark set``, ``ct mark set``, ``notrack``) are :meth:`NftRuleBuilder.effect`\ s.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace
from typing import Any

from egovops.firewall.model import (
    Action,
    Bound,
    ConnState,
    IcmpMatch,
    IPNetwork,
    Match,
    NatKind,
    PortRange,
    Rule,
    SourceRef,
    Translation,
)
from egovops.firewall.parsers import addresses, ports
from egovops.firewall.parsers.netfilter import translation, uncertain_bound
from egovops.firewall.parsers.problems import Unreadable

MAX_EXPANSION = 4096
"""Rules one written rule may expand into (elements of a concatenation or verdict map)."""


class Uncertain(Unreadable):
    """Raised for valid nftables the model cannot express; the rule is kept, marked uncertain."""

    def __init__(self, message: str) -> None:
        super().__init__(message, "unsupported")


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


@dataclass(frozen=True)
class Concat:
    """``10.0.0.1 . 22``: one element of a concatenation, a part per selector."""

    parts: tuple[str | Prefix | Range, ...]


@dataclass(frozen=True)
class Mapped:
    """``22 : accept`` / ``80 : 10.0.0.5``: a map element, key and the value's words."""

    key: str | Prefix | Range | Concat
    value: tuple[str, ...]


Element = str | Prefix | Range | Concat | Mapped
"""One element of a value; numbers are kept as their decimal text."""

Selector = tuple[str, ...]
Condition = tuple[tuple[Selector, ...], str, tuple[Element, ...]]
"""(selectors, operator, value) as written; one selector unless a concatenation."""


@dataclass(frozen=True)
class Alternative:
    """One element of a concatenation or map: its conditions, and for a verdict map its
    verdict (word, chain)."""

    conditions: tuple[tuple[Selector, str, tuple[Element, ...]], ...]
    verdict: tuple[str, str | None] | None = None

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


def _flat(element: Element) -> str | Prefix | Range:
    if isinstance(element, Concat | Mapped):
        raise ValueError("a concatenation or map element where a single value belongs")
    return element


def _networks(elements: tuple[Element, ...]) -> tuple[IPNetwork, ...]:
    networks: list[IPNetwork] = []
    for element in map(_flat, elements):
        if isinstance(element, Prefix):
            networks.append(addresses.network(f"{element.addr}/{element.length}"))
        elif isinstance(element, Range):
            networks.extend(addresses.address_range(element.lo, element.hi))
        else:
            networks.append(addresses.network(element))
    return tuple(networks)


def _ports(elements: tuple[Element, ...]) -> tuple[PortRange, ...]:
    ranges: set[PortRange] = set()
    for element in map(_flat, elements):
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
    nat: Translation | None = None
    dynamic_sets: frozenset[str] = frozenset()
    """Named sets whose members change at run time (``flags dynamic``/``timeout``, or filled
    by rules): matching them is uncertain."""
    alternatives: list[tuple[Alternative, ...]] = field(default_factory=list)
    """Per concatenation or verdict map: its elements (the rule expands into their product)."""
    uncertain: list[tuple[str, str]] = field(default_factory=list)
    """(construct, reason) of every condition the model cannot express."""
    effects: list[tuple[str, str, Bound]] = field(default_factory=list)
    """(construct, reason, bound) of statements whose effect the model does not follow."""
    dropped: str = ""
    """Non-empty when the rule's verdict is decided outside the ruleset (``queue``): why."""

    def __post_init__(self) -> None:
        if self.family is None:
            self.family = FAMILY_VERSION.get(self.table_family)

    # -- values -------------------------------------------------------------------------------

    def resolve(self, elements: tuple[Element, ...]) -> tuple[Element, ...]:
        """Replace ``@name`` set references by the set's elements."""
        resolved: list[Element] = []
        for element in elements:
            if isinstance(element, str) and element.startswith("@"):
                name = element[1:]
                if name in self.unreadable_sets:
                    raise Uncertain(f"set @{name}: {self.unreadable_sets[name]}")
                if name in self.dynamic_sets:
                    raise Uncertain(f"set @{name} gets its members at run time")
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
            raise Uncertain(f"'{spelled} {op}' comparisons are only modelled for ports")
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
                    raise Uncertain(f"'{spelled} {word}' is not an IP family")
                versions.add(NFPROTO[word])
            if negated:
                versions = {4, 6} - versions
            if len(versions) != 1:
                raise Uncertain(f"'{spelled}' must select exactly one of IPv4, IPv6")
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
            raise Uncertain(UNMODELLED.get((head, key), f"match on '{spelled}' is not modelled"))

    def _set(self, name: str, value: object, spelled: str) -> None:
        if name in self.fields:
            raise Uncertain(f"a second condition on '{spelled}' in one rule is not modelled")
        self.fields[name] = value

    def _family(self, version: int, spelled: str) -> None:
        if self.family is not None and self.family != version:
            raise NeverMatches(f"'{spelled}' contradicts the rule's address family "
                               f"(IPv{self.family})")
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
            raise NeverMatches(f"'{spelled}' contradicts the rule's other protocol conditions; "
                               "the rule can never match")
        self.protocols, self.protocols_negated = result, result_negated

    def _icmp(self, head: str, key: str, elements: tuple[Element, ...], negated: bool,
              spelled: str) -> None:
        version = 4 if head == "icmp" else 6
        if negated:
            raise Uncertain(f"'{spelled} !=' is not modelled")
        self._family(version, spelled)
        self._protocols(frozenset({1 if version == 4 else 58}), False, spelled)
        words = _scalars(elements, spelled)
        if key == "type":
            self._set("icmp", tuple(ports.icmp_match(w, version) for w in words), spelled)
            return
        current = self.fields.get("icmp")
        if not isinstance(current, tuple) or len(current) != 1 or len(words) != 1:
            raise Uncertain(f"'{spelled}' is only modelled after a single '{head} type'")
        (only,) = current
        assert isinstance(only, IcmpMatch)
        self.fields["icmp"] = (ports.icmp_match(str(only.type), version, words[0]),)

    # -- concatenations and maps -------------------------------------------------------------

    def concat_condition(self, selectors: tuple[Selector, ...], op: str,
                         value: tuple[Element, ...]) -> None:
        """``ip saddr . tcp dport { 10.0.0.1 . 22, … }``: one alternative per element."""
        spelled = " . ".join(" ".join(s) for s in selectors)
        if OPERATORS.get(op) != "==":
            raise Uncertain(f"'{spelled} {op}' (a negated concatenation) is not modelled")
        alternatives = []
        for element in self.resolve(value):
            parts = element.parts if isinstance(element, Concat) else (element,)
            if isinstance(element, Mapped) or len(parts) != len(selectors):
                raise Unreadable(f"element {spell_element(element)} does not have the "
                                 f"{len(selectors)} parts of '{spelled}'", "syntax")
            alternatives.append(Alternative(tuple(
                (selector, "==", (part,)) for selector, part in zip(selectors, parts,
                                                                     strict=True))))
        self._expand(tuple(alternatives), spelled)

    def verdict_map(self, selectors: tuple[Selector, ...], value: tuple[Element, ...]) -> None:
        """``tcp dport vmap { 22 : accept, 80 : jump web }``: one verdict per element."""
        spelled = " . ".join(" ".join(s) for s in selectors)
        alternatives = []
        for element in self.resolve(value):
            if not isinstance(element, Mapped) or not element.value \
                    or element.value[0] not in VERDICTS:
                raise Unreadable(f"vmap element {spell_element(element)} is not 'KEY : VERDICT'",
                                 "syntax")
            key = element.key
            parts = key.parts if isinstance(key, Concat) else (key,)
            if len(parts) != len(selectors):
                raise Unreadable(f"vmap key {spell_element(key)} does not have the "
                                 f"{len(selectors)} parts of '{spelled}'", "syntax")
            word, *rest = element.value
            alternatives.append(Alternative(
                tuple((selector, "==", (part,))
                      for selector, part in zip(selectors, parts, strict=True)),
                (word, rest[0] if rest else None)))
        self._expand(tuple(alternatives), spelled)

    def _expand(self, alternatives: tuple[Alternative, ...], spelled: str) -> None:
        total = len(alternatives)
        for previous in self.alternatives:
            total *= len(previous)
        if total > MAX_EXPANSION:
            raise Uncertain(f"'{spelled}' would expand the rule into {total} rules (more "
                            f"than {MAX_EXPANSION})")
        self.alternatives.append(alternatives)

    # -- what the model does not follow -------------------------------------------------------

    def unsure(self, construct: str, reason: str) -> None:
        """A condition the model cannot express: the rule matches an unknown part of the rest."""
        self.uncertain.append((construct, reason))

    def effect(self, construct: str, reason: str, bound: Bound = Bound.NONE) -> None:
        """A statement that changes metadata later rules may match (``meta mark set``)."""
        self.effects.append((construct, reason, bound))

    def translate(self, kind: NatKind, to: str | None) -> None:
        """A NAT statement (``dnat to 10.0.0.5:8080``): the rule accepts with a rewrite."""
        if self.has_verdict:
            raise Unreadable(f"'{kind}' after a verdict", "syntax")
        try:
            self.nat = translation(kind, to)
        except ValueError as error:
            raise Unreadable(f"{kind} to {to}: {error}", "invalid-value") from None
        self.action, self.has_verdict = Action.ACCEPT, True

    @property
    def bound(self) -> Bound:
        """Which way this rule bends the proof when it is uncertain."""
        actions = {self.action} | {Action(VERDICTS[a.verdict[0]]) for alts in self.alternatives
                                   for a in alts if a.verdict is not None}
        if len(actions) > 1:
            return Bound.BOTH
        return uncertain_bound(actions.pop(), self.nat is not None)

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
        """The finished rule (without concatenations or maps: see :meth:`rules`)."""
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
            uncertain="; ".join(f"{c}: {r}" for c, r in self.uncertain),
            nat=self.nat,
        )

    def rules(self, source: SourceRef, text: str, name: str = "",
              comment: str = "") -> list[Rule]:
        """The finished rule, or one rule per element combination of its concatenations and
        verdict maps (an element that contradicts the rest of the rule can never match and is
        left out). Raises :class:`Unreadable` for an element that cannot be read."""
        if not self.alternatives:
            return [self.rule(source, text, name, comment)]
        if self.has_verdict and any(a.verdict for alts in self.alternatives for a in alts):
            raise Unreadable("a verdict map and a verdict in one rule", "syntax")
        result = []
        for combination in itertools.product(*self.alternatives):
            builder = replace(self, fields=dict(self.fields), alternatives=[])
            try:
                for alternative in combination:
                    for selector, op, value in alternative.conditions:
                        builder.condition(selector, op, value)
                    if alternative.verdict is not None:
                        builder.verdict(*alternative.verdict)
            except NeverMatches:
                continue
            result.append(builder.rule(source, text, name, comment))
        return result


class NeverMatches(Unreadable):
    """Raised when a rule's conditions contradict each other (it can never match)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, "unsupported")


UNMODELLED: dict[tuple[str, str], str] = {
    ("meta", "mark"): "packet marks are set at run time; the model does not track them",
    ("ct", "mark"): "connection marks are set at run time; the model does not track them",
    ("tcp", "flags"): "TCP flags are not a field of the rule model",
    ("ct", "status"): "conntrack status bits (dnat, snat, confirmed…) are not modelled",
    ("meta", "pkttype"): "the link-layer packet type is not modelled",
    ("ct", "direction"): "the conntrack direction is not modelled",
}
"""Why a match on a known nftables expression the model cannot express is uncertain."""


def spell_element(element: Element) -> str:
    if isinstance(element, Prefix):
        return f"{element.addr}/{element.length}"
    if isinstance(element, Range):
        return f"{element.lo}-{element.hi}"
    if isinstance(element, Concat):
        return " . ".join(spell_element(p) for p in element.parts)
    if isinstance(element, Mapped):
        return f"{spell_element(element.key)} : {' '.join(element.value)}"
    return element
