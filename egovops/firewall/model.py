"""Vendor-neutral firewall rulesets: what every parser produces and the analysis consumes.

A :class:`Ruleset` holds named :class:`Chain`\\ s. Base chains are attached to a hook (``input``,
``forward``, ``output`` for Linux; the ACL/policy name and direction for vendor devices) and have
a default policy; regular chains are reached by ``jump`` (come back at the end or on
``return``) or ``goto`` (do not come back). :func:`egovops.firewall.flatten.flatten` resolves
those into one ordered first-match list per base chain for the analysis.

A :class:`Match` is a conjunction of conditions; an empty field matches anything. Addresses are
prefix sets (IPv4 and IPv6 may mix; each prefix only matches packets of its family), ports are
inclusive ranges, protocols are IP protocol numbers. Negation is per field (``src_negated``…),
as in ``! -s 10.0.0.0/8`` or ``ip saddr != …``.

Pure data: frozen dataclasses, no I/O. Every rule remembers where it was written
(:class:`SourceRef`) so findings can cite ``file:line``.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from enum import StrEnum

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

PROTOCOLS: dict[str, int] = {
    "icmp": 1, "igmp": 2, "tcp": 6, "udp": 17, "gre": 47, "esp": 50, "ah": 51,
    "icmpv6": 58, "ipv6-icmp": 58, "ospf": 89, "sctp": 132,
}
"""Protocol names the parsers accept, to IP protocol numbers."""


class Action(StrEnum):
    """What a rule does with a packet it matches."""

    ACCEPT = "accept"
    DROP = "drop"
    REJECT = "reject"
    JUMP = "jump"
    GOTO = "goto"
    RETURN = "return"
    CONTINUE = "continue"
    """Non-terminal: counters, logging, marking. The packet goes on to the next rule."""

    @property
    def terminal(self) -> bool:
        """Whether the action ends evaluation with a verdict."""
        return self in (Action.ACCEPT, Action.DROP, Action.REJECT)

    @property
    def permits(self) -> bool:
        """Whether the verdict lets the packet through."""
        return self is Action.ACCEPT


class ConnState(StrEnum):
    """Connection-tracking states (``ct state`` / ``-m conntrack --ctstate``)."""

    NEW = "new"
    ESTABLISHED = "established"
    RELATED = "related"
    INVALID = "invalid"
    UNTRACKED = "untracked"


@dataclass(frozen=True, order=True)
class PortRange:
    """Inclusive range of ports, 0-65535."""

    lo: int
    hi: int

    def __post_init__(self) -> None:
        if not 0 <= self.lo <= self.hi <= 65535:
            raise ValueError(f"bad port range {self.lo}-{self.hi}")

    def __str__(self) -> str:
        return str(self.lo) if self.lo == self.hi else f"{self.lo}-{self.hi}"


@dataclass(frozen=True)
class IcmpMatch:
    """An ICMP (or ICMPv6, by ``version``) type, optionally with one code."""

    type: int
    code: int | None = None
    version: int = 4


@dataclass(frozen=True)
class SourceRef:
    """Where a rule or chain was written: file and 1-based line (0 = unknown)."""

    file: str
    line: int = 0

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file


class Bound(StrEnum):
    """Which way a construct the model skipped bends what the proof can claim.

    A skipped construct that may *accept* packets makes every proven reach a lower bound (more
    may get through than proven); one that may *deny* makes it an upper bound (less may get
    through); ``both`` when its verdict is unknown; ``none`` when it cannot change a verdict
    (a comment, a counter, a log target we do not model).
    """

    LOWER = "lower"
    UPPER = "upper"
    BOTH = "both"
    NONE = "none"


@dataclass(frozen=True)
class Skipped:
    """A construct the parser read but the rule model cannot express (Batfish-style parse
    warning): reported as ``firewall.parse-unsupported`` at ``source``, never silently dropped.
    """

    source: SourceRef
    construct: str
    """The construct as written (one line, shortened), e.g. ``-m limit --limit 5/s``."""
    reason: str
    """What was skipped and why, in English (the finding renders it)."""
    bound: Bound
    rule: str = ""
    """Name or text of the rule it belongs to, when it is part of one."""


@dataclass(frozen=True)
class Match:
    """A conjunction of conditions on a packet; an empty tuple means "any"."""

    src: tuple[IPNetwork, ...] = ()
    dst: tuple[IPNetwork, ...] = ()
    src_negated: bool = False
    dst_negated: bool = False
    protocols: tuple[int, ...] = ()
    protocols_negated: bool = False
    sports: tuple[PortRange, ...] = ()
    dports: tuple[PortRange, ...] = ()
    sports_negated: bool = False
    dports_negated: bool = False
    icmp: tuple[IcmpMatch, ...] = ()
    in_interfaces: tuple[str, ...] = ()
    out_interfaces: tuple[str, ...] = ()
    src_zones: tuple[str, ...] = ()
    dst_zones: tuple[str, ...] = ()
    states: frozenset[ConnState] = frozenset()
    family: int | None = None
    """4 or 6 when the rule only applies to one address family (``ip`` vs ``ip6`` tables)."""
    in_interfaces_negated: bool = False
    """``! -i eth0`` / ``iifname != "eth0"``: any interface except those listed."""
    out_interfaces_negated: bool = False

    @property
    def is_any(self) -> bool:
        """Whether this matches every packet."""
        return self == ANY


ANY = Match()


class NatKind(StrEnum):
    """What a NAT rule rewrites (iptables ``-t nat`` targets, nft ``type nat`` statements)."""

    DNAT = "dnat"
    """Destination to ``address``/``port`` (prerouting/output: before the forward filter)."""
    REDIRECT = "redirect"
    """Destination to the firewall itself (the input interface's primary address), ``port``."""
    SNAT = "snat"
    """Source to ``address``/``port`` (postrouting/input: after the forward filter)."""
    MASQUERADE = "masquerade"
    """Source to the output interface's primary address (unknown to the ruleset)."""


@dataclass(frozen=True)
class Translation:
    """The rewrite a NAT rule applies to the first packet of a connection.

    ``address``/``port`` are the first of the range written (``--to-destination
    10.0.0.1-10.0.0.3:80-81``: the kernel picks one of them per connection; the ruleset cannot
    say which, so :attr:`ranged` is set and the translated packet is one representative).
    ``None`` keeps the field as it is.
    """

    kind: NatKind
    address: ipaddress.IPv4Address | ipaddress.IPv6Address | None = None
    port: int | None = None
    ranged: bool = False

    def __str__(self) -> str:
        where = "" if self.address is None else str(self.address)
        if self.port is not None:
            where = f"{where}:{self.port}" if where else f":{self.port}"
        return f"{self.kind} to {where}".strip() if where else str(self.kind)


@dataclass(frozen=True)
class Rule:
    """One rule in a chain, in source order."""

    match: Match
    action: Action
    target: str | None = None
    """Chain name for ``jump``/``goto``."""
    log: bool = False
    comment: str = ""
    name: str = ""
    """Vendor rule id or name (``rule 5``, ``rule name web_out``, ACL sequence number)."""
    counters: tuple[int, int] | None = None
    """(packets, bytes) when the source shows them."""
    source: SourceRef = field(default_factory=lambda: SourceRef("", 0))
    text: str = ""
    """The rule as written, for evidence in findings."""
    uncertain: str = ""
    """Non-empty when the rule matches only an unknown part of ``match`` (it carries a
    condition the model cannot express, e.g. ``-m limit``): the reason. The proof then
    evaluates it both ways (matching and not) and reports results that differ as unproven.
    """
    nat: Translation | None = None
    """For rules of a NAT chain (:attr:`Ruleset.nat_chains`): the rewrite applied when the rule
    decides (action ``accept``); ``None`` with ``accept`` means "no NAT" (``-j ACCEPT``/``RETURN``
    in a nat chain, nft ``accept``)."""


@dataclass(frozen=True)
class Chain:
    """An ordered list of rules. Base chains have a hook and a default policy."""

    name: str
    rules: tuple[Rule, ...]
    hook: str | None = None
    policy: Action | None = None
    """Default verdict of a base chain (``None`` for regular chains)."""
    table: str = ""
    family: str = ""
    source: SourceRef = field(default_factory=lambda: SourceRef("", 0))
    priority: int | None = None
    """Order among base chains on the same hook (nftables ``priority``; lower runs first)."""
    devices: tuple[str, ...] = ()
    """Interfaces a netdev ``ingress``/``egress`` chain is attached to (it sees only their
    packets); empty for every other chain."""


@dataclass(frozen=True)
class Ruleset:
    """Everything parsed from one configuration file."""

    chains: tuple[Chain, ...]
    format: str
    """Parser that produced it: ``nftables-json``, ``nftables``, ``iptables``, ``cisco-ios``…"""
    source: str
    """File the ruleset came from."""
    objects: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Named address/service objects as declared, for reports (``object-group``, sets)."""
    skipped: tuple[Skipped, ...] = ()
    """Constructs read but not expressible in the model, in source order (parse warnings)."""
    nat_chains: tuple[Chain, ...] = ()
    """NAT chains (iptables ``*nat``, nft ``type nat``): kept apart from :attr:`chains` because
    they rewrite packets instead of filtering them. Their first matching rule (flattened like a
    filter chain: ``accept`` decides) gives the :class:`Translation`; see
    :mod:`egovops.firewall.path` for where each hook rewrites the packet."""

    def chain(self, name: str, table: str | None = None) -> Chain | None:
        """The chain called ``name`` (in ``table`` when given)."""
        for chain in self.chains:
            if chain.name == name and (table is None or chain.table == table):
                return chain
        return None

    @property
    def base_chains(self) -> tuple[Chain, ...]:
        """Chains attached to a hook, in source order."""
        return tuple(c for c in self.chains if c.hook is not None)
