"""Firewall analysis benchmark: exact BDD anomaly analysis against a naive pairwise baseline.

Run from the repository root::

    .venv/bin/python bench/firewall.py [--quick] [--sizes 1000,10000,100000] [--budget 60]

It generates (seeded, deterministic, in memory) base chains of 1k, 10k and 100k rules shaped like
a city e-government border firewall: department subnets (/24, /28, /32 hosts, /20 and /16
district blocks, whole /8-/13 ranges) of a few government address ranges as sources, servers
(/32), server segments and blocks as destinations, common service ports, port lists and
ranges, udp and icmp, some IPv6, some interface-bound rules, 75 % accept / 20 % drop / 5 %
reject, default drop, an ``established,related`` rule first, 1 % general rules at the end (a
whole range or district to any address on a risky port), and deliberate anomalies: narrower
copies of earlier rules (2 %, shadowed by one rule) and /24 rules after their two /25 halves
(1 %, shadowed only by both together). Then, in this one process, it times

1. ``analyze_ruleset`` (flatten + every anomaly kind, exact) on each size, and
2. the classic pairwise analysis (Al-Shaer: every rule against every earlier rule, per-field
   interval arithmetic; it cannot see shadowing by several rules together) on the sizes where
   it finishes within ``--budget`` seconds (else its progress and an extrapolation),

and prints a table with the ratio and PASS/MISS per target (10k rules <= 2 s, 100k <= 30 s).
It always exits 0: benchmarks report, tests assert.
"""

from __future__ import annotations

import argparse
import gc
import ipaddress
import os
import platform
import random
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from egovops.firewall.analysis import Anomaly, AnomalyKind, analyze_ruleset
from egovops.firewall.model import (
    Action,
    Chain,
    ConnState,
    IcmpMatch,
    IPNetwork,
    Match,
    PortRange,
    Rule,
    Ruleset,
    SourceRef,
)
from egovops.firewall.packetset import BACKEND, HeaderSpace

TARGETS = {10_000: 2.0, 100_000: 30.0}
"""Seconds allowed for the full analysis, per size."""

TCP_PORTS = (80, 443, 22, 3389, 1521, 3306, 1433, 8080, 8443, 445, 21, 25, 389, 636, 5432,
             6379, 9200, 7001, 8000, 9090)
UDP_PORTS = (53, 123, 161, 162, 514, 1812, 500, 4500)
PORT_RANGES = ((1024, 65535), (8000, 8999), (30000, 32767), (6000, 6100), (49152, 65535))
INTERFACES = ("vlan10", "vlan20", "vlan30", "vlan40", "vlan50", "eth0", "eth1", "bond0")
Net = ipaddress.IPv4Network | ipaddress.IPv6Network


class Generator:
    """Seeded generator of one realistic border-firewall base chain."""

    def __init__(self, seed: int, rules: int = 10_000) -> None:
        self.rng = random.Random(seed)
        # the network grows with the ruleset: a 100k-rule firewall guards more subnets and
        # servers than a 1k-rule one (about one department subnet per 6 rules, one server
        # per 2.5 rules, at least 1,600 and 4,000)
        scale = max(1, rules // 10_000)
        rng = self.rng
        inner = ipaddress.ip_network("10.0.0.0/8")
        self.ranges: list[Net] = [
            inner,
            ipaddress.ip_network("172.16.0.0/12"),
            ipaddress.ip_network("59.32.0.0/13"),
            ipaddress.ip_network("202.96.128.0/18"),
        ]
        # 40 districts (/16), each with /20 groups and /24 department subnets.
        n_districts = min(200, 40 * scale)
        self.districts = [
            ipaddress.ip_network(f"10.{d}.0.0/16") for d in range(20, 20 + n_districts)
        ]
        self.units: list[Net] = []
        for district in self.districts:
            base = int(district.network_address)
            for _ in range(1600 * scale // n_districts):
                self.units.append(ipaddress.ip_network((base + (rng.randrange(256) << 8), 24)))
        self.server_segments = [
            ipaddress.ip_network(f"10.{100 + s // 200}.{s % 200}.0/24") for s in range(300 * scale)
        ] + [ipaddress.ip_network(f"59.32.{s}.0/24") for s in range(40)]
        self.servers: list[Net] = []
        for _ in range(4000 * scale):
            seg = rng.choice(self.server_segments)
            self.servers.append(
                ipaddress.ip_network((int(seg.network_address) + rng.randrange(1, 255), 32))
            )
        self.v6 = [ipaddress.ip_network(f"240e:180:{i:x}::/48") for i in range(64)]

    def sub(self, net: Net, prefixlen: int) -> Net:
        extra = prefixlen - net.prefixlen
        offset = self.rng.randrange(1 << extra) << (net.max_prefixlen - prefixlen)
        return ipaddress.ip_network((int(net.network_address) + offset, prefixlen))

    def src(self) -> tuple[IPNetwork, ...]:
        r = self.rng.random()
        if r < 0.03:
            return ()
        if r < 0.53:
            return (self.rng.choice(self.units),)
        if r < 0.78:
            return (self.sub(self.rng.choice(self.units), 32),)
        if r < 0.86:
            return (self.sub(self.rng.choice(self.units), 28),)
        if r < 0.93:
            return (self.sub(self.rng.choice(self.districts), 20),)
        if r < 0.97:
            return (self.rng.choice(self.districts),)
        return tuple(self.rng.sample(self.units, 3))

    def dst(self) -> tuple[IPNetwork, ...]:
        r = self.rng.random()
        if r < 0.03:
            return ()
        if r < 0.63:
            return (self.rng.choice(self.servers),)
        if r < 0.85:
            return (self.rng.choice(self.server_segments),)
        if r < 0.92:
            return (self.sub(self.rng.choice(self.server_segments), 28),)
        if r < 0.96:
            return (self.rng.choice(self.districts),)
        return tuple(self.rng.sample(self.servers, 4))

    def wide(self) -> Match:
        """A general rule: whole ranges or districts to any, on a risky service."""
        rng = self.rng
        src = (rng.choice(self.ranges),) if rng.random() < 0.5 else (rng.choice(self.districts),)
        port = rng.choice((445, 135, 139, 3389, 23, 21, 1433, 3306))
        return Match(src=src, protocols=(6,), dports=(PortRange(port, port),))

    def service(self) -> dict[str, object]:
        r = self.rng.random()
        if r < 0.55:
            return {"protocols": (6,), "dports": (PortRange(p := self.rng.choice(TCP_PORTS), p),)}
        if r < 0.65:
            ports = sorted(self.rng.sample(TCP_PORTS, self.rng.randint(2, 4)))
            return {"protocols": (6,), "dports": tuple(PortRange(p, p) for p in ports)}
        if r < 0.72:
            lo, hi = self.rng.choice(PORT_RANGES)
            return {"protocols": (6,), "dports": (PortRange(lo, hi),)}
        if r < 0.85:
            return {"protocols": (17,), "dports": (PortRange(p := self.rng.choice(UDP_PORTS), p),)}
        if r < 0.90:
            return {"protocols": (1,), "icmp": (IcmpMatch(8),)}
        return {}

    def action(self) -> Action:
        r = self.rng.random()
        return Action.ACCEPT if r < 0.75 else Action.DROP if r < 0.95 else Action.REJECT

    def match(self) -> Match:
        rng = self.rng
        if rng.random() < 0.02:
            src: tuple[IPNetwork, ...] = (self.sub(rng.choice(self.v6), 64),)
            dst: tuple[IPNetwork, ...] = (self.sub(rng.choice(self.v6), 56),)
        else:
            src, dst = self.src(), self.dst()
        iif = (rng.choice(INTERFACES),) if rng.random() < 0.15 else ()
        service = self.service()
        if not src and not dst:
            src = (rng.choice(self.units),)  # any-to-any rules are the wide ones below
        return Match(src=src, dst=dst, in_interfaces=iif, **service)  # type: ignore[arg-type]

    def ruleset(self, n: int) -> Ruleset:
        file = f"bench-{n}.rules"
        rng = self.rng
        rules: list[Rule] = [
            Rule(Match(states=frozenset({ConnState.ESTABLISHED, ConnState.RELATED})),
                 Action.ACCEPT, source=SourceRef(file, 1), text="ct state established,related")
        ]
        while len(rules) < n:
            r = rng.random()
            line = len(rules) + 1
            if len(rules) >= n - n // 100:
                # the general rules close the chain, before the default policy
                rules.append(Rule(self.wide(), rng.choice((Action.DROP, Action.REJECT,
                                                            Action.ACCEPT)),
                                  source=SourceRef(file, line)))
            elif r < 0.02 and len(rules) > 10:
                # a narrower copy of an earlier rule: shadowed by that rule alone
                earlier = rng.choice(rules[1:])
                m = earlier.match
                if m.src and m.src[0].prefixlen <= 28:
                    narrower = self.sub(m.src[0], m.src[0].prefixlen + rng.randint(1, 4))
                    m = Match(**{**m.__dict__, "src": (narrower,)})
                rules.append(Rule(m, self.action(), source=SourceRef(file, line)))
            elif r < 0.03:
                # two /25 halves, later the /24: shadowed only by both together
                unit = rng.choice(self.units)
                svc = self.service()
                dst = self.dst()
                action = self.action()
                for half in unit.subnets(new_prefix=25):
                    rules.append(Rule(Match(src=(half,), dst=dst, **svc),  # type: ignore[arg-type]
                                      action, source=SourceRef(file, len(rules) + 1)))
                for _ in range(rng.randint(0, 5)):
                    rules.append(Rule(self.match(), self.action(),
                                      source=SourceRef(file, len(rules) + 1)))
                rules.append(Rule(Match(src=(unit,), dst=dst, **svc),  # type: ignore[arg-type]
                                  rng.choice((action, Action.DROP)),
                                  source=SourceRef(file, len(rules) + 1)))
            else:
                rules.append(Rule(self.match(), self.action(), source=SourceRef(file, line)))
        chain = Chain("forward", tuple(rules[:n]), hook="forward", policy=Action.DROP,
                      table="filter", family="inet", source=SourceRef(file, 0))
        return Ruleset((chain,), "bench", file)


# ---------------------------------------------------------------------------------------------
# The naive pairwise baseline (Al-Shaer & Hamed style).

Intervals = tuple[tuple[int, int], ...] | None
"""Sorted disjoint inclusive intervals; ``None`` is "any"."""

EQ, SUB, SUP, OVERLAP, DISJOINT = range(5)


def _addr_intervals(nets: Sequence[IPNetwork], negated: bool) -> Intervals:
    if not nets:
        return None
    out = []
    for net in nets:
        base = 0 if net.version == 4 else 1 << 128
        out.append((base + int(net.network_address), base + int(net.broadcast_address)))
    result = tuple(sorted(out))
    if negated:  # complement within the families present (kept simple: whole space)
        comp = []
        nxt = 0
        for lo, hi in result:
            if lo > nxt:
                comp.append((nxt, lo - 1))
            nxt = hi + 1
        comp.append((nxt, (1 << 129) - 1))
        return tuple(comp)
    return result


def _box(rule: Rule) -> tuple[Intervals, ...]:
    m = rule.match
    protos: Intervals = tuple((p, p) for p in sorted(m.protocols)) or None
    if m.dports and protos is None:
        protos = ((6, 6), (17, 17), (132, 132))
    return (
        protos,
        _addr_intervals(m.src, m.src_negated),
        _addr_intervals(m.dst, m.dst_negated),
        tuple((r.lo, r.hi) for r in m.sports) or None,
        tuple((r.lo, r.hi) for r in m.dports) or None,
        tuple((i.type, i.type) for i in m.icmp) or None,
        tuple((hash(i), hash(i)) for i in m.in_interfaces) or None,
        tuple((list(ConnState).index(s),) * 2 for s in sorted(m.states)) or None,
    )


def _inside(a: tuple[tuple[int, int], ...], b: tuple[tuple[int, int], ...]) -> bool:
    return all(any(blo <= lo and hi <= bhi for blo, bhi in b) for lo, hi in a)


def _meets(a: tuple[tuple[int, int], ...], b: tuple[tuple[int, int], ...]) -> bool:
    return any(lo <= bhi and blo <= hi for lo, hi in a for blo, bhi in b)


def _relation(a: Intervals, b: Intervals) -> int:
    if a is None:
        return EQ if b is None else SUP
    if b is None:
        return SUB
    if a == b:
        return EQ
    if not _meets(a, b):
        return DISJOINT
    sub = _inside(a, b)
    sup = _inside(b, a)
    if sub and sup:
        return EQ
    return SUB if sub else SUP if sup else OVERLAP


@dataclass
class NaiveResult:
    seconds: float
    finished: bool
    rules_done: int
    pairs: int
    findings: Counter[str]


def naive_pairwise(rules: Sequence[Rule], budget: float) -> NaiveResult:
    """Compare every rule with every earlier rule, field by field (interval arithmetic)."""
    boxes = [_box(r) for r in rules]
    findings: Counter[str] = Counter()
    pairs = 0
    start = time.perf_counter()
    for i in range(len(rules)):
        if i % 64 == 0 and time.perf_counter() - start > budget:
            return NaiveResult(time.perf_counter() - start, False, i, pairs, findings)
        bi = boxes[i]
        ai = rules[i].action
        shadowed = False
        for j in range(i):
            pairs += 1
            bj = boxes[j]
            sub = sup = True
            disjoint = False
            for fa, fb in zip(bi, bj, strict=True):
                rel = _relation(fa, fb)
                if rel == DISJOINT:
                    disjoint = True
                    break
                if rel == SUP:
                    sub = False
                elif rel == SUB:
                    sup = False
                elif rel == OVERLAP:
                    sub = sup = False
            if disjoint:
                continue
            same = rules[j].action == ai
            if sub and not shadowed:
                shadowed = True
                findings["redundant-shadowed" if same else "shadowed"] += 1
            elif sup and not same:
                findings["generalisation"] += 1
            elif not sub and not sup and not same:
                findings["correlated"] += 1
    return NaiveResult(time.perf_counter() - start, True, len(rules), pairs, findings)


# ---------------------------------------------------------------------------------------------


def several_together(ruleset: Ruleset, anomalies: Sequence[Anomaly]) -> int:
    """Shadowed rules that none of the earlier rules listed with them covers alone (the
    shadowing a pairwise comparison cannot see)."""
    space = HeaderSpace.for_matches(r.match for c in ruleset.chains for r in c.rules)
    count = 0
    for a in anomalies:
        if a.kind not in (AnomalyKind.SHADOWED, AnomalyKind.REDUNDANT_SHADOWED):
            continue
        mine = space.from_conjunction(a.rule.conjuncts, a.rule.excluded)
        if not any(mine <= space.from_conjunction(r.conjuncts, r.excluded) for r in a.related):
            count += 1
    return count


def fmt_time(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def machine() -> list[str]:
    lines = [f"python {platform.python_version()} on {platform.machine()}, "
             f"{os.cpu_count()} cpus, BDD backend dd.{BACKEND}"]
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    lines.append(line.split(":", 1)[1].strip())
                    break
    except OSError:
        pass
    return lines


@dataclass
class Row:
    what: str
    value: str
    target: str = ""
    verdict: str = ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--budget", type=float, default=None,
                        help="seconds the naive baseline may run per size (60; 20 with --quick)")
    parser.add_argument("--repeats", type=int, default=None, help="default 3, 1 with --quick")
    parser.add_argument("--quick", action="store_true", help="one repeat, shorter naive budget")
    parser.add_argument("--seed", type=int, default=20261122)
    args = parser.parse_args(argv)
    repeats = args.repeats or (1 if args.quick else 3)
    budget = args.budget if args.budget is not None else (20.0 if args.quick else 60.0)
    sizes = [int(s) for s in args.sizes.split(",") if s]

    def log(msg: str) -> None:
        print(msg, flush=True)

    log("machine:")
    for line in machine():
        log(f"  {line}")
    rows: list[Row] = []
    naive_gave_up = False
    for n in sizes:
        t0 = time.perf_counter()
        ruleset = Generator(args.seed + n, n).ruleset(n)
        log(f"{n} rules generated in {fmt_time(time.perf_counter() - t0)}")
        best = float("inf")
        anomalies: list[Anomaly] = []
        for _ in range(repeats if n < 100_000 else 1):
            gc.collect()
            t0 = time.perf_counter()
            anomalies = analyze_ruleset(ruleset)
            best = min(best, time.perf_counter() - t0)
        kinds = Counter(a.kind for a in anomalies)
        log(f"  exact analysis: {fmt_time(best)}; "
            + ", ".join(f"{k}: {kinds.get(k, 0)}" for k in AnomalyKind))
        target = TARGETS.get(n)
        rows.append(Row(f"exact analysis, {n} rules", fmt_time(best),
                        f"<= {target:.0f} s" if target else "",
                        ("PASS" if best <= target else "MISS") if target else ""))
        multi = several_together(ruleset, anomalies)
        rows.append(Row("  shadowed found / of them covered by no single listed rule",
                        f"{kinds[AnomalyKind.SHADOWED] + kinds[AnomalyKind.REDUNDANT_SHADOWED]}"
                        f" / {multi}"))
        if naive_gave_up:
            rows.append(Row(f"naive pairwise, {n} rules", "not run (smaller size did not finish)"))
            continue
        del anomalies
        gc.collect()
        naive = naive_pairwise(ruleset.chains[0].rules, budget)
        if naive.finished:
            shadowed = naive.findings["shadowed"] + naive.findings["redundant-shadowed"]
            log(f"  naive pairwise: {fmt_time(naive.seconds)} ({naive.pairs} pairs); "
                f"shadowed {shadowed}, correlated {naive.findings['correlated']}, "
                f"generalisation {naive.findings['generalisation']}")
            rows.append(Row(f"naive pairwise, {n} rules", fmt_time(naive.seconds)))
            rows.append(Row("  naive / exact", f"{naive.seconds / best:.1f}x"))
            rows.append(Row("  shadowed found by naive (single rule only)", str(shadowed)))
        else:
            total_pairs = n * (n - 1) // 2
            estimate = naive.seconds * total_pairs / max(naive.pairs, 1)
            log(f"  naive pairwise: stopped after {fmt_time(naive.seconds)} at rule "
                f"{naive.rules_done}/{n} ({naive.pairs} of {total_pairs} pairs)")
            rows.append(Row(f"naive pairwise, {n} rules",
                            f"> {budget:.0f} s (~{fmt_time(estimate)} est.)"))
            rows.append(Row("  naive / exact (estimated)", f"~{estimate / best:.0f}x"))
            naive_gave_up = True

    width = max(len(r.what) for r in rows)
    vwidth = max(len(r.value) for r in rows)
    log("")
    log(f"{'measure':<{width}}  {'value':>{vwidth}}  {'target':<8}  result")
    log(f"{'-' * width}  {'-' * vwidth}  {'-' * 8}  ------")
    for r in rows:
        log(f"{r.what:<{width}}  {r.value:>{vwidth}}  {r.target:<8}  {r.verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
