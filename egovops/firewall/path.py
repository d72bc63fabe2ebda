"""One packet's way through a netfilter ruleset: every hook it crosses, NAT where it happens.

``check-packet`` (and any proof that wants the kernel's answer for one packet) asks what a
Linux router does with a packet it forwards. The kernel runs, in this order:

1. ``ingress`` (netdev family) chains attached to the packet's input interface;
2. ``prerouting`` chains by priority; destination NAT (nft ``type nat hook prerouting``,
   iptables ``*nat PREROUTING``, priority -100) rewrites the destination of a *new* connection
   there, so chains of higher priority, the routing decision and every later hook see the
   translated packet;
3. ``forward`` chains (``input`` instead when the packet was redirected to the router itself);
4. ``postrouting`` chains; source NAT (priority 100) rewrites the source after the forward
   filter, so it never changes the forward verdict, only what leaves.

In every hook a drop or reject is final and an accept hands the packet to the next chain
(:func:`egovops.firewall.analysis.verdict`). Chains of another address family (an ``ip`` table
for an IPv6 packet) and ``bridge`` chains (bridged frames, not routed packets) are not crossed.
NAT chains are consulted for ``new`` packets only: the translation of an established connection
was decided by its first packet. Within one hook the first NAT chain whose rule translates wins,
as in the kernel.

Pure functions over parsed data; :func:`forward_path` is the library call behind
``egovops firewall check-packet``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from egovops.firewall.analysis import decide
from egovops.firewall.flatten import FlatChain, FlatRule, flatten
from egovops.firewall.model import Action, Chain, ConnState, NatKind, Ruleset, Translation
from egovops.firewall.packetset import Packet

ROUTED_HOOKS = ("ingress", "prerouting", "forward", "postrouting")
LOCAL_HOOKS = ("ingress", "prerouting", "input")
"""Hooks a packet crosses when it is forwarded, and when it is delivered to the router."""
NOT_ROUTED_FAMILIES = frozenset({"bridge"})


@dataclass(frozen=True)
class Step:
    """One base chain the packet crossed, and what it decided."""

    hook: str
    chain: FlatChain
    rule: FlatRule | None
    """The deciding rule; ``None`` when the chain's policy decided."""
    action: Action
    packet: Packet
    """The packet as this chain saw it."""
    nat: Translation | None = None
    """For a NAT chain: the rewrite its rule applied (``None``: no NAT)."""
    nat_chain: bool = False
    """Whether this is a NAT chain (it rewrites; it only decides when it drops)."""


@dataclass(frozen=True)
class PathVerdict:
    """What the ruleset does with one packet on its way through the router."""

    packet: Packet
    """As it arrived."""
    action: Action
    steps: tuple[Step, ...]
    """Every chain crossed, in order, up to the one that ended the packet's way."""
    filtered: Packet
    """As the forward (or input) filter saw it: after destination NAT."""
    leaving: Packet
    """As it left the router: after source NAT too (addresses ``masquerade`` picks from the
    output interface are unknown to the ruleset and left as they were)."""
    local: bool = False
    """Redirected to the router itself (``redirect``): the input hook decided, not forward."""

    @property
    def deciding(self) -> Step | None:
        """The step that gave the verdict: the drop/reject; for an accept, the last rule that
        accepted at the forward (input) hook, else that hook's last policy, else the last
        filter chain crossed."""
        for step in self.steps:
            if step.action is not Action.ACCEPT:
                return step
        filters = [s for s in self.steps if not s.nat_chain]
        central = [s for s in filters if s.hook == ("input" if self.local else "forward")]
        by_rule = [s for s in central if s.rule is not None]
        for candidates in (by_rule, central, filters):
            if candidates:
                return candidates[-1]
        return None

    @property
    def rule(self) -> FlatRule | None:
        """The deciding rule (``None``: a policy, or no chain at all)."""
        step = self.deciding
        return step.rule if step is not None else None

    @property
    def translations(self) -> tuple[Step, ...]:
        """The NAT steps that rewrote the packet, in order."""
        return tuple(s for s in self.steps if s.nat is not None)


@dataclass(frozen=True)
class _Stage:
    hook: str
    priority: int
    order: int
    chain: FlatChain
    devices: tuple[str, ...]
    nat: bool


def _stages(ruleset: Ruleset) -> list[_Stage]:
    stages = []
    order = 0
    for nat, chains in ((False, ruleset.chains), (True, ruleset.nat_chains)):
        if not chains:
            continue
        declared = {(c.family, c.table, c.name): c for c in chains}
        flat_chains = flatten(dataclasses.replace(ruleset, chains=chains, nat_chains=()))
        for flat in flat_chains:
            chain: Chain = declared[(flat.family, flat.table, flat.name)]
            if chain.family in NOT_ROUTED_FAMILIES or flat.hook is None:
                continue
            stages.append(_Stage(flat.hook, chain.priority or 0, order, flat, chain.devices,
                                 nat))
            order += 1
    return stages


def forward_path(ruleset: Ruleset, packet: Packet) -> PathVerdict:
    """Every chain ``packet`` crosses when the router forwards it, with NAT applied where the
    kernel applies it; see the module docstring. Raises
    :class:`~egovops.errors.ConfigError` on jump loops (as :func:`flatten` does)."""
    stages = _stages(ruleset)
    steps: list[Step] = []
    current = packet
    filtered = packet
    local = False
    hooks = list(ROUTED_HOOKS)
    position = 0
    while position < len(hooks):
        hook = hooks[position]
        position += 1
        translated: set[NatKind] = set()
        for stage in sorted((s for s in stages if s.hook == hook),
                            key=lambda s: (s.priority, s.nat, s.order)):
            chain = stage.chain
            if chain.families is not None and current.family not in chain.families:
                continue
            if stage.devices and current.iif not in stage.devices:
                continue
            if stage.nat and (current.state is not ConnState.NEW or translated):
                continue
            rule, action = decide(chain, current)
            translation = rule.rule.nat if rule is not None and action is Action.ACCEPT \
                else None
            steps.append(Step(hook, chain, rule, action, current, translation, stage.nat))
            if action is not Action.ACCEPT:
                return PathVerdict(packet, action, tuple(steps), filtered, current, local)
            if translation is not None:
                translated.add(translation.kind)
                current = _rewrite(current, translation)
                if translation.kind is NatKind.REDIRECT and hook in ("prerouting", "output"):
                    local = True
                    hooks = [*hooks[:position], "input"]
        if hook in ("forward", "input"):
            filtered = current
    return PathVerdict(packet, Action.ACCEPT, tuple(steps), filtered, current, local)


def _rewrite(packet: Packet, translation: Translation) -> Packet:
    """``packet`` after ``translation`` (fields the translation leaves unknown unchanged)."""
    changes: dict[str, object] = {}
    destination = translation.kind in (NatKind.DNAT, NatKind.REDIRECT)
    address = translation.address
    if address is not None and address.version == packet.family:
        changes["dst" if destination else "src"] = address
    if translation.port is not None and packet.has_ports:
        changes["dport" if destination else "sport"] = translation.port
    return dataclasses.replace(packet, **changes)  # type: ignore[arg-type]
