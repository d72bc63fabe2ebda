"""``egovops firewall …``: analyse one ruleset file, ask which rule decides a packet, diff two.

``--platform`` names the input format when it cannot be detected; ``--format`` is always the
output format.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from egovops.cli.state import OutputFormat, State, state
from egovops.errors import UsageError
from egovops.firewall.analysis import analyze, diff, space_for, verdict
from egovops.firewall.flatten import FlatChain, FlatRule, flatten
from egovops.firewall.model import PROTOCOLS, Action, Bound, ConnState, Ruleset
from egovops.firewall.packetset import Packet
from egovops.firewall.path import forward_path
from egovops.firewall.ruleset_file import read_ruleset

app = typer.Typer(help="Firewall rulesets: anomalies, packet queries, diffs (exact).",
                  no_args_is_help=True)

FileArg = Annotated[Path, typer.Argument(help="configuration file (nft, iptables-save, "
                                          "Cisco, Huawei, H3C …)", show_default=False)]
PlatformOpt = Annotated[str | None, typer.Option(
    "--platform", "-p", help="input format when it cannot be detected (nftables, "
    "nftables-json, iptables, cisco-ios, cisco-asa, huawei, h3c)")]
FormatOpt = Annotated[OutputFormat, typer.Option("--format", "-f", help="output format",
                                                 case_sensitive=False)]
StrictOpt = Annotated[bool, typer.Option(
    "--strict", help="a construct egovops cannot model is an error (exit 2, every one listed) "
    "instead of a parse warning")]


class Proto(StrEnum):
    """Protocols ``check-packet`` accepts by name (or give a number)."""

    TCP = "tcp"
    UDP = "udp"
    ICMP = "icmp"
    ICMPV6 = "icmpv6"


def _rule_json(rule: FlatRule | None) -> dict[str, Any] | None:
    if rule is None:
        return None
    return {"index": rule.index, "source": str(rule.source), "chain": rule.chain,
            "path": list(rule.path), "action": rule.action.value,
            "text": rule.rule.text, "name": rule.rule.name}


def _skipped_json(ruleset: Ruleset) -> list[dict[str, Any]]:
    return [{"source": str(s.source), "construct": s.construct, "reason": s.reason,
             "bound": s.bound.value, "rule": s.rule} for s in ruleset.skipped]


def _warn_skipped(st: State, ruleset: Ruleset) -> None:
    """Parse warnings on stderr: every skipped construct with its file:line and bound."""
    if not ruleset.skipped:
        return
    t = st.t
    st.err.print(t("fw.skipped", count=len(ruleset.skipped)), highlight=False, markup=False)
    for s in ruleset.skipped:
        st.err.print("  " + t("fw.skip_line", where=str(s.source), construct=s.construct,
                              reason=s.reason, bound=s.bound.value),
                     highlight=False, markup=False, soft_wrap=True)


def _taint(ruleset: Ruleset) -> str:
    """The skips no placeholder rule stands for (they may change any verdict), or ""."""
    placed = {r.source for c in ruleset.chains for r in c.rules if r.uncertain}
    cited = [f"{s.source} {s.construct or s.reason}" for s in ruleset.skipped
             if s.bound is not Bound.NONE and s.source not in placed]
    return "; ".join(cited[:3]) + (f" and {len(cited) - 3} more" if len(cited) > 3 else "")


@app.command("analyze")
def analyze_cmd(file: FileArg, platform: PlatformOpt = None,
                fmt: FormatOpt = OutputFormat.TABLE, strict: StrictOpt = False) -> None:
    """Shadowed, redundant, correlated, generalising and never-matching rules, and undefined
    references, each with the rules involved and an example packet; constructs that cannot be
    modelled are listed as parse warnings (errors with --strict)."""
    st = state()
    ruleset = read_ruleset(file, platform, strict=strict)
    chains = flatten(ruleset)
    space = space_for(chains)
    anomalies = [a for chain in chains for a in analyze(chain, space)]
    if fmt is OutputFormat.JSON:
        st.print_json({
            "file": str(file), "format": ruleset.format,
            "chains": [{"name": c.name, "hook": c.hook, "table": c.table,
                        "policy": c.policy.value, "rules": len(c.rules)} for c in chains],
            "anomalies": [{
                "kind": a.kind.value, "chain": a.chain, "rule": _rule_json(a.rule),
                "related": [_rule_json(r) for r in a.related],
                "example": str(a.example) if a.example is not None else None,
                "detail": a.detail,
            } for a in anomalies],
            **({"skipped": _skipped_json(ruleset)} if ruleset.skipped else {}),
        })
        return
    t = st.t
    _warn_skipped(st, ruleset)
    st.out.print(t("fw.summary", file=str(file), format=ruleset.format, chains=len(chains),
                   rules=sum(len(c.rules) for c in chains), anomalies=len(anomalies)),
                 highlight=False, markup=False)
    if not anomalies:
        return
    for a in anomalies:
        st.out.print(f"\n[bold]{a.kind.value}[/]  {escape(str(a.rule.source))}  "
                     f"{escape(f'[{a.chain}]')}  {escape(a.rule.rule.text or str(a.rule))}",
                     highlight=False, soft_wrap=True)
        st.out.print(f"    {escape(a.detail)}", highlight=False, soft_wrap=True)
        if a.example is not None:
            st.out.print(f"    {t('fw.example')}: {escape(str(a.example))}", highlight=False,
                         soft_wrap=True)


def _chains_for(chains: Sequence[FlatChain], hook: str | None) -> list[FlatChain]:
    hooks = list(dict.fromkeys(c.hook for c in chains if c.hook is not None))
    if hook is None:
        if "forward" in hooks:
            hook = "forward"
        elif len(hooks) == 1:
            hook = hooks[0]
        else:
            raise UsageError(f"the ruleset has several hooks; choose one with --hook: "
                             f"{', '.join(hooks)}")
    chosen = [c for c in chains if c.hook == hook]
    if not chosen:
        raise UsageError(f"no base chain on hook {hook!r}; hooks: {', '.join(hooks) or 'none'}")
    return chosen


def _address(text: str, option: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        raise UsageError(f"{option}: not an IP address: {text!r}") from None


@app.command("check-packet")
def check_packet(
    file: FileArg,
    src: Annotated[str, typer.Option(help="source address")],
    dst: Annotated[str, typer.Option(help="destination address")],
    proto: Annotated[str, typer.Option(help="tcp, udp, icmp, icmpv6 or a number")] = "tcp",
    dport: Annotated[int, typer.Option(min=0, max=65535)] = 0,
    sport: Annotated[int, typer.Option(min=0, max=65535)] = 40000,
    icmp_type: Annotated[int, typer.Option(min=0, max=255)] = 8,
    iif: Annotated[str | None, typer.Option(help="input interface")] = None,
    oif: Annotated[str | None, typer.Option(help="output interface")] = None,
    src_zone: Annotated[str | None, typer.Option(help="source zone (zone-based firewalls)")] = None,
    dst_zone: Annotated[str | None, typer.Option(help="destination zone")] = None,
    ct_state: Annotated[ConnState, typer.Option("--state", help="connection state")] = (
        ConnState.NEW),
    hook: Annotated[str | None, typer.Option(help="hook or ACL attachment to evaluate "
                                             "(default: forward, or the only one)")] = None,
    platform: PlatformOpt = None,
    fmt: FormatOpt = OutputFormat.TABLE,
    ipset: Annotated[Path | None, typer.Option(
        help="'ipset save' output for the -m set rules of an iptables-save dump (default: "
             "<file>.ipset when it exists)")] = None,
    strict: StrictOpt = False,
) -> None:
    """Which rule decides this packet, and why (a forwarded packet crosses every netfilter hook
    on its way, with destination NAT before the forward filter and source NAT after it);
    "may match (unproven)" when the verdict depends on a rule egovops could only read in part
    or on a skipped construct."""
    st = state()
    source, target = _address(src, "--src"), _address(dst, "--dst")
    if source.version != target.version:
        raise UsageError("--src and --dst must be of the same address family")
    number = PROTOCOLS.get(proto.lower()) if not proto.isdigit() else int(proto)
    if number is None or not 0 <= number <= 255:
        raise UsageError(f"--proto: unknown protocol {proto!r}")
    packet = Packet(family=source.version, src=source, dst=target, proto=number, sport=sport,
                    dport=dport, icmp_type=icmp_type, iif=iif, oif=oif, src_zone=src_zone,
                    dst_zone=dst_zone, state=ct_state)
    ruleset = read_ruleset(file, platform, ipset, strict=strict)
    flat = flatten(ruleset)
    if (hook is None or hook == "forward") and (ruleset.nat_chains or any(
            c.hook in ("prerouting", "postrouting", "ingress") for c in flat)):
        _check_path(st, ruleset, packet, fmt)
        return
    chains = _chains_for(flat, hook)
    rule, action = verdict(chains, packet)
    upper_rule, upper = verdict(chains, packet, Bound.UPPER)
    lower_rule, lower = verdict(chains, packet, Bound.LOWER)
    doubtful = next((r for r in (upper_rule, lower_rule, rule) if r is not None and r.uncertain),
                    None)
    taint = _taint(ruleset)
    unproven = ""
    if upper is not lower and doubtful is not None:
        unproven = doubtful.uncertain
    elif taint:
        unproven = f"constructs skipped: {taint}"
    if fmt is OutputFormat.JSON:
        st.print_json({"packet": str(packet), "verdict": action.value,
                       "rule": _rule_json(rule),
                       "chains": [c.name for c in chains],
                       **({"unproven": unproven, "verdicts": sorted({upper.value, lower.value})}
                          if unproven else {})})
        return
    t = st.t
    _warn_skipped(st, ruleset)
    st.out.print(f"{t('fw.packet')}: {packet}", highlight=False, markup=False)
    if upper is not lower and doubtful is not None:
        st.out.print(t("fw.may_match", verdict=upper.value, other=lower.value,
                       source=str(doubtful.source), path=" > ".join(doubtful.path),
                       text=doubtful.rule.text or doubtful.rule.name, why=unproven),
                     highlight=False, markup=False)
        return
    if taint:
        st.out.print(t("fw.tainted", verdict=action.value, why=taint), highlight=False,
                     markup=False)
    if rule is None:
        st.out.print(t("fw.by_policy", verdict=action.value,
                       chains=", ".join(c.name for c in chains)), highlight=False, markup=False)
    else:
        st.out.print(t("fw.by_rule", verdict=action.value, source=str(rule.source),
                       path=" > ".join(rule.path), text=rule.rule.text or rule.rule.name),
                     highlight=False, markup=False)


def _check_path(st: State, ruleset: Ruleset, packet: Packet, fmt: OutputFormat) -> None:
    """check-packet over the whole forwarding path (netfilter rulesets with NAT or several
    hooks)."""
    result = forward_path(ruleset, packet)
    rule = result.rule
    crossed = [s.chain.name for s in result.steps if not s.nat_chain]
    if fmt is OutputFormat.JSON:
        st.print_json({
            "packet": str(packet), "verdict": result.action.value, "rule": _rule_json(rule),
            "chains": crossed, "filtered": str(result.filtered), "leaving": str(result.leaving),
            "local": result.local,
            "uncertain": rule.rule.uncertain if rule is not None else "",
            "nat": [{"hook": s.hook, "chain": s.chain.name, "translation": str(s.nat),
                     "rule": _rule_json(s.rule)} for s in result.translations],
        })
        return
    t = st.t
    st.out.print(f"{t('fw.packet')}: {packet}", highlight=False, markup=False)
    for step in result.translations:
        assert step.rule is not None
        st.out.print(t("fw.nat_step", hook=step.hook, translation=str(step.nat),
                       source=str(step.rule.source), path=" > ".join(step.rule.path),
                       text=step.rule.rule.text or step.rule.rule.name),
                     highlight=False, markup=False)
    if result.filtered != packet:
        st.out.print(t("fw.filtered", hook="input" if result.local else "forward",
                       packet=str(result.filtered)), highlight=False, markup=False)
    if rule is None:
        st.out.print(t("fw.by_policy", verdict=result.action.value,
                       chains=", ".join(crossed) or "-"), highlight=False, markup=False)
    else:
        st.out.print(t("fw.by_rule", verdict=result.action.value, source=str(rule.source),
                       path=" > ".join(rule.path), text=rule.rule.text or rule.rule.name),
                     highlight=False, markup=False)
        if rule.rule.uncertain:
            st.out.print(t("fw.uncertain_rule", reason=rule.rule.uncertain), highlight=False,
                         markup=False)
    if result.leaving != result.filtered and result.action is Action.ACCEPT:
        st.out.print(t("fw.leaving", packet=str(result.leaving)), highlight=False, markup=False)


@app.command("diff")
def diff_cmd(
    old: Annotated[Path, typer.Argument(help="the ruleset before")],
    new: Annotated[Path, typer.Argument(help="the ruleset after")],
    platform: PlatformOpt = None,
    fmt: FormatOpt = OutputFormat.TABLE,
) -> None:
    """Packets whose verdict changes between two versions, per base chain, with examples."""
    st = state()
    before = flatten(read_ruleset(old, platform))
    after = flatten(read_ruleset(new, platform))
    space = space_for([*before, *after])
    keyed_after = {(c.table, c.name): c for c in after}
    report: list[dict[str, Any]] = []
    for chain in before:
        other = keyed_after.pop((chain.table, chain.name), None)
        if other is None:
            report.append({"chain": chain.name, "table": chain.table, "status": "removed",
                           "changes": []})
            continue
        changes = diff(chain, other, space)
        report.append({"chain": chain.name, "table": chain.table, "status": "compared",
                       "changes": [{"old": c.old.value, "new": c.new.value,
                                    "packets": c.description, "size": c.size,
                                    "example": str(c.example) if c.example else None}
                                   for c in changes]})
    for (table_name, name) in keyed_after:
        report.append({"chain": name, "table": table_name, "status": "added", "changes": []})
    if fmt is OutputFormat.JSON:
        st.print_json({"old": str(old), "new": str(new), "chains": report})
        return
    _render_diff(st, report)


def _render_diff(st: State, report: list[dict[str, Any]]) -> None:
    t = st.t
    total = sum(len(r["changes"]) for r in report)
    if total == 0 and all(r["status"] == "compared" for r in report):
        st.out.print(t("fw.diff_none"), highlight=False, markup=False)
        return
    for entry in report:
        if entry["status"] != "compared":
            st.out.print(t(f"fw.chain_{entry['status']}", chain=entry["chain"]),
                         highlight=False, markup=False)
            continue
        if not entry["changes"]:
            continue
        table = Table(title=f"{entry['table']} {entry['chain']}".strip(), title_justify="left")
        for col in ("change", "packets", "example"):
            table.add_column(t(f"col.{col}"), overflow="fold")
        for c in entry["changes"]:
            table.add_row(f"{c['old']} → {c['new']}", escape(c["packets"]),
                          escape(c["example"] or ""))
        st.out.print(table)
