"""Anomaly analysis, packet queries and diffs, against hand-built cases and brute force."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from egovops.firewall import analysis
from egovops.firewall.analysis import (
    AnomalyKind,
    analyze,
    analyze_ruleset,
    decide,
    diff,
    reachable,
    space_for,
    verdict,
    verdict_sets,
)
from egovops.firewall.flatten import FlatChain, flatten
from egovops.firewall.model import (
    Action,
    Chain,
    IcmpMatch,
    Match,
    PortRange,
    Rule,
    Ruleset,
    SourceRef,
)
from egovops.firewall.packetset import HeaderSpace, Packet, match_box, matches

from .tiny import TCP, UDP, chain, representatives
from .tiny import matches as tiny_matches

N = ipaddress.ip_network
A = ipaddress.ip_address
ACCEPT, DROP, REJECT = Action.ACCEPT, Action.DROP, Action.REJECT
REPS = representatives()


def web(src: str, *ports: int, proto: int = TCP) -> Match:
    return Match(src=(N(src),), protocols=(proto,),
                 dports=tuple(PortRange(p, p) for p in ports))


def kinds(rules: list[tuple[Match, Action]], policy: Action = DROP) -> dict[int, set[str]]:
    found: dict[int, set[str]] = {}
    for a in analyze_ruleset(chain(rules, policy)):
        found.setdefault(a.rule.index, set()).add(a.kind.value)
    return found


def find(rules: list[tuple[Match, Action]], kind: AnomalyKind,
         policy: Action = DROP) -> analysis.Anomaly:
    (found,) = [a for a in analyze_ruleset(chain(rules, policy)) if a.kind is kind]
    return found


# -- one test per kind ---------------------------------------------------------------------


def test_shadowed_by_two_rules_together() -> None:
    rules = [
        (web("10.0.0.0/25", 80), ACCEPT),
        (web("10.0.0.128/25", 80), ACCEPT),
        (web("10.0.0.0/24", 80), DROP),
    ]
    found = find(rules, AnomalyKind.SHADOWED)
    assert found.rule.index == 2
    assert [r.index for r in found.related] == [0, 1]
    assert found.example is not None
    assert matches(rules[2][0], found.example)
    assert "fw" not in found.detail and "test.rules:1" in found.detail


def test_redundant_shadowed_when_the_verdicts_agree() -> None:
    rules = [(web("10.0.0.0/25", 80), DROP), (web("10.0.0.128/25", 80), DROP),
             (web("10.0.0.0/24", 80), DROP)]
    found = find(rules, AnomalyKind.REDUNDANT_SHADOWED, policy=ACCEPT)
    assert found.rule.index == 2
    assert [r.index for r in found.related] == [0, 1]


def test_redundant_when_later_rules_or_policy_agree() -> None:
    rules = [(web("10.0.0.0/24", 22), DROP), (web("10.0.0.0/16", 22), DROP)]
    found = find(rules, AnomalyKind.REDUNDANT, policy=ACCEPT)
    assert found.rule.index == 0
    assert [r.index for r in found.related] == [1]
    dropped_anyway = find([(web("10.0.0.0/24", 23), DROP)], AnomalyKind.REDUNDANT)
    assert "default policy" in dropped_anyway.detail
    assert kinds([(web("10.0.0.0/24", 23), ACCEPT)]) == {}


def test_correlated_partial_overlap_with_another_action() -> None:
    rules = [(Match(src=(N("10.0.0.0/24"),), protocols=(TCP,)), ACCEPT),
             (Match(protocols=(TCP,), dports=(PortRange(22, 22),)), DROP)]
    found = find(rules, AnomalyKind.CORRELATED)
    assert found.rule.index == 1
    assert [r.index for r in found.related] == [0]
    assert found.example is not None
    assert found.example.dport == 22 and found.example.src in N("10.0.0.0/24")


def test_generalisation_contains_an_earlier_exception() -> None:
    rules = [(web("10.0.0.5/32", 22), DROP), (web("10.0.0.0/24", 22), ACCEPT)]
    found = find(rules, AnomalyKind.GENERALISATION)
    assert found.rule.index == 1
    assert [r.index for r in found.related] == [0]


def test_never_matches_contradiction_and_after_unconditional() -> None:
    rules = [
        (Match(protocols=(TCP,), icmp=(IcmpMatch(8),)), ACCEPT),
        (Match(), DROP),
        (web("10.0.0.0/8", 80), ACCEPT),
    ]
    found = kinds(rules)
    assert found[0] == {"never-matches"}
    assert found[2] == {"never-matches"}
    after = next(a for a in analyze_ruleset(chain(rules)) if a.rule.index == 2)
    assert [r.index for r in after.related] == [1]
    assert after.example is None


def test_undefined_reference_is_a_finding() -> None:
    base = Chain("input", (
        Rule(Match(), Action.JUMP, target="missing", source=SourceRef("fw.rules", 3)),
        Rule(web("10.0.0.0/8", 80), ACCEPT, source=SourceRef("fw.rules", 4)),
    ), hook="input", policy=DROP)
    found = analyze_ruleset(Ruleset((base,), "test", "fw.rules"))
    undefined = [a for a in found if a.kind is AnomalyKind.UNDEFINED_REFERENCE]
    assert [(a.rule.source.line, a.rule.rule.target) for a in undefined] == [(3, "missing")]


def test_rules_reached_through_a_jump_carry_the_guard() -> None:
    sub = Chain("web", (
        Rule(Match(dports=(PortRange(80, 80),)), ACCEPT, source=SourceRef("fw.rules", 10)),
        Rule(Match(protocols=(UDP,)), ACCEPT, source=SourceRef("fw.rules", 11)),
    ))
    base = Chain("input", (
        Rule(Match(protocols=(TCP,)), Action.JUMP, target="web", source=SourceRef("fw.rules", 1)),
    ), hook="input", policy=DROP)
    found = analyze_ruleset(Ruleset((base, sub), "test", "fw.rules"))
    assert [(a.kind, a.rule.source.line) for a in found] == [
        (AnomalyKind.NEVER_MATCHES, 11)]
    assert "input > web" in found[0].detail


# -- packet queries --------------------------------------------------------------------------


def test_decide_verdict_reachable_and_diff() -> None:
    old = flatten(chain([(web("10.0.0.0/24", 80, 443), ACCEPT)]))[0]
    new = flatten(chain([(web("10.0.0.0/24", 443), ACCEPT),
                         (web("10.0.0.0/25", 22), ACCEPT)]))[0]
    packet = Packet(4, A("10.0.0.9"), A("192.0.2.1"), TCP, 40000, 80)
    rule, action = decide(old, packet)
    assert rule is not None and rule.index == 0 and action is ACCEPT
    assert decide(new, packet) == (None, DROP)
    assert verdict([old, new], packet) == (None, DROP)
    assert verdict([], packet) == (None, ACCEPT)
    space = space_for([old, new])
    accepted = reachable(new, space=space)
    assert packet not in accepted
    assert Packet(4, A("10.0.0.9"), A("192.0.2.1"), TCP, 40000, 443) in accepted
    changes = {(c.old, c.new): c for c in diff(old, new, space)}
    assert set(changes) == {(ACCEPT, DROP), (DROP, ACCEPT)}
    lost = changes[(ACCEPT, DROP)]
    assert lost.description == "tcp/80 from 10.0.0.0/24 to any"
    assert lost.size == 2**8 * 2**32 * 2**16 * 5
    assert lost.example is not None and lost.example.dport == 80
    assert changes[(DROP, ACCEPT)].description == "tcp/22 from 10.0.0.0/25 to any"
    sets = verdict_sets(new, space)
    assert (sets[ACCEPT] | sets[DROP]) == space.universe


# -- brute force over the representatives of the tiny space ---------------------------------


def first_match(rules: list[tuple[Match, Action]], packet: Packet) -> int | None:
    return next((i for i, (m, _) in enumerate(rules) if matches(m, packet)), None)


def expected_anomalies(rules: list[tuple[Match, Action]], policy: Action) -> dict[int, set[str]]:
    """Shadowing, redundancy and never-matching, from exhaustive first-match evaluation."""
    matched = [{k for k, p in enumerate(REPS) if matches(m, p)} for m, _ in rules]
    decided: list[set[int]] = [set() for _ in rules]
    for k, packet in enumerate(REPS):
        i = first_match(rules, packet)
        if i is not None:
            decided[i].add(k)
    everything = set(range(len(REPS)))
    out: dict[int, set[str]] = {}
    unconditional = False
    status = []
    for i, (_, action) in enumerate(rules):
        if not matched[i] or unconditional:
            out.setdefault(i, set()).add("never-matches")
            status.append("empty")
            continue
        if matched[i] == everything:
            unconditional = True
        if not decided[i]:
            differs = any(rules[first_match(rules, REPS[k]) or 0][1] is not action
                          for k in matched[i])
            out.setdefault(i, set()).add("shadowed" if differs else "redundant-shadowed")
            status.append("shadowed")
            continue
        status.append("active")
        rest = rules[i + 1:]

        def without(k: int, rest: list[tuple[Match, Action]] = rest) -> Action:
            j = first_match(rest, REPS[k])
            return rest[j][1] if j is not None else policy

        if all(without(k) is action for k in decided[i]):
            out.setdefault(i, set()).add("redundant")
    for i, (_, action) in enumerate(rules):
        if status[i] != "active":
            continue
        for j in range(i):
            if status[j] != "active" or rules[j][1] is action:
                continue
            if matched[i] & matched[j]:
                kind = "generalisation" if matched[j] <= matched[i] else "correlated"
                out.setdefault(i, set()).add(kind)
    return out


@pytest.fixture(params=["default", "witnesses", "bdd-fallback", "many-earlier", "few-pieces"])
def tuning(request: pytest.FixtureRequest) -> Iterator[str]:
    """Run the property also with the many-overlaps shortcuts, the single-packet shortcuts
    for many earlier candidates, the corner-packet checks of box lists that grow too long
    and the BDD fallbacks forced."""
    saved = (analysis._WITNESS_AFTER, analysis._MAX_PIECES, analysis._MANY)
    if request.param == "witnesses":
        analysis._WITNESS_AFTER = 1
    elif request.param == "bdd-fallback":
        analysis._MAX_PIECES = 0
    elif request.param == "many-earlier":
        analysis._MANY = 1
    elif request.param == "few-pieces":
        analysis._MAX_PIECES = 1
    yield request.param
    analysis._WITNESS_AFTER, analysis._MAX_PIECES, analysis._MANY = saved


RULESETS = st.lists(st.tuples(tiny_matches(), st.sampled_from([ACCEPT, DROP])),
                    min_size=1, max_size=7)


@settings(max_examples=40, deadline=None, suppress_health_check=[
    HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(RULESETS, st.sampled_from([ACCEPT, DROP]))
def test_analysis_agrees_with_brute_force(
    tuning: str, rules: list[tuple[Match, Action]], policy: Action
) -> None:
    flat = flatten(chain(rules, policy))[0]
    found = analyze(flat)
    got: dict[int, set[str]] = {}
    for a in found:
        got.setdefault(a.rule.index, set()).add(a.kind.value)
        if a.example is not None:
            assert matches(rules[a.rule.index][0], a.example)
    assert got == expected_anomalies(rules, policy)
    for packet in REPS:
        i = first_match(rules, packet)
        rule, action = decide(flat, packet)
        assert (rule.index if rule else None) == i
        assert action is (rules[i][1] if i is not None else policy)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(RULESETS, RULESETS, st.sampled_from([ACCEPT, DROP]))
def test_diff_and_reachable_agree_with_brute_force(
    old_rules: list[tuple[Match, Action]], new_rules: list[tuple[Match, Action]], policy: Action
) -> None:
    old: FlatChain = flatten(chain(old_rules, policy))[0]
    new: FlatChain = flatten(chain(new_rules))[0]
    space = space_for([old, new])
    changes = diff(old, new, space)
    accepted = reachable(new, space=space)
    for packet in REPS[::2]:
        before, after = decide(old, packet)[1], decide(new, packet)[1]
        assert (packet in accepted) == (after is ACCEPT)
        for change in changes:
            assert (packet in change.packets) == ((before, after) == (change.old, change.new))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tiny_matches(), tiny_matches())
def test_envelopes_that_do_not_meet_mean_boxes_that_do_not_overlap(a: Match, b: Match) -> None:
    space = HeaderSpace(["eth0"])
    ba, bb = match_box(space, a), match_box(space, b)
    if ba is None or bb is None:
        return
    ea, eb = analysis._envelope(ba), analysis._envelope(bb)
    meet = all(ea[k] <= eb[k + 1] and eb[k] <= ea[k + 1] for k in (0, 2, 4))
    if ba.overlaps(bb):
        assert meet
    joint = analysis._envelope_of([ba, bb])
    for e in (ea, eb):
        if e != analysis._NO_ENVELOPE:
            assert all(joint[k] <= e[k] and e[k + 1] <= joint[k + 1] for k in (0, 2, 4))
