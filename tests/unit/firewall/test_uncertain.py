"""Uncertain rules (#12): a rule that matches only an unknown part of its match is read both
ways, and the two readings bound what the chain really accepts.

The property test draws chained rulesets (jump, goto, return…) in the tiny header space, marks
some rules uncertain, and checks against a recursive evaluator that, for *every* choice of
which uncertain rules really match a packet, the packet's real verdict lies between the bounds:
accepted for real ⇒ in the upper bound; in the lower bound ⇒ accepted for real.
"""

from __future__ import annotations

import itertools
from dataclasses import replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from egovops.firewall.analysis import decide, space_for, verdict_sets
from egovops.firewall.flatten import flatten
from egovops.firewall.model import ANY, Action, Bound, Chain, Match, PortRange, Rule, Ruleset
from egovops.firewall.packetset import Packet, matches

from .test_flatten import REPS, chained_rulesets, rule, ruleset
from .tiny import TCP

SSH = Match(protocols=(TCP,), dports=(PortRange(2, 2),))


def real_verdict(rs: Ruleset, base: Chain, packet: Packet, really: dict[int, bool]) -> Action:
    """Netfilter semantics where an uncertain rule matches iff ``really[id(rule)]``."""

    def hit(r: Rule) -> bool:
        return matches(r.match, packet) and (not r.uncertain or really[id(r)])

    def run(chain: Chain) -> Action | None:
        for r in chain.rules:
            if not hit(r):
                continue
            if r.action.terminal:
                return r.action
            if r.action is Action.RETURN:
                return None
            if r.action in (Action.JUMP, Action.GOTO):
                target = rs.chain(r.target or "")
                if target is None:
                    continue
                verdict = run(target)
                if verdict is not None or r.action is Action.GOTO:
                    return verdict
        return None

    verdict = run(base)
    return verdict if verdict is not None else (base.policy or Action.ACCEPT)


@st.composite
def uncertain_rulesets(draw: st.DrawFn) -> Ruleset:
    rs = draw(chained_rulesets())
    chains = []
    for chain in rs.chains:
        rules = tuple(replace(r, uncertain="may match (test)") if draw(st.booleans()) and
                      draw(st.booleans()) else r for r in chain.rules)
        chains.append(replace(chain, rules=rules))
    return replace(rs, chains=tuple(chains))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(uncertain_rulesets())
def test_bounds_hold_for_every_reading_of_the_uncertain_rules(rs: Ruleset) -> None:
    (flat,) = flatten(rs)
    space = space_for([flat])
    upper = verdict_sets(flat, space, Bound.UPPER).get(Action.ACCEPT, space.empty)
    lower = verdict_sets(flat, space, Bound.LOWER).get(Action.ACCEPT, space.empty)
    assert (lower - upper).is_empty
    doubtful = [r for c in rs.chains for r in c.rules if r.uncertain][:6]
    for bits in itertools.product((False, True), repeat=len(doubtful)):
        really = {id(r): b for r, b in zip(doubtful, bits, strict=True)}
        for c in rs.chains:
            for r in c.rules:
                really.setdefault(id(r), True)
        for packet in REPS[::6]:
            accepted = real_verdict(rs, rs.chains[0], packet, really) is Action.ACCEPT
            if accepted:
                assert packet in upper, (packet, bits)
            if packet in lower:
                assert accepted, (packet, bits)
            # the packet queries agree with the sets
            assert (decide(flat, packet, Bound.UPPER)[1] is Action.ACCEPT) == (packet in upper)
            assert (decide(flat, packet, Bound.LOWER)[1] is Action.ACCEPT) == (packet in lower)


def test_without_uncertain_rules_the_bounds_are_the_exact_set() -> None:
    base = Chain("input", (rule(SSH, Action.ACCEPT, line=1), rule(ANY, Action.DROP, line=2)),
                 hook="input", policy=Action.ACCEPT)
    (flat,) = flatten(ruleset(base))
    space = space_for([flat])
    exact = verdict_sets(flat, space)[Action.ACCEPT]
    assert verdict_sets(flat, space, Bound.UPPER)[Action.ACCEPT] == exact
    assert verdict_sets(flat, space, Bound.LOWER)[Action.ACCEPT] == exact


def test_an_uncertain_accept_widens_the_upper_bound_only() -> None:
    limited = replace(rule(SSH, Action.ACCEPT, line=1), uncertain="-m limit --limit 5/s")
    base = Chain("input", (limited, rule(ANY, Action.DROP, line=2)), hook="input",
                 policy=Action.ACCEPT)
    (flat,) = flatten(ruleset(base))
    assert flat.rules[0].uncertain == "fw.rules:1: -m limit --limit 5/s"
    space = space_for([flat])
    upper = verdict_sets(flat, space, Bound.UPPER).get(Action.ACCEPT, space.empty)
    lower = verdict_sets(flat, space, Bound.LOWER).get(Action.ACCEPT, space.empty)
    assert upper == space.from_match(SSH)
    assert lower.is_empty


def test_doubt_passes_through_jumps_and_after_an_uncertain_return() -> None:
    sub = Chain("sub", (
        replace(rule(SSH, Action.RETURN, line=10), uncertain="-m recent"),
        rule(ANY, Action.DROP, line=11),
    ))
    base = Chain("input", (
        replace(rule(Match(protocols=(TCP,)), Action.JUMP, "sub", line=1), uncertain="mark"),
        rule(ANY, Action.ACCEPT, line=2),
    ), hook="input", policy=Action.DROP)
    (flat,) = flatten(ruleset(base, sub))
    drop, accept = flat.rules
    assert drop.uncertain == "fw.rules:1: mark"  # reached only through the uncertain jump
    assert drop.excluded == ()                   # the uncertain return is not excluded
    assert accept.uncertain == ""
