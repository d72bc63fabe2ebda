"""Flattening jump/goto/return/continue into first-match lists."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from egovops.errors import ConfigError
from egovops.firewall.analysis import decide
from egovops.firewall.flatten import flatten
from egovops.firewall.model import ANY, Action, Chain, Match, Rule, Ruleset, SourceRef
from egovops.firewall.packetset import Packet, matches

from .tiny import TCP, UDP, representatives
from .tiny import matches as tiny_matches

REPS = representatives()[::3]


def rule(match: Match, action: Action, target: str | None = None, line: int = 0) -> Rule:
    return Rule(match, action, target=target, source=SourceRef("fw.rules", line))


def ruleset(*chains: Chain) -> Ruleset:
    return Ruleset(chains, "test", "fw.rules")


def evaluate(rs: Ruleset, base: Chain, packet: Packet) -> Action:
    """The netfilter semantics, directly on the unflattened chains."""

    def run(chain: Chain) -> Action | None:
        for r in chain.rules:
            if not matches(r.match, packet):
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


TCP_ONLY = Match(protocols=(TCP,))
UDP_ONLY = Match(protocols=(UDP,))


def test_jump_return_goto_continue() -> None:
    sub = Chain("sub", (
        rule(UDP_ONLY, Action.RETURN, line=10),
        rule(ANY, Action.CONTINUE, line=11),
        rule(ANY, Action.ACCEPT, line=12),
    ))
    base = Chain("input", (
        rule(TCP_ONLY, Action.JUMP, "sub", line=1),
        rule(ANY, Action.GOTO, "sub", line=2),
        rule(ANY, Action.DROP, line=3),
    ), hook="input", policy=Action.DROP)
    (flat,) = flatten(ruleset(base, sub))
    assert [(r.rule.source.line, r.action, r.path, r.implicit) for r in flat.rules] == [
        (12, Action.ACCEPT, ("input", "sub"), False),
        (12, Action.ACCEPT, ("input", "sub"), False),
        (2, Action.DROP, ("input",), True),
        (3, Action.DROP, ("input",), False),
    ]
    first = flat.rules[0]
    assert first.guard == (TCP_ONLY,)
    assert first.excluded == (UDP_ONLY,)
    assert flat.rules[3].excluded == (ANY,)  # the goto sent everything away
    assert flat.policy is Action.DROP


def test_return_in_base_chain_applies_the_policy() -> None:
    base = Chain("input", (rule(TCP_ONLY, Action.RETURN, line=1),
                           rule(ANY, Action.ACCEPT, line=2)), hook="input", policy=Action.DROP)
    (flat,) = flatten(ruleset(base))
    assert [(r.action, r.rule.source.line) for r in flat.rules] == [
        (Action.DROP, 1), (Action.ACCEPT, 2)]


def test_jump_loop_raises_with_file_and_line() -> None:
    a = Chain("a", (rule(ANY, Action.JUMP, "b", line=7),))
    b = Chain("b", (rule(TCP_ONLY, Action.GOTO, "a", line=9),))
    base = Chain("input", (rule(ANY, Action.JUMP, "a", line=1),), hook="input")
    with pytest.raises(ConfigError) as caught:
        flatten(ruleset(base, a, b))
    assert [(p.file, p.line, p.code) for p in caught.value.problems] == [
        ("fw.rules", 9, "jump-loop")]
    assert "a -> b -> a" in str(caught.value)


def test_undefined_target_is_listed_not_raised() -> None:
    base = Chain("input", (rule(ANY, Action.JUMP, "nowhere", line=4),
                           rule(ANY, Action.ACCEPT, line=5)), hook="input")
    (flat,) = flatten(ruleset(base))
    assert [r.rule.source.line for r in flat.rules] == [5]
    assert [(r.rule.source.line, r.index) for r in flat.undefined] == [(4, 0)]


def test_base_chain_without_policy_accepts() -> None:
    (flat,) = flatten(ruleset(Chain("output", (), hook="output")))
    assert flat.policy is Action.ACCEPT
    assert flat.rules == ()


NAMES = ("input", "c1", "c2", "c3")


@st.composite
def chained_rulesets(draw: st.DrawFn) -> Ruleset:
    chains = []
    for position, name in enumerate(NAMES):
        rules = []
        for line in range(draw(st.integers(0, 4))):
            action = draw(st.sampled_from([
                Action.ACCEPT, Action.DROP, Action.REJECT, Action.JUMP, Action.JUMP,
                Action.GOTO, Action.RETURN, Action.CONTINUE]))
            target = None
            if action in (Action.JUMP, Action.GOTO):
                later = [*list(NAMES[position + 1:]), "missing"]
                target = draw(st.sampled_from(later))
            rules.append(rule(draw(tiny_matches()), action, target, 10 * position + line))
        chains.append(Chain(name, tuple(rules), hook="input" if position == 0 else None,
                            policy=draw(st.sampled_from([Action.ACCEPT, Action.DROP]))
                            if position == 0 else None))
    return ruleset(*chains)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(chained_rulesets())
def test_flatten_agrees_with_recursive_evaluation(rs: Ruleset) -> None:
    (flat,) = flatten(rs)
    base = rs.chains[0]
    for packet in REPS:
        assert decide(flat, packet)[1] is evaluate(rs, base, packet), packet
