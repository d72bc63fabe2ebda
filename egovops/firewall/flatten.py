"""Resolve ``jump``/``goto``/``return``/``continue`` into one first-match list per base chain.

The analysis (:mod:`egovops.firewall.analysis`) reasons about ordered lists of terminal rules:
the first rule whose condition holds decides. :func:`flatten` produces such a list for every
base chain of a :class:`~egovops.firewall.model.Ruleset` by inlining the chains reached through
``jump`` and ``goto``, in evaluation order (depth first), keeping the original rule of each entry
for ``file:line``.

Each :class:`FlatRule` holds when the packet

* matches every jump/goto rule on the way to the rule's chain (``guard``) and the rule's own match;
* matches none of ``excluded``: the ``return`` rules passed earlier in the chains on the path
  (a packet that returned never reaches the later rules of that chain) and the ``goto`` rules
  passed earlier (a packet that went to another chain does not come back).

Within one chain a ``return`` only needs its own match excluded: every packet at a later position
passed the same guard. ``goto X`` behaves as ``jump X`` followed by ``return`` with the same match.
In a base chain, ``return`` (and the end of a chain reached by ``goto``) applies the chain's
policy: that becomes a flat rule with the policy as action (``implicit`` for the end of a goto
target). ``continue`` (counters, logging, marking) does not change the verdict and is dropped.

Uncertain rules (:attr:`~egovops.firewall.model.Rule.uncertain`: they match only an unknown
part of their match) pass their doubt on: a flat rule is uncertain (:attr:`FlatRule.uncertain`)
when its own rule is, when a jump or goto on its path is (it may not be reached at all), and
when an uncertain ``return`` or ``goto`` stands before it in its chain (it may not be reached
for some of its packets; the uncertain rule's match is then not excluded). Each such flat rule
matches an unknown part of its conjuncts, which is what the bounds of
:func:`egovops.firewall.analysis.verdict_sets` need.

This is exact: a packet's first satisfied flat rule is the rule that decides it in the original
chains (``tests/unit/firewall/test_flatten.py`` checks it against a recursive evaluator).

Problems:

* a jump loop (a chain reached again while it is still on the path) raises
  :class:`~egovops.errors.ConfigError` citing the jump's ``file:line``: the kernel refuses such
  rulesets, and no verdict exists;
* a jump or goto to a chain that does not exist does not raise: the rule is left out of the flat
  list (evaluation goes on with the next rule, as if it were absent) and is listed in
  :attr:`FlatChain.undefined`, which the analysis reports as an "undefined reference" finding next
  to everything else it found.

A chain reached from several places is inlined at each; rulesets built as deep diamonds of jumps
grow accordingly (real rulesets stay small).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from egovops.errors import ConfigError, Problem
from egovops.firewall.model import Action, Chain, Match, Rule, Ruleset, SourceRef


@dataclass(frozen=True)
class FlatRule:
    """One entry of a flattened chain: the original rule with the context it is reached in."""

    index: int
    """Position in :attr:`FlatChain.rules` (for undefined references: where it would be)."""
    rule: Rule
    """The rule as parsed: ``rule.source`` gives ``file:line``."""
    path: tuple[str, ...]
    """Chains traversed, from the base chain to the rule's own chain."""
    guard: tuple[Match, ...]
    """Matches of the jump/goto rules on the path, outermost first."""
    excluded: tuple[Match, ...]
    """Matches of the return/goto rules passed earlier on the path (see the module docstring)."""
    action: Action
    """Terminal verdict: accept, drop or reject (the rule's own, or the chain policy for
    ``return`` in a base chain)."""
    implicit: bool = False
    """True for the policy applied at the end of a chain reached by ``goto`` from the base
    chain: not a rule anyone wrote, so the analysis reports nothing about it."""
    uncertain: str = ""
    """Why the rule may match only part of its conjuncts (see the module docstring); empty
    when it matches exactly them."""

    @property
    def conjuncts(self) -> tuple[Match, ...]:
        """Every match the packet must satisfy: the guard, then the rule's own."""
        return (*self.guard, self.rule.match)

    @property
    def source(self) -> SourceRef:
        """Where the rule was written."""
        return self.rule.source

    @property
    def chain(self) -> str:
        """Name of the chain the rule is written in."""
        return self.path[-1]

    def __str__(self) -> str:
        label = self.rule.text or self.rule.name or f"{self.rule.action}"
        where = str(self.source) or "?"
        return f"#{self.index} {where} [{' > '.join(self.path)}] {label}"


CHAIN_FAMILIES: dict[str, frozenset[int]] = {"ip": frozenset({4}), "ip6": frozenset({6})}
"""Chain family label → the only address family the chain sees (absent: all of them)."""


@dataclass(frozen=True)
class FlatChain:
    """A base chain as one first-match list of terminal rules, ending in its policy."""

    name: str
    hook: str | None
    table: str
    family: str
    policy: Action
    rules: tuple[FlatRule, ...]
    undefined: tuple[FlatRule, ...] = field(default=())
    """Jump/goto rules whose target chain does not exist (left out of ``rules``)."""

    @property
    def families(self) -> frozenset[int] | None:
        """Address families whose packets cross this chain: an ``ip`` chain (nftables/iptables
        ``ip`` table, an IPv4 interface ACL) never sees IPv6 packets and an ``ip6`` chain never
        IPv4 ones, so neither rules nor policy decide the other family; ``None``: every packet
        (``inet``, zone-based security policies, unified ACLs)."""
        return CHAIN_FAMILIES.get(self.family)


def flatten(ruleset: Ruleset) -> tuple[FlatChain, ...]:
    """One :class:`FlatChain` per base chain of ``ruleset``, in source order.

    A base chain without policy gets ``accept`` (the netfilter default). Raises
    :class:`~egovops.errors.ConfigError` on jump loops, listing each loop once.
    """
    chains = []
    problems: list[Problem] = []
    for base in ruleset.base_chains:
        flattener = _Flattener(ruleset, base)
        flattener.walk(base, (base.name,), (), ())
        for problem in flattener.problems:
            if problem not in problems:
                problems.append(problem)
        chains.append(
            FlatChain(
                name=base.name,
                hook=base.hook,
                table=base.table,
                family=base.family,
                policy=flattener.policy,
                rules=tuple(flattener.rules),
                undefined=tuple(flattener.undefined),
            )
        )
    if problems:
        raise ConfigError(f"{ruleset.source}: jump loop in the ruleset", problems)
    return tuple(chains)


class _Flattener:
    def __init__(self, ruleset: Ruleset, base: Chain) -> None:
        self.ruleset = ruleset
        self.policy = base.policy if base.policy is not None else Action.ACCEPT
        if not self.policy.terminal:
            self.policy = Action.ACCEPT
        self.rules: list[FlatRule] = []
        self.undefined: list[FlatRule] = []
        self.problems: list[Problem] = []

    def emit(
        self,
        rule: Rule,
        path: tuple[str, ...],
        guard: tuple[Match, ...],
        excluded: tuple[Match, ...],
        action: Action,
        implicit: bool = False,
        uncertain: str = "",
    ) -> None:
        self.rules.append(
            FlatRule(len(self.rules), rule, path, guard, excluded, action, implicit, uncertain)
        )

    def target(self, chain: Chain, name: str | None) -> Chain | None:
        if name is None:
            return None
        found = self.ruleset.chain(name, chain.table or None)
        if found is None and chain.table:
            found = self.ruleset.chain(name)
        return found

    def walk(
        self,
        chain: Chain,
        path: tuple[str, ...],
        guard: tuple[Match, ...],
        excluded: tuple[Match, ...],
        doubt: str = "",
    ) -> None:
        at_base = len(path) == 1
        for rule in chain.rules:
            action = rule.action
            here = doubt or (f"{rule.source}: {rule.uncertain}" if rule.uncertain else "")
            if action.terminal:
                self.emit(rule, path, guard, excluded, action, uncertain=here)
            elif action is Action.RETURN:
                if at_base:
                    self.emit(rule, path, guard, excluded, self.policy, uncertain=here)
                elif rule.uncertain:
                    doubt = here  # the later rules may or may not be reached
                else:
                    excluded = (*excluded, rule.match)
            elif action in (Action.JUMP, Action.GOTO):
                target = self.target(chain, rule.target)
                if target is None:
                    self.undefined.append(
                        FlatRule(len(self.rules), rule, path, guard, excluded, action)
                    )
                    continue
                if target.name in path:
                    cycle = " -> ".join((*path[path.index(target.name):], target.name))
                    self.problems.append(
                        Problem(
                            rule.source.file or self.ruleset.source,
                            rule.source.line,
                            0,
                            f"{action} {target.name} closes a loop: {cycle}",
                            code="jump-loop",
                        )
                    )
                    continue
                self.walk(target, (*path, target.name), (*guard, rule.match), excluded, here)
                if action is Action.GOTO:
                    if at_base:
                        self.emit(rule, path, guard, excluded, self.policy, implicit=True,
                                  uncertain=here)
                    if rule.uncertain:
                        doubt = here
                    else:
                        excluded = (*excluded, rule.match)
            # Action.CONTINUE: no effect on the verdict.
